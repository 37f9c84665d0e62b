"""Enqueueing session work: one function per business intent, one job id per intent.

The service layer, the web app and the jobs all come here, so an intent's job id, queue and
function are written once. Jobs are named by dotted path, so nothing under `zoombridge/` imports
job code (`workers/`). The service layer does not enqueue: it returns `Intent`s, and the caller
enqueues them with `after_commit` once its unit of work has committed.
Delayed intents (links, reminder, the day-before caption check, the morning caption link) are
re-planned when a session moves: a waiting job for the old time is removed and one for the new
time put in its place; each such job also checks on running that it is due, so a stale one that
slips through does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from zoombridge import logs
from zoombridge.attendance.finality import REPORT_WAITS
from zoombridge.queue.connection import current_redis
from zoombridge.queue.queues import DEFAULT, DEFAULT_RETRY, EMAIL, WAITING, ZOOM, enqueue_once, job_id_for

JOBS = "workers.jobs"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Intent:
    """Work asked for by a change, enqueued after the change commits: `enqueue(conn, *args)`,
    one of the functions below (`Intent(create_meeting, (12,))`)."""

    enqueue: Callable[..., Job]
    args: tuple = ()

    def __call__(self, conn: redis.Redis) -> Job:
        return self.enqueue(conn, *self.args)


def after_commit(intents: Iterable[Intent]) -> None:
    """Enqueue once the change is saved. If Redis is unreachable the change still stands and the
    safety sweep enqueues the work a few minutes later, so the caller still answers success."""
    intents = list(intents)
    if not intents:
        return
    try:
        conn = current_redis()
        for intent in intents:
            intent(conn)
    except (redis.RedisError, OSError) as exc:
        logs.event(log, "enqueue_deferred_to_sweep", logging.WARNING, error=type(exc).__name__)


def create_meeting(conn: redis.Redis, session_id: int) -> Job:
    return enqueue_once(conn, f"{JOBS}.meetings.create_meeting", session_id,
                        job_id=f"create-meeting:{session_id}", queue=ZOOM)


def update_meeting(conn: redis.Redis, session_id: int, change: str) -> Job:
    """`change` names this edit (the session's updated_at), so a later edit is a new intent."""
    return enqueue_once(conn, f"{JOBS}.meetings.update_meeting", session_id,
                        job_id=f"update-meeting:{session_id}:{change}", queue=ZOOM)


def cancel_meeting(conn: redis.Redis, session_id: int) -> Job:
    return enqueue_once(conn, f"{JOBS}.meetings.cancel_meeting", session_id,
                        job_id=f"cancel-meeting:{session_id}", queue=ZOOM)


def create_poll(conn: redis.Redis, session_id: int) -> Job:
    return enqueue_once(conn, f"{JOBS}.meetings.create_poll", session_id,
                        job_id=f"create-poll:{session_id}", queue=ZOOM)


def split_series(conn: redis.Redis, session_id: int, full_meeting_id: int) -> Job:
    """Zoom's meeting is full (3043): this session and the later ones move to a new meeting."""
    return enqueue_once(conn, f"{JOBS}.meetings.split_series", session_id, full_meeting_id,
                        job_id=f"split-series:{session_id}:{full_meeting_id}", queue=ZOOM)


def register(conn: redis.Redis, registration_id: int) -> Job:
    return enqueue_once(conn, f"{JOBS}.registrations.register", registration_id,
                        job_id=f"register:{registration_id}", queue=ZOOM)


def register_people(conn: redis.Redis, session_id: int) -> Job:
    """Everyone registered for the session and not yet on Zoom (after a CSV import), in one job
    that shows its progress; a longer timeout, for hundreds of Zoom calls."""
    return enqueue_once(conn, f"{JOBS}.registrations.register_people", session_id,
                        job_id=f"register-people:{session_id}", queue=ZOOM, job_timeout=3600)


def unregister(conn: redis.Redis, registration_id: int) -> Job:
    return enqueue_once(conn, f"{JOBS}.registrations.unregister", registration_id,
                        job_id=f"unregister:{registration_id}", queue=ZOOM)


def ensure_captions(conn: redis.Redis, session_id: int, *, at: datetime | None = None,
                    now: datetime | None = None) -> Job:
    if at is None:
        return enqueue_once(conn, f"{JOBS}.captions.ensure_captions", session_id,
                            job_id=f"captions:{session_id}", queue=ZOOM)
    return schedule(conn, f"{JOBS}.captions.ensure_captions", session_id,
                    intent=f"captions-day-before:{session_id}", queue=ZOOM, at=at, now=now)


def send_caption_link(conn: redis.Redis, session_id: int, *, at: datetime | None = None,
                      now: datetime | None = None) -> Job:
    """The captioner's caption link on the morning of the session (moved with the session)."""
    return schedule(conn, f"{JOBS}.captions.send_caption_link", session_id, intent=f"caption-link:{session_id}",
                    queue=ZOOM, at=at, now=now)


def recompute_payments(conn: redis.Redis, session_id: int) -> Job:
    """Attendance changed after payment decisions were made: recompute them (a new version only
    where something moved; `needs_review` where a reviewed decision changes). One job per session
    while it waits, however many late events arrive."""
    return enqueue_once(conn, f"{JOBS}.reconcile.recompute_session_payments", session_id,
                        job_id=f"recompute-payments:{session_id}", queue=DEFAULT)


def reconcile_meeting(conn: redis.Redis, meeting_uuid: str, attempt: int = 0, *, delay: timedelta | None = None,
                      now: datetime | None = None) -> Job:
    """Merge Zoom's participant report for one meeting instance and make its attendance final.

    Started after `meeting.ended` (with a delay: Zoom needs a while to make the report) or by
    `reconcile_session`; while the report is not ready the job asks again under `attempt` + 1
    (`reconcile:{uuid}:{attempt}`), on the waits of `attendance.finality.REPORT_WAITS`."""
    return enqueue_once(conn, f"{JOBS}.reconcile.reconcile_meeting", meeting_uuid,
                        *((attempt,) if attempt else ()), job_id=_attempt("reconcile", meeting_uuid, attempt),
                        queue=ZOOM, delay=delay, now=now, retry=DEFAULT_RETRY if attempt == 0 else None)


def reconcile_session(conn: redis.Redis, session_id: int, attempt: int = 0, *, delay: timedelta | None = None,
                      now: datetime | None = None) -> Job:
    """Finalise a session's attendance whose `meeting.ended` never came (the safety sweep starts it
    `meeting_ended_grace_hours` after the scheduled end): find its meeting instance on Zoom and
    reconcile it (`reconcile_meeting`). Asks Zoom again under `attempt` + 1 while Zoom cannot answer."""
    return enqueue_once(conn, f"{JOBS}.reconcile.reconcile_session", session_id,
                        *((attempt,) if attempt else ()), job_id=_attempt("reconcile-session", session_id, attempt),
                        queue=ZOOM, delay=delay, now=now, retry=DEFAULT_RETRY if attempt == 0 else None)


def reconcile_in_hand(conn: redis.Redis, session_id: int, meeting_uuid: str | None) -> bool:
    """Whether a reconciliation of this session, or of its meeting instance, is waiting or running
    (any of its attempts), so the sweep does not start a second one beside it."""
    intents = [_attempt("reconcile-session", session_id, n) for n in range(len(REPORT_WAITS) + 1)]
    if meeting_uuid:
        intents += [_attempt("reconcile", meeting_uuid, n) for n in range(len(REPORT_WAITS) + 1)]
    jobs = Job.fetch_many([job_id_for(intent) for intent in intents], connection=conn)
    return any(job is not None and job.get_status(refresh=False) in WAITING for job in jobs)


def _attempt(kind: str, subject: object, attempt: int) -> str:
    return f"{kind}:{subject}" if attempt == 0 else f"{kind}:{subject}:{attempt}"


def send_link(conn: redis.Redis, registration_id: int) -> Job:
    return enqueue_once(conn, f"{JOBS}.links.send_link", registration_id,
                        job_id=f"send-link:{registration_id}", queue=EMAIL)


def send_links(conn: redis.Redis, session_id: int, *, at: datetime | None = None,
               now: datetime | None = None) -> Job:
    return schedule(conn, f"{JOBS}.links.send_links", session_id, intent=f"send-links:{session_id}",
                    queue=EMAIL, at=at, now=now)


def remind(conn: redis.Redis, session_id: int, *, at: datetime | None = None, now: datetime | None = None) -> Job:
    return schedule(conn, f"{JOBS}.links.remind", session_id, intent=f"remind:{session_id}",
                    queue=EMAIL, at=at, now=now)


def send_new_times(conn: redis.Redis, session_id: int, revision: int) -> Job:
    return enqueue_once(conn, f"{JOBS}.links.send_new_times", session_id,
                        job_id=f"new-times:{session_id}:{revision}", queue=EMAIL)


def send_cancellations(conn: redis.Redis, session_id: int) -> Job:
    return enqueue_once(conn, f"{JOBS}.links.send_cancellations", session_id,
                        job_id=f"cancellations:{session_id}", queue=EMAIL)


def send_statement(conn: redis.Redis, session_id: int, person_id: int) -> Job:
    return enqueue_once(conn, f"{JOBS}.statements.send_statement", session_id, person_id,
                        job_id=f"statement:{session_id}:{person_id}", queue=EMAIL)


def send_details_confirmation(conn: redis.Redis, request_id: int) -> Job:
    """Email a person the link that confirms new details given for them on the public page."""
    return enqueue_once(conn, f"{JOBS}.person_details.send_details_confirmation", request_id,
                        job_id=f"details-confirmation:{request_id}", queue=EMAIL)


def schedule(conn: redis.Redis, func: str, *args, intent: str, queue: str, at: datetime | None,
             now: datetime | None) -> Job:
    """Run at `at` (now, when it is past or None), replacing a job for this intent waiting for another time."""
    if at is not None and now is not None and at <= now:
        at = None
    try:
        waiting = Job.fetch(job_id_for(intent), connection=conn)
        if waiting.get_status(refresh=True) == JobStatus.SCHEDULED:
            waiting.delete()
    except NoSuchJobError:
        pass
    return enqueue_once(conn, func, *args, job_id=intent, queue=queue, at=at)


# --- each intent in plain words, for the staff pages (zoombridge.job_board) ---------------------

@dataclass(frozen=True)
class Words:
    """What a job does, for staff: `{session}` and `{person}` are filled in from its arguments,
    whose kinds `subjects` names in order (session, registration, person, plan, meeting)."""

    text: str
    subjects: tuple[str, ...] = ()


WORDS: dict[str, Words] = {
    f"{JOBS}.meetings.create_meeting": Words("Create the Zoom meeting for {session}", ("session",)),
    f"{JOBS}.meetings.update_meeting": Words("Update the Zoom meeting for {session}", ("session",)),
    f"{JOBS}.meetings.cancel_meeting": Words("Cancel the Zoom meeting for {session}", ("session",)),
    f"{JOBS}.meetings.create_poll": Words("Add the poll to the Zoom meeting for {session}", ("session",)),
    f"{JOBS}.meetings.split_series": Words("Move {session} and the rest of its series to a new Zoom meeting",
                                          ("session",)),
    f"{JOBS}.registrations.register": Words("Register {person} with Zoom for {session}", ("registration",)),
    f"{JOBS}.registrations.register_people": Words("Register everyone waiting with Zoom for {session}",
                                                  ("session",)),
    f"{JOBS}.registrations.unregister": Words("Cancel {person}'s Zoom registration for {session}",
                                             ("registration",)),
    f"{JOBS}.captions.ensure_captions": Words("Check captions are on for {session}", ("session",)),
    f"{JOBS}.captions.send_caption_link": Words("Send the captioner their link for {session}", ("session",)),
    f"{JOBS}.links.send_links": Words("Send links for {session}", ("session",)),
    f"{JOBS}.links.send_link": Words("Send {person} their link for {session}", ("registration",)),
    f"{JOBS}.links.remind": Words("Send the reminder and the host pack for {session}", ("session",)),
    f"{JOBS}.links.send_new_times": Words("Tell everyone the new time of {session}", ("session",)),
    f"{JOBS}.links.send_cancellations": Words("Tell everyone {session} is cancelled", ("session",)),
    f"{JOBS}.statements.send_statement": Words("Email {person} their statement for {session}",
                                              ("session", "person")),
    f"{JOBS}.breakout.push_breakout_plan": Words("Send the breakout plan to Zoom for {session}", ("plan",)),
    f"{JOBS}.ingest.ingest_meeting": Words("Record attendance from Zoom's webhooks for {session}", ("meeting",)),
    f"{JOBS}.ingest.sweep_inbox": Words("Look for webhook deliveries not yet recorded"),
    f"{JOBS}.reconcile.reconcile_meeting": Words("Check attendance against Zoom's report for {session}",
                                                ("meeting",)),
    f"{JOBS}.reconcile.reconcile_session": Words(
        "Make attendance at {session} final from Zoom's report (Zoom never said the meeting ended)", ("session",)),
    f"{JOBS}.reconcile.recompute_session_payments": Words("Work out payments again for {session}", ("session",)),
    f"{JOBS}.sweep.sweep_sessions": Words("Look for session steps that are overdue"),
    f"{JOBS}.retention.drop_expired_copies": Words(
        "Drop copies of people's details whose retention has run out (webhook bodies, details never confirmed)"),
    f"{JOBS}.person_details.send_details_confirmation": Words(
        "Email someone the link that confirms the new details given for them"),
}
