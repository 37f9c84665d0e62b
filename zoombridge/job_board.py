"""The background work, as staff see it: what is queued, waiting for its time, running or failed,
each job by its business intent in plain words ("Send links for Co-Pro Cuppa, Tue 3 Feb 2027"),
a failure's reason in plain words, and retrying a failed job (audited).

Read from RQ's own registries (the queues, and their scheduled, started and failed registries)
and the jobs' arguments; the words for each intent are `zoombridge.queue.intents.WORDS`, the
session and person they name are looked up in one query each. A failure's reason is told from
the kind of error only, never its message, which may hold an email address or a Zoom answer.

Retrying puts the same job (the same intent: its id, function and arguments) back on its queue;
the audit line is written in the same unit of work, before the commit, and a job that is no
longer failed (someone retried it a moment earlier) is refused with a conflict, writing nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import redis
from rq.exceptions import InvalidJobOperation
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from zoombridge.planning.schedule import to_local
from zoombridge.queue import progress
from zoombridge.queue.intents import WORDS, Words
from zoombridge.queue.queues import ClockedJob, all_queues, is_waiting_to_retry
from zoombridge.refusals import conflict, not_found
from zoombridge.store import audit_log
from zoombridge.store.models import BreakoutPlan, Person, Registration, Session

MOST_EACH = 200  # jobs read from each registry of each queue

# The kind of error a job ended with, in words staff can act on.
REASONS = {
    "ZoomUnavailable": "Zoom did not answer, or answered with an error on its side.",
    "RateLimited": "Zoom asked us to slow down.",
    "DailyLimitReached": "Zoom's daily limit for this kind of call was used up; it resets at midnight (UTC).",
    "CredentialsRejected": "Zoom refused the service's credentials: check the ZOOM_ settings.",
    "InvalidToken": "Zoom refused the service's access token.",
    "MissingScopes": "The Zoom app lacks a permission (scope) this needs; a Zoom admin must add it.",
    "UserNotFound": "Zoom says the host user is not in the account (ZOOM_HOST_USER).",
    "MeetingNotFound": "Zoom has no such meeting any more.",
    "ZoomError": "Zoom refused the request.",
    "NoPersonalLink": "Zoom registered the person but has not given them a personal link yet.",
    "SomeEmailsNotSent": "The mail server refused some of the emails; the others were sent.",
    "EmailNotSent": "The mail server refused the email.",
    "NotReadyYet": "It waited for the Zoom meeting to be made first.",
    "OperationalError": "The database could not be reached.",
    "DatabaseError": "The database refused the change.",
    "ConnectionError": "A server it needed could not be reached.",
    "ConnectionRefusedError": "A server it needed refused the connection.",
    "TimeoutError": "A server it needed did not answer in time.",
    "SMTPException": "The mail server refused it.",
    "JobTimeoutException": "It ran longer than it is allowed to and was stopped.",
}
WORKER_DIED = "The worker running it stopped in the middle (it was killed or ran out of memory)."


def reason_in_words(error_line: str | None) -> str | None:
    """`zoombridge.zoom.errors.ZoomUnavailable: /meetings: HTTP 502` -> words about Zoom; the
    message after the colon is never shown."""
    if not error_line:
        return None
    if error_line.startswith("Work-horse"):
        return WORKER_DIED
    kind = error_line.split(":", 1)[0].strip().rsplit(".", 1)[-1]
    return REASONS.get(kind) or f"An unexpected error ({kind}); the worker's log has the details."


@dataclass(frozen=True)
class JobLine:
    id: str  # RQ's id for the intent (`send-links_12`)
    state: str  # queued | scheduled | running | failed
    queue: str
    what: str  # in plain words
    session_id: int | None
    when: datetime | None  # queued, due, started or failed at
    why: str | None  # a failure (or, for a job waiting to retry, the last one) in plain words
    retries_left: int | None
    progress: progress.Progress | None


@dataclass(frozen=True)
class Board:
    failed: list[JobLine]
    running: list[JobLine]
    scheduled: list[JobLine]
    queued: list[JobLine]

    def for_session(self, session_id: int) -> Board:
        def mine(lines: list[JobLine]) -> list[JobLine]:
            return [line for line in lines if line.session_id == session_id]
        return Board(mine(self.failed), mine(self.running), mine(self.scheduled), mine(self.queued))

    @property
    def in_progress(self) -> list[JobLine]:
        """Work that is running or about to, with its progress (the session page's "Work in progress")."""
        return self.running + self.queued


def read_board(s: DbSession, conn: redis.Redis) -> Board:
    """Every queue's jobs: failed, running, waiting for their time, queued; newest failures first."""
    found: dict[str, list[tuple[Job, datetime | None]]] = {"failed": [], "running": [], "scheduled": [], "queued": []}
    for queue in all_queues(conn):
        due = dict(conn.zrange(ScheduledJobRegistry(queue=queue).key, 0, MOST_EACH - 1, withscores=True))
        ids = {
            "queued": queue.get_job_ids(0, MOST_EACH - 1),
            "running": StartedJobRegistry(queue=queue).get_job_ids(0, MOST_EACH - 1),
            "scheduled": [job_id.decode() for job_id in due],
            "failed": FailedJobRegistry(queue=queue).get_job_ids(0, MOST_EACH - 1),
        }
        for state, job_ids in ids.items():
            for job in ClockedJob.fetch_many(job_ids, connection=conn):
                if job is None:
                    continue
                when = {"queued": job.enqueued_at, "running": job.started_at, "failed": job.ended_at,
                        "scheduled": _at(due.get(job.id.encode()))}[state]
                found[state].append((job, when))
    words = _Words(s, [job for jobs in found.values() for job, _ in jobs])
    lines = {state: [words.line(job, state, when) for job, when in jobs] for state, jobs in found.items()}
    lines["failed"].sort(key=lambda line: line.when or datetime.min.replace(tzinfo=UTC), reverse=True)
    lines["scheduled"].sort(key=lambda line: line.when or datetime.max.replace(tzinfo=UTC))
    return Board(**lines)


def retry(s: DbSession, conn: redis.Redis, job_id: str, actor: str, now: datetime) -> JobLine:
    """Put a failed job back on its queue, as it was (the same intent), and audit who did."""
    job = ClockedJob.fetch_many([job_id], connection=conn)[0]
    if job is None:
        raise not_found("There is no such job (it may have expired).", field="job")
    registry = FailedJobRegistry(job.origin, connection=conn, job_class=ClockedJob)
    line = _Words(s, [job]).line(job, "failed", job.ended_at)
    audit_log.record(s, now, actor, "job.retried", "job", job.id, what=line.what, session=line.session_id,
                     failure=line.why)
    try:
        registry.requeue(job)
    except InvalidJobOperation:
        raise conflict("not_failed", "This job is not failed any more: it has been retried already, or "
                                     "it expired.", field="job") from None
    return replace(line, state="queued", when=now)


def _at(score: float | None) -> datetime | None:
    return None if score is None else datetime.fromtimestamp(score, UTC)


class _Words:
    """Jobs in plain words, with the sessions and people they name looked up once for all."""

    def __init__(self, s: DbSession, jobs: Iterable[Job]):
        wanted: dict[str, set] = {"session": set(), "registration": set(), "person": set(), "plan": set(),
                                  "meeting": set()}
        self.jobs = list(jobs)
        for job in self.jobs:
            for kind, value in zip(self._words(job).subjects, job.args, strict=False):
                wanted[kind].add(value)
        self.registrations = {r.id: (r.session_id, r.person.first_name) for r in s.scalars(
            select(Registration).where(Registration.id.in_(_ints(wanted["registration"]))))}
        self.plans = dict(s.execute(select(BreakoutPlan.id, BreakoutPlan.session_id).where(
            BreakoutPlan.id.in_(_ints(wanted["plan"])))).all())
        self.meetings = dict(s.execute(select(Session.meeting_uuid, Session.id).where(
            Session.meeting_uuid.in_([m for m in wanted["meeting"] if isinstance(m, str)]))).all())
        session_ids = _ints(wanted["session"]) | {sid for sid, _ in self.registrations.values()} | \
            set(self.plans.values()) | set(self.meetings.values())
        self.sessions = {x.id: x for x in s.scalars(select(Session).where(Session.id.in_(session_ids)))}
        self.people = dict(s.execute(select(Person.id, Person.first_name).where(
            Person.id.in_(_ints(wanted["person"])))).all())

    @staticmethod
    def _words(job: Job) -> Words:
        name = job.func_name or ""
        return WORDS.get(name) or Words(f"Run {name.rsplit('.', 1)[-1].replace('_', ' ')}")

    def line(self, job: Job, state: str, when: datetime | None) -> JobLine:
        words = self._words(job)
        session_id, person = None, None
        for kind, value in zip(words.subjects, job.args, strict=False):
            if kind == "session":
                session_id = value
            elif kind == "registration":
                session_id, person = self.registrations.get(value, (None, None))
            elif kind == "person":
                person = self.people.get(value)
            elif kind == "plan":
                session_id = self.plans.get(value)
            elif kind == "meeting":
                session_id = self.meetings.get(value)
        session = self.sessions.get(session_id)
        what = words.text.format(session=self._session_words(session), person=person or "someone")
        retrying = state == "scheduled" and is_waiting_to_retry(job)
        result = job.latest_result() if state == "failed" or retrying else None
        failure = result.exc_string.strip().splitlines()[-1] if result and result.exc_string else None
        why = reason_in_words(failure)
        return JobLine(id=job.id, state=state, queue=job.origin, what=what,
                       session_id=session.id if session else None, when=when, why=why,
                       retries_left=job.retries_left, progress=progress.of(job))

    @staticmethod
    def _session_words(session: Session | None) -> str:
        if session is None:
            return "a session that is no longer there"
        local = to_local(session.starts_at)
        return f"{session.title}, {local:%a} {local.day} {local:%b %Y}"


def _ints(values: set) -> set[int]:
    return {v for v in values if isinstance(v, int) and not isinstance(v, bool)}
