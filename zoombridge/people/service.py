"""A person's own data: the export of everything held about them, and erasure.

Both walk one map of what is held where (`zoombridge.store.person_records.HOLDINGS`), so what
is exported and what is erased cannot drift apart. Called by the staff API, the staff pages and
the `zoombridge people` command, each through `zoombridge.unit_of_work.carry_out`.

Erasure (UK GDPR article 17) replaces the person's personal fields with a tombstone and keeps
payment records, attendance times and the audit trail, pseudonymised, because finance law asks
for them (article 17(3)(b)). It is refused while it would lose money or evidence that is still
moving: a payment approved but not yet sent to finance, a place at a session still to come (the
place is cancelled first, so Zoom forgets them too), or a session whose attendance is not final
(Zoom's report could still bring their name back in). That last wait is bounded: attendance is
final at most `attendance.finality.longest_wait` (about 48 hours) after the scheduled end, even
when Zoom never says the meeting ended, and the refusal says until when. Erasing twice changes
nothing the second time; each erasure that changed something has an audit line that names no one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session as DbSession

from zoombridge import runtime
from zoombridge.attendance import finality, session_attendance
from zoombridge.payments import ledger
from zoombridge.payments.decisions import current_policy
from zoombridge.payments.tax_year import TaxYear, tax_year_of
from zoombridge.payments.yearly_income import income_in
from zoombridge.people import details
from zoombridge.planning.schedule import to_local
from zoombridge.refusals import Refused, conflict, not_found
from zoombridge.store import audit_log
from zoombridge.store.models import CostClaim, Participant, PaymentDecision, Person, Registration
from zoombridge.store.models import Session as SessionRow
from zoombridge.store.person_records import (
    HOLDINGS,
    erase_rows,
    export_rows,
    hold_person,
    person_tombstone,
    subject_for,
)
from zoombridge.unit_of_work import Done

EXPORT_FORMAT = "zoombridge person export, version 1"
DEFAULT_REASON = "The person asked for their data to be erased."


def person_or_refuse(s: DbSession, person_id: int) -> Person:
    person = s.get(Person, person_id)
    if person is None:
        raise not_found(f"There is no person {person_id}.", field="person_id")
    return person


@dataclass(frozen=True)
class ExportPerson:
    """Everything held about one person, for them (a subject access request)."""

    person_id: int


def export_person(s: DbSession, command: ExportPerson, actor: str) -> Done[dict]:
    """Everything held about one person, as JSON; the export itself is audited (who looked)."""
    now = runtime.now()
    person = person_or_refuse(s, command.person_id)
    held = export_rows(s, subject_for(s, person))
    audit_log.record(s, now, actor, "person.exported", "person", person.id)
    return Done({"format": EXPORT_FORMAT, "person_id": person.id, "exported_at": now.isoformat(), **held,
                 "why_we_keep_it": {h.section: h.kept_because for h in HOLDINGS}})


def _reason(value: object) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_REASON
    if not isinstance(value, str) or len(value) > 500 or not value.isprintable():
        raise Refused("reason", "Give the reason as one line of text, at most 500 characters.")
    return value.strip()


def erasure_blockers(s: DbSession, person: Person, now: datetime) -> list[Refused]:
    """Why this person cannot be erased now, each with what staff can do about it (empty: they can)."""
    blockers: list[Refused] = []
    if person.is_staff:
        blockers.append(conflict("staff", "They are on the staff list; take them off it first "
                                          "(zoombridge staff remove EMAIL).", "person_id"))
    if _money_waiting_for_export(s, person.id):
        blockers.append(conflict("payment_not_exported", "A payment to them (or a correction to one) is approved "
                                 "but not yet sent to finance. Export it (or reject it) first, so finance has "
                                 "what it needs to pay them and the record is kept.", "person_id"))
    upcoming = [session for session in s.scalars(
        select(SessionRow).join(Registration, Registration.session_id == SessionRow.id).where(
            Registration.person_id == person.id, Registration.status == "active", SessionRow.status == "scheduled",
            SessionRow.started_at.is_(None)))
        if session.starts_at + timedelta(minutes=session.duration_minutes) > now]
    if upcoming:
        titles = ", ".join(f"{x.title} (session {x.id})" for x in upcoming)
        blockers.append(conflict("registered", f"They have a place at {titles}. Cancel it first, so Zoom "
                                 "removes them too.", "person_id"))
    attended = select(Participant.session_id).where(Participant.person_id == person.id)
    registered = select(Registration.session_id).where(Registration.person_id == person.id)
    # Begun (by the clock or by Zoom's word: its start or any webhook may be lost) and not final:
    # Zoom's report is still to be merged, and it names people. `attendance.finality` bounds the wait.
    open_sessions = list(s.scalars(select(SessionRow).where(
        SessionRow.id.in_(attended.union(registered)), SessionRow.attendance_final_at.is_(None),
        or_(SessionRow.started_at.is_not(None), SessionRow.meeting_uuid.is_not(None), SessionRow.starts_at <= now))
        .order_by(SessionRow.starts_at)))
    if open_sessions:
        blockers.append(conflict("attendance_not_final", _not_final_yet(open_sessions, now), "person_id"))
    return blockers


def _not_final_yet(sessions: list[SessionRow], now: datetime) -> str:
    """Why erasure waits for attendance to be final, and until when at the latest
    (`attendance.finality`: the grace for a meeting Zoom never said had ended, then a day's wait
    for Zoom's report), so staff know when to ask again."""
    settings = runtime.settings()
    grace = timedelta(hours=settings.meeting_ended_grace_hours)
    titles = ", ".join(f"{x.title} (session {x.id})" for x in sessions)
    latest = max(finality.final_by(finality.scheduled_end(x.starts_at, x.duration_minutes), grace) for x in sessions)
    local = to_local(latest, settings.timezone)
    when = f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M}"
    bound = (f"Attendance becomes final at most about {finality.whole_hours(finality.longest_wait(grace))} hours "
             "after a session's scheduled end, even when Zoom never says the meeting ended")
    if latest > now:
        return (f"Attendance at {titles} is not final yet: Zoom's report could still bring their details back. "
                f"{bound}, so ask again after {when}.")
    return (f"Attendance at {titles} is not final yet: Zoom's report could still bring their details back. "
            f"{bound}; it was due by {when} and is being made final now, so ask again in a few hours.")


