"""Reading and writing breakout plans, and the people a plan is made for.

People are planned under stable ids: `person:<id>` for registered people, `participant:<id>`
for someone in the meeting we could not match to a person (a guest or an unknown phone caller).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from zoombridge.planning.breakout import PHONE, VIDEO, MixingHistory, PlanPerson, PlanRules, RoomPlan
from zoombridge.store.models import (
    AttendanceSegment,
    BreakoutPlan,
    Participant,
    Person,
    Registration,
    Session,
)

PRESENT_PLACES = ("main", "breakout")  # not the waiting room: they are not in the meeting yet
# Zoom keeps one pre-assignment for every occurrence of a recurring meeting (docs/zoom.md §6), so
# a plan for one session of a series waits until the session before it on that meeting is over.
# A meeting Zoom has not reported ended this long after its scheduled end is taken as over.
OVERRUN = timedelta(hours=3)
RECHECK = timedelta(minutes=15)  # past the scheduled end and not reported ended: look again then


def person_key(person_id: int) -> str:
    return f"person:{person_id}"


def access_tags(text: str) -> tuple[str, ...]:
    """Access needs are asked as free text; one need per line or per semicolon."""
    parts = [part.strip() for line in (text or "").splitlines() for part in line.split(";")]
    return tuple(part for part in parts if part)


def _planned(person: Person, registration: Registration | None, display_name: str | None = None) -> PlanPerson:
    return PlanPerson(
        id=person_key(person.id),
        display_name=display_name or person.first_name,
        is_staff=person.is_staff,
        joins_by=registration.joins_by if registration and registration.joins_by in (VIDEO, PHONE) else VIDEO,
        access_needs=access_tags(registration.access_needs) if registration else (),
        email=person.email,
    )


def expected_people(s: DbSession, session: Session) -> list[PlanPerson]:
    """Everyone with an active registration, in the order they registered."""
    rows = s.execute(
        select(Registration, Person)
        .join(Person, Registration.person_id == Person.id)
        .where(Registration.session_id == session.id, Registration.status == "active")
        .order_by(Registration.id)
    ).all()
    return [_planned(person, registration) for registration, person in rows]


def present_people(s: DbSession, session: Session) -> list[PlanPerson]:
    """Who is in the meeting now: open attendance segments in the main room or a breakout room.

    Matched participants become their person (once, however many devices they joined on);
    unmatched ones are planned by their Zoom display name, by phone when Zoom saw a number.
    """
    rows = s.execute(
        select(Participant)
        .join(AttendanceSegment, AttendanceSegment.participant_id == Participant.id)
        .where(
            Participant.session_id == session.id,
            AttendanceSegment.left_at.is_(None),
            AttendanceSegment.place.in_(PRESENT_PLACES),
        )
        .order_by(Participant.id)
        .distinct()
    ).scalars().all()
    person_ids = sorted({p.person_id for p in rows if p.person_id is not None})
    people = {p.id: p for p in s.scalars(select(Person).where(Person.id.in_(person_ids)))} if person_ids else {}
    registrations = (
        {
            r.person_id: r
            for r in s.scalars(
                select(Registration).where(Registration.session_id == session.id, Registration.person_id.in_(person_ids))
            )
        }
        if person_ids
        else {}
    )
    present: list[PlanPerson] = []
    seen: set[int] = set()
    for participant in rows:
        if participant.person_id is not None and participant.person_id in people:
            if participant.person_id in seen:
                continue
            seen.add(participant.person_id)
            person = people[participant.person_id]
            present.append(_planned(person, registrations.get(person.id)))
        else:
            present.append(
                PlanPerson(
                    id=f"participant:{participant.id}",
                    display_name=participant.display_name or "Guest",
                    joins_by=PHONE if participant.phone else VIDEO,
                    email=participant.email,
                )
            )
    return present


def people_snapshot(people: Sequence[PlanPerson]) -> list[dict]:
    return [
        {
            "id": p.id,
            "display_name": p.display_name,
            "is_staff": p.is_staff,
            "joins_by": p.joins_by,
            "access_needs": list(p.access_needs),
            "email": p.email,
            "zoom_account": p.zoom_account,
        }
        for p in people
    ]


def people_from_snapshot(rows: Sequence[dict]) -> list[PlanPerson]:
    return [
        PlanPerson(
            id=row["id"],
            display_name=row["display_name"],
            is_staff=bool(row["is_staff"]),
            joins_by=row["joins_by"],
            access_needs=tuple(row.get("access_needs") or ()),
            email=row.get("email"),
            zoom_account=row.get("zoom_account"),
        )
        for row in rows
    ]


def save_plan(
    s: DbSession,
    session: Session,
    plan: RoomPlan,
    people: Sequence[PlanPerson],
    rules: PlanRules,
    keep_together: Sequence[tuple[str, str]],
    created_by: str,
    created_at: datetime,
    source: str,
    remember_sessions: int = 0,
) -> BreakoutPlan:
    stored = plan.to_dict()
    row = BreakoutPlan(
        session_id=session.id,
        created_at=created_at,
        created_by=created_by,
        source=source,
        seed=plan.seed,
        round_count=len(plan.rounds),
        rules={
            "room_size": rules.room_size,
            "room_count": rules.room_count,
            "staff_per_room": rules.staff_per_room,
            "rounds": rules.rounds,
            "keep_together": [list(pair) for pair in keep_together],
            "remember_sessions": remember_sessions,
        },
        plan={"rounds": stored["rounds"], "people": people_snapshot(people)},
        report=stored["report"],
    )
    s.add(row)
    s.flush()
    return row


def room_plan(row: BreakoutPlan) -> RoomPlan:
    return RoomPlan.from_dict({"rounds": row.plan["rounds"], "report": row.report, "seed": row.seed})


def planned_people(row: BreakoutPlan) -> list[PlanPerson]:
    return people_from_snapshot(row.plan.get("people", []))


def find_plan(s: DbSession, session_id: int, plan_id: int | None = None) -> BreakoutPlan | None:
    """The newest plan for a session, or the one asked for by id (when it is that session's)."""
    query = select(BreakoutPlan).where(BreakoutPlan.session_id == session_id)
    if plan_id is not None:
        query = query.where(BreakoutPlan.id == plan_id)
    return s.scalars(query.order_by(BreakoutPlan.id.desc()).limit(1)).first()


def plan_history(s: DbSession, session_id: int) -> list[BreakoutPlan]:
    return list(
        s.scalars(select(BreakoutPlan).where(BreakoutPlan.session_id == session_id).order_by(BreakoutPlan.id.desc()))
    )


def mixing_history(s: DbSession, session: Session, remember: int) -> MixingHistory:
    """Who met whom, and which staff member led whom, in the newest plans of the `remember`
    sessions of the same kind before this one (cancelled ones left out)."""
    if remember <= 0:
        return MixingHistory()
    earlier = list(s.scalars(select(Session.id).where(
        Session.kind == session.kind, Session.starts_at < session.starts_at, Session.status == "scheduled",
        Session.id != session.id).order_by(Session.starts_at.desc()).limit(remember)))
    if not earlier:
        return MixingHistory()
    newest: dict[int, BreakoutPlan] = {}
    for row in s.scalars(select(BreakoutPlan).where(BreakoutPlan.session_id.in_(earlier))
                         .order_by(BreakoutPlan.id.desc())):
        newest.setdefault(row.session_id, row)
    met: set[tuple[str, str]] = set()
    hosted: set[tuple[str, str]] = set()
    for row in newest.values():
        for rnd in row.plan.get("rounds", []):
            for room in rnd.get("rooms", []):
                members = room.get("members") or []
                met.update((a, b) for i, a in enumerate(members) for b in members[i + 1:])
                leader = room.get("leader")
                if leader:
                    hosted.update((leader, m) for m in members if m != leader)
    return MixingHistory(met=frozenset(met), hosted=frozenset(hosted), sessions=len(newest))


def earlier_occurrence_running(s: DbSession, session: Session, now: datetime) -> tuple[Session, datetime] | None:
    """The earlier session on the same recurring meeting that has not ended yet, and when to try
    pushing this session's plan again; None when nothing holds the meeting's pre-assignment."""
    if session.series_id is None:
        return None
    previous = s.scalars(select(Session).where(
        Session.series_id == session.series_id, Session.meeting_part == session.meeting_part,
        Session.starts_at < session.starts_at, Session.status == "scheduled")
        .order_by(Session.starts_at.desc()).limit(1)).first()
    if previous is None or previous.ended_at is not None:
        return None
    scheduled_end = previous.starts_at + timedelta(minutes=previous.duration_minutes)
    if now >= scheduled_end + OVERRUN:
        return None
    return previous, max(scheduled_end, now + RECHECK)