def _money_waiting_for_export(s: DbSession, person_id: int) -> bool:
    """An approved cost claim, or a reviewed decision whose due amount the ledger has not yet paid
    (a first payment, or a correction up or down: `payments/ledger.py`), not yet exported."""
    if s.scalar(select(CostClaim.id).where(CostClaim.person_id == person_id, CostClaim.status == "approved",
                                           CostClaim.exported_at.is_(None)).limit(1)) is not None:
        return True
    reviewed = list(s.scalars(select(PaymentDecision).where(
        PaymentDecision.person_id == person_id, PaymentDecision.is_current.is_(True),
        PaymentDecision.exported_at.is_(None), PaymentDecision.status.in_(ledger.WAITS_FOR_EXPORT))))
    paid = ledger.paid_by_pair(s, ((d.session_id, d.person_id) for d in reviewed))
    return any((ledger.due_pence(d) or 0) != paid[(d.session_id, d.person_id)] for d in reviewed)


@dataclass(frozen=True)
class ErasePerson:
    """Their personal details replaced by a tombstone; payments kept, pseudonymised."""

    person_id: int
    reason: object = None  # why, in staff's words (kept in the audit line); a default when not given


def erase_person(s: DbSession, command: ErasePerson, actor: str) -> Done[dict]:
    """Replace the person's personal fields with tombstones; keep payments and the audit trail."""
    now = runtime.now()
    reason = _reason(command.reason)
    person = hold_person(s, command.person_id)  # an approval for them waits for this, or this for it
    if person is None:
        raise not_found(f"There is no person {command.person_id}.", field="person_id")
    blockers = erasure_blockers(s, person, now)
    if blockers:
        raise blockers[0]
    subject = subject_for(s, person)
    tombstone = person_tombstone(subject)
    changed = {"person": 1 if tombstone else 0, **erase_rows(s, subject)}  # every other table read first
    first_time = person.erased_at is None
    if first_time:
        person.erased_at = now
    changed = {section: count for section, count in changed.items() if count}
    if changed or first_time:  # the person's row through the one rule, which writes the audit line
        details.change(s, person, tombstone, details.by_staff(actor), now, action="person.erased", reason=reason,
                       changed=changed)
    return Done({"person_id": person.id, "erased_at": person.erased_at.isoformat(),
                 "already_erased": not first_time, "changed": changed})


# --- the staff person page ---------------------------------------------------------------------

@dataclass(frozen=True)
class SessionTaken:
    """One session in a person's history: their place, their attended minutes, their payment."""

    session: SessionRow
    registration: Registration | None
    minutes: int | None  # whole minutes attended; None: the meeting has not happened
    decision: PaymentDecision | None


@dataclass(frozen=True)
class PersonOverview:
    person: Person
    sessions: list[SessionTaken]
    decisions: list[PaymentDecision]  # every version, newest first
    cost_claims: list[CostClaim]
    blockers: list[Refused]  # why they cannot be erased now (empty: they can)
    tax_year: TaxYear
    tax_year_income_pence: int  # money and vouchers paid, or approved and waiting, for this tax year's sessions

    @property
    def titles(self) -> dict[int, str]:
        return {taken.session.id: taken.session.title for taken in self.sessions}


def person_overview(s: DbSession, person_id: int) -> PersonOverview:
    """What the staff person page shows: sessions, attendance, payments and claims."""
    person = person_or_refuse(s, person_id)
    registrations = {r.session_id: r for r in s.scalars(select(Registration).where(Registration.person_id == person.id))}
    attended = set(s.scalars(select(Participant.session_id).where(Participant.person_id == person.id,
                                                                  Participant.session_id.is_not(None))))
    decisions = list(s.scalars(select(PaymentDecision).where(PaymentDecision.person_id == person.id)
                               .order_by(PaymentDecision.session_id, PaymentDecision.version.desc())))
    current = {d.session_id: d for d in decisions if d.is_current}
    session_ids = set(registrations) | attended | set(current)
    sessions = sorted(s.scalars(select(SessionRow).where(SessionRow.id.in_(session_ids))),
                      key=lambda x: x.starts_at, reverse=True) if session_ids else []
    grace = current_policy().grace_minutes
    taken = []
    for session in sessions:
        minutes = None
        if session.started_at is not None:
            seen = session_attendance.compute(s, session, grace).by_person.get(person.id)
            minutes = seen.seconds // 60 if seen else 0
        taken.append(SessionTaken(session, registrations.get(session.id), minutes, current.get(session.id)))
    claims = list(s.scalars(select(CostClaim).where(CostClaim.person_id == person.id).order_by(CostClaim.id.desc())))
    timezone = runtime.settings().timezone
    year = tax_year_of(runtime.now(), timezone)
    return PersonOverview(person, taken, sorted(decisions, key=lambda d: d.id, reverse=True), claims,
                          erasure_blockers(s, person, runtime.now()), year,
                          income_in(s, [person.id], year, timezone)[person.id])
