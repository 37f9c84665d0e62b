"""Everything held about one person, table by table: what an export reads and what erasure replaces.

`HOLDINGS` is the one map. Each entry names a table that holds something about a person, how to
find that person's rows in it, which columns erasure replaces with a tombstone and which it keeps
(and why). The export (`export_rows`) and erasure (`erase_rows`) both walk it, so a table is
either covered by both or by neither, and `tests/people/test_person_export.py` fails when
a table that can hold a person id is not in the map, or a column of a mapped table is in neither
list.

Kept after erasure, pseudonymised (the person id stays; it no longer leads to a name, an address
or a number): payment decisions, the ledger, cost claims and the audit trail, which finance law
asks us to keep (six years for a company's accounting records: docs/privacy.md), and attendance
times, the evidence behind those payments.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import inspect, or_, select, update
from sqlalchemy.orm import Session as DbSession

from zoombridge.attendance.identity import normalise_phone
from zoombridge.store.models import (
    AttendanceDifference,
    AttendanceEvent,
    AttendanceSegment,
    AttendanceStream,
    AttendanceSummary,
    AuditEntry,
    BreakoutPlan,
    CostClaim,
    EmailMessage,
    InboxEvent,
    LedgerLine,
    Participant,
    PaymentDecision,
    Person,
    PersonChange,
    Registration,
    StaffToken,
    ZoomWait,
)
from zoombridge.store.models import Session as SessionRow

ERASED = "(erased)"  # what an erased name reads as, wherever it was shown


@dataclass
class Subject:
    """One person and the keys their rows are found by, gathered once."""

    person: Person
    registration_ids: set[int] = field(default_factory=set)
    participant_ids: set[int] = field(default_factory=set)
    decision_ids: set[int] = field(default_factory=set)
    cost_claim_ids: set[int] = field(default_factory=set)
    meeting_uuids: set[str] = field(default_factory=set)
    participant_keys: set[tuple[str, str]] = field(default_factory=set)  # (meeting, key) their streams are filed under
    # What a Zoom webhook body could name them by: registrant ids, emails, phone numbers, Zoom ids.
    identifiers: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)  # names they were shown under (breakout plan notes)

    @property
    def id(self) -> int:
        return self.person.id

    @property
    def plan_key(self) -> str:
        return f"person:{self.person.id}"


def subject_for(s: DbSession, person: Person) -> Subject:
    subject = Subject(person=person)
    _add_identifiers(subject, person.email, person.phone)
    if person.first_name and person.erased_at is None:
        subject.names.add(person.first_name)
    for registration in s.scalars(select(Registration).where(Registration.person_id == person.id)):
        subject.registration_ids.add(registration.id)
        _add_identifiers(subject, registration.zoom_registrant_id)
        session = s.get(SessionRow, registration.session_id)
        if session is not None and session.meeting_uuid:
            subject.meeting_uuids.add(session.meeting_uuid)
    for participant in s.scalars(select(Participant).where(Participant.person_id == person.id)):
        subject.participant_ids.add(participant.id)
        subject.meeting_uuids.add(participant.meeting_uuid)
        subject.participant_keys.add((participant.meeting_uuid, participant.participant_key))
        _add_identifiers(subject, participant.registrant_id, participant.email, participant.phone,
                         participant.zoom_user_id)
        kind, _, value = participant.participant_key.partition(":")
        if kind in ("registrant", "email", "phone", "zoom") and value and value != "unknown":
            _add_identifiers(subject, value)
        if participant.display_name:
            subject.names.add(participant.display_name)
    subject.decision_ids = set(s.scalars(select(PaymentDecision.id).where(PaymentDecision.person_id == person.id)))
    subject.cost_claim_ids = set(s.scalars(select(CostClaim.id).where(CostClaim.person_id == person.id)))
    return subject


def _add_identifiers(subject: Subject, *values: str | None) -> None:
    for value in values:
        if not value:
            continue
        subject.identifiers.add(value.strip().lower())
        phone = normalise_phone(value)
        if phone:
            subject.identifiers.add(phone)


Tombstone = Callable[[Any, Subject], Any]


# --- finding a person's rows, table by table ---------------------------------------------------

def _people(s: DbSession, subject: Subject) -> list:
    return [subject.person]


def _by_person_id(model) -> Callable[[DbSession, Subject], list]:
    def rows(s: DbSession, subject: Subject) -> list:
        return list(s.scalars(select(model).where(model.person_id == subject.id).order_by(model.id)))
    return rows


def _emails(s: DbSession, subject: Subject) -> list:
    conditions = []
    if subject.registration_ids:
        conditions.append(EmailMessage.registration_id.in_(subject.registration_ids))
    if subject.person.email:
        conditions.append(EmailMessage.to_address == subject.person.email)
    # A statement's intent names the person (`statement:<session>:<person>`), whatever the address.
    conditions.append(EmailMessage.intent.like(f"statement:%:{subject.id}"))
    return list(s.scalars(select(EmailMessage).where(or_(*conditions)).order_by(EmailMessage.id)))


def _by_participant(model) -> Callable[[DbSession, Subject], list]:
    def rows(s: DbSession, subject: Subject) -> list:
        if not subject.participant_ids:
            return []
        return list(s.scalars(select(model).where(model.participant_id.in_(subject.participant_ids))
                              .order_by(model.id)))
    return rows


def _breakout_plans(s: DbSession, subject: Subject) -> list:
    session_ids = set(s.scalars(select(Registration.session_id).where(Registration.person_id == subject.id)))
    session_ids |= {sid for sid in s.scalars(select(Participant.session_id).where(
        Participant.id.in_(subject.participant_ids))) if sid is not None} if subject.participant_ids else set()
    if not session_ids:
        return []
    plans = s.scalars(select(BreakoutPlan).where(BreakoutPlan.session_id.in_(session_ids)).order_by(BreakoutPlan.id))
    return [plan for plan in plans if _plan_entry(plan, subject) is not None]


def _plan_entry(plan: BreakoutPlan, subject: Subject) -> dict | None:
    for entry in (plan.plan or {}).get("people", []):
        if entry.get("id") == subject.plan_key:
            return entry
    return None


def _webhook_events(s: DbSession, subject: Subject) -> list:
    if not subject.meeting_uuids or not subject.identifiers:
        return []
    rows = s.scalars(select(InboxEvent).where(InboxEvent.meeting_uuid.in_(subject.meeting_uuids),
                                              InboxEvent.body_dropped_at.is_(None)).order_by(InboxEvent.id))
    return [row for row in rows if _names_them(_body_of(row), subject)]


def _audit(s: DbSession, subject: Subject) -> list:
    subjects = [("person", {subject.id}), ("registration", subject.registration_ids),
                ("participant", subject.participant_ids), ("payment_decision", subject.decision_ids),
                ("cost_claim", subject.cost_claim_ids)]
    conditions = [(AuditEntry.subject_type == kind) & AuditEntry.subject_id.in_([str(i) for i in ids])
                  for kind, ids in subjects if ids]
    return list(s.scalars(select(AuditEntry).where(or_(*conditions)).order_by(AuditEntry.id)))


# --- webhook bodies --------------------------------------------------------------------------

# Where Zoom puts a person in a webhook body, and the keys that identify them there.
PERSON_OBJECTS = ("participant", "registrant")
IDENTIFYING_KEYS = ("registrant_id", "email", "phone_number", "participant_user_id", "id", "customer_key")
# What stays of a person's object in a body after erasure: times and Zoom's per-meeting ids.
KEPT_IN_BODY = ("join_time", "leave_time", "date_time", "user_id", "participant_uuid", "parent_user_id")


def _body_of(row: InboxEvent) -> dict:
    try:
        body = json.loads(row.body) if row.body else {}
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _person_objects(body: dict) -> Iterable[tuple[dict, str]]:
    payload = body.get("payload")
    obj = payload.get("object") if isinstance(payload, dict) else None
    if not isinstance(obj, dict):
        return
    for key in PERSON_OBJECTS:
        if isinstance(obj.get(key), dict):
            yield obj, key


def _identifies(found: dict, subject: Subject) -> bool:
    for key in IDENTIFYING_KEYS:
        value = found.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            text = str(value).strip().lower()
            if text and (text in subject.identifiers or normalise_phone(text) in subject.identifiers):
                return True
    return False


def _names_them(body: dict, subject: Subject) -> bool:
    return any(_identifies(obj[key], subject) for obj, key in _person_objects(body))


def _erase_body(row: InboxEvent, subject: Subject) -> str:
    body = _body_of(row)
    for obj, key in _person_objects(body):
        if _identifies(obj[key], subject):
            kept = {name: obj[key][name] for name in KEPT_IN_BODY if name in obj[key]}
            obj[key] = {**kept, "user_name": ERASED, "erased": True}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


# --- breakout plans ----------------------------------------------------------------------------

def _erase_plan(row: BreakoutPlan, subject: Subject) -> dict:
    plan = json.loads(json.dumps(row.plan or {}))  # a copy: JSON columns change by assignment
    for entry in plan.get("people", []):
        if entry.get("id") == subject.plan_key:
            entry.update(display_name=ERASED, email=None, access_needs=[], zoom_account=None)
    return plan


def _without_names(text: str, subject: Subject) -> str:
    """The text with every name the subject was shown under replaced (whole words only)."""
    names = sorted((n for n in subject.names if n and n != ERASED), key=len, reverse=True)
    if not names:
        return text
    return re.sub(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b", ERASED, text)


def _erase_plan_notes(row: BreakoutPlan, subject: Subject) -> dict:
    """Plan notes name people who were moved ("Moved 2 ...: Ann, Bo."): their names go."""
    report = json.loads(json.dumps(row.report or {}))
    if report.get("trade_offs"):
        report["trade_offs"] = [_without_names(note, subject) for note in report["trade_offs"]]
    return report


def _streams(s: DbSession, subject: Subject) -> list:
    """The connections ingest filed under their participants (each holds who Zoom said it was)."""
    if not subject.participant_keys:
        return []
    keys = {key for _meeting, key in subject.participant_keys}
    rows = s.scalars(select(AttendanceStream).where(AttendanceStream.meeting_uuid.in_(subject.meeting_uuids),
                                                    AttendanceStream.participant_key.in_(keys))
                     .order_by(AttendanceStream.id))
    return [row for row in rows if (row.meeting_uuid, row.participant_key) in subject.participant_keys]


def _stream_events(s: DbSession, subject: Subject) -> list:
    """The parsed webhook events of those connections (each a copy of who Zoom said it was)."""
    stream_ids = [row.id for row in _streams(s, subject)]
    if not stream_ids:
        return []
    return list(s.scalars(select(AttendanceEvent).where(AttendanceEvent.stream_id.in_(stream_ids))
                          .order_by(AttendanceEvent.id)))


def _device(row, subject: Subject) -> str:
    """A connection's key falls back to a registrant id or an email when Zoom gives no other."""
    return f"erased:{row.id}" if (row.device or "").strip().lower() in subject.identifiers else row.device


# What Zoom said a participant is, copied onto parsed events and streams: what erasure replaces.
_IDENTITY_TOMBSTONES: dict[str, Tombstone] = {
    "registrant_id": lambda _row, _subject: None, "email": lambda _row, _subject: None,
    "phone_number": lambda _row, _subject: None, "zoom_user_id": lambda _row, _subject: None,
    "name": lambda _row, _subject: ERASED,
}


def _zoom_waits(s: DbSession, subject: Subject) -> list:
    """A registration waiting on a Zoom limit is described by the person's name ("registering Ann")."""
    intents = [f"{kind}:{rid}" for rid in subject.registration_ids for kind in ("register", "unregister")]
    if not intents:
        return []
    return list(s.scalars(select(ZoomWait).where(ZoomWait.intent.in_(intents)).order_by(ZoomWait.id)))


def _plan_part(row: BreakoutPlan, subject: Subject) -> dict:
    """Their part of a plan: their own entry and the rooms they were put in (not who else was)."""
    rooms = [{"round": rnd.get("number"), "room": room.get("name"), "leads_it": room.get("leader") == subject.plan_key}
             for rnd in (row.plan or {}).get("rounds", []) for room in rnd.get("rooms", [])
             if subject.plan_key in room.get("members", [])]
    return {"id": row.id, "session_id": row.session_id, "created_at": _json_value(row.created_at),
            "source": row.source, "planned_as": _plan_entry(row, subject), "rooms": rooms}


# --- the map ---------------------------------------------------------------------------------

def _value(v: Any) -> Tombstone:
    return lambda _row, _subject: v


@dataclass(frozen=True)
class Holding:
    """A table that holds something about a person."""

    model: type
    section: str  # its name in the export
    rows: Callable[[DbSession, Subject], list]
    erase: dict[str, Tombstone]  # column -> the tombstone it gets
    keep: tuple[str, ...]  # columns erasure leaves as they are
    kept_because: str
    export_row: Callable[[Any, Subject], dict] | None = None  # default: every column

    @property
    def table(self) -> str:
        return self.model.__tablename__


FINANCE = "a payment record: finance law asks us to keep it (six years), pseudonymised"
EVIDENCE = "attendance evidence behind a payment: times only, no identity"

HOLDINGS: tuple[Holding, ...] = (
    # The person's own row is written only through the one rule (`zoombridge.people.details`; the
    # guard in `store/person_writes.py` refuses anything else): `erase_rows` leaves it to the caller,
    # which writes `person_tombstone` through `details.change`.
    Holding(Person, "person", _people,
            erase={"first_name": _value(ERASED), "email": _value(None), "phone": _value(None)},
            keep=("id", "is_staff", "created_at", "erased_at"),
            kept_because="the id the pseudonymised payment records point to"),
    Holding(PersonChange, "requested_changes", _by_person_id(PersonChange),
            erase={"wanted": lambda _row, _subject: {}, "nonce": _value(None)},
            keep=("id", "person_id", "session_id", "basis", "requested_at", "expires_at", "decided_at", "outcome"),
            kept_because="that new details were asked for on the public page, when, and how it ended; what was "
                         "typed goes, and so does the link's secret half",
            export_row=lambda row, _subject: _columns(row, exclude=("nonce",))),
    Holding(Registration, "registrations", _by_person_id(Registration),
            erase={"access_needs": _value(""), "join_url": _value(None), "participant_pin_code": _value(None),
                   "zoom_registrant_id": _value(None)},
            keep=("id", "session_id", "person_id", "joins_by", "wants_payment", "status", "source", "link_sent_at",
                  "reminder_sent_at", "created_at", "cancelled_at", "payment_choice", "lower_amount_pence", "charity",
                  "public_sector_work_time",
                  "claim_confirmed_at", "written_response_at"),
            kept_because="what a payment decision was made from (their claim), without who they are"),
    Holding(EmailMessage, "emails", _emails,
            erase={"to_address": _value(ERASED)},
            keep=("id", "intent", "session_id", "registration_id", "subject", "status", "attempts", "last_error",
                  "created_at", "sent_at", "attempted_at"),
            kept_because="that an email was sent once (its intent) must stay true, or it could be sent again"),
    Holding(Participant, "participants", _by_person_id(Participant),
            erase={"display_name": _value(ERASED), "email": _value(None), "phone": _value(None),
                   "registrant_id": _value(None), "zoom_user_id": _value(None),
                   "participant_key": lambda row, _subject: f"erased:{row.id}"},
            keep=("id", "meeting_uuid", "session_id", "person_id", "matched_by", "created_at"),
            kept_because=EVIDENCE),
    Holding(AttendanceSegment, "attendance_segments", _by_participant(AttendanceSegment), erase={},
            keep=("id", "participant_id", "meeting_uuid", "place", "room", "joined_at", "left_at", "source",
                  "closed_by", "report_left_at"),
            kept_because=EVIDENCE),
    Holding(AttendanceDifference, "attendance_differences", _by_participant(AttendanceDifference), erase={},
            keep=("id", "meeting_uuid", "session_id", "participant_id", "kind", "starts_at", "ends_at", "seconds",
                  "details", "found_at"),
            kept_because=EVIDENCE),
    Holding(AttendanceStream, "attendance_connections", _streams,
            erase={**_IDENTITY_TOMBSTONES, "device": _device,
                   "participant_key": lambda row, _subject: f"erased:{row.id}"},
            keep=("id", "meeting_uuid", "stream_key", "place", "room", "parent_user_id", "first_at", "first_event_ts",
                  "participant_uuid", "user_id"),
            kept_because=EVIDENCE + " (Zoom's per-meeting ids stay: they name no one outside the meeting)"),
    Holding(AttendanceEvent, "attendance_events", _stream_events, erase=dict(_IDENTITY_TOMBSTONES),
            keep=("id", "inbox_id", "stream_id", "meeting_uuid", "event", "at", "event_ts", "meeting_id", "room",
                  "parent_user_id", "leave_reason", "participant_uuid", "user_id"),
            kept_because=EVIDENCE),
    Holding(AttendanceSummary, "attendance_summaries", _by_person_id(AttendanceSummary), erase={},
            keep=("id", "session_id", "person_id", "participant_id", "participant_ids", "present", "updated_at"),
            kept_because=EVIDENCE),
    Holding(PaymentDecision, "payment_decisions", _by_person_id(PaymentDecision), erase={},
            keep=("id", "session_id", "person_id", "version", "is_current", "rule_version", "inputs", "eligible",
                  "amount_pence", "reason", "status", "reviewed_by", "reviewed_at", "exported_at", "export_batch",
                  "created_at", "row_version"),
            kept_because=FINANCE),
    Holding(LedgerLine, "payments_sent_to_finance", _by_person_id(LedgerLine), erase={},
            keep=("id", "session_id", "person_id", "decision_id", "decision_version", "kind", "amount_pence",
                  "due_pence", "paid_before_pence", "method", "payee", "policy_pence", "above_policy_pence", "reason",
                  "batch", "exported_at", "exported_by"),
            kept_because=FINANCE),
    Holding(CostClaim, "cost_claims", _by_person_id(CostClaim), erase={},
            keep=("id", "session_id", "person_id", "amount_pence", "what_for", "status", "created_by", "created_at",
                  "reviewed_by", "reviewed_at", "review_note", "exported_at", "export_batch", "row_version"),
            kept_because=FINANCE),
    Holding(BreakoutPlan, "breakout_plans", _breakout_plans,
            erase={"plan": _erase_plan, "report": _erase_plan_notes},
            keep=("id", "session_id", "created_at", "created_by", "source", "seed", "round_count", "rules",
                  "pushed_to_zoom_at", "zoom_result"),
            kept_because="the plan staff used; only this person's entry in it is replaced",
            export_row=_plan_part),
    Holding(InboxEvent, "webhook_events", _webhook_events,
            erase={"body": _erase_body},
            keep=("id", "dedupe_key", "event", "meeting_uuid", "event_ts", "status", "error", "received_at",
                  "processed_at", "request_id", "body_dropped_at"),
            kept_because="the delivery record; the person's details in the body are replaced",
            export_row=lambda row, _subject: {**_columns(row, exclude=("body",)), "body": _body_of(row)}),
    Holding(StaffToken, "staff_api_tokens", _by_person_id(StaffToken),
            erase={"name": _value(ERASED)},
            keep=("id", "token_hash", "created_at", "last_used_at", "revoked_at", "expires_at", "hint", "person_id"),
            kept_because="that a token existed, and when it was used, stays in the access record",
            export_row=lambda row, _subject: _columns(row, exclude=("token_hash",))),
    Holding(ZoomWait, "waiting_on_zoom", _zoom_waits,
            erase={"what": lambda row, subject: _without_names(row.what, subject)},
            keep=("id", "intent", "session_id", "limit", "until", "created_at"),
            kept_because="a job waiting on one of Zoom's daily limits; the row goes when the job runs"),
    Holding(AuditEntry, "audit", _audit, erase={},
            keep=("id", "at", "actor", "action", "subject_type", "subject_id", "details"),
            kept_because="the audit trail of changes to money and access; its lines carry ids, not identities"),
)

# Tables that hold nothing about any one person, and why (the coverage test checks this list too).
NOT_ABOUT_A_PERSON = {
    "sessions": "what a session is and when; no person",
    "session_series": "a run of sessions; no person",
}


# --- export and erasure ------------------------------------------------------------------------

def hold_person(s: DbSession, person_id: int) -> Person | None:
    """Take the person's row for this unit of work, then read it: erasure and payment approval
    both start here, so one waits for the other and then sees what it did (an approval after an
    erasure sees `erased_at`; an erasure after an approval sees the approved payment).

    A write rather than SELECT ... FOR UPDATE because it serialises on both databases: PostgreSQL
    locks the row, SQLite takes its write lock (reads before a first write are not in a
    transaction there, so a read could not hold anything).
    """
    s.execute(update(Person).where(Person.id == person_id).values(erased_at=Person.erased_at)
              .execution_options(synchronize_session=False))
    person = s.get(Person, person_id)
    if person is not None:
        s.refresh(person)
    return person


def hold_people(s: DbSession, person_ids: Iterable[int]) -> set[int]:
    """Take these people's rows as `hold_person` does, 500 at a time, then return the ids of those
    of them who are erased: a recompute about to write new decision versions waits for an erasure
    of any of them, and then leaves that person alone. PostgreSQL locks them in id order first
    (`FOR UPDATE`, which SQLite leaves out: its one write lock has no order), so two recomputes
    holding some of the same people cannot deadlock."""
    ids = sorted(set(person_ids))
    erased: set[int] = set()
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        s.execute(select(Person.id).where(Person.id.in_(chunk)).order_by(Person.id).with_for_update())
        s.execute(update(Person).where(Person.id.in_(chunk)).values(erased_at=Person.erased_at)
                  .execution_options(synchronize_session=False))
        erased.update(s.scalars(select(Person.id).where(Person.id.in_(chunk), Person.erased_at.is_not(None))))
    return erased


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _columns(row: Any, exclude: tuple[str, ...] = ()) -> dict:
    return {attr.key: _json_value(getattr(row, attr.key)) for attr in inspect(row).mapper.column_attrs
            if attr.key not in exclude}


def export_rows(s: DbSession, subject: Subject) -> dict[str, Any]:
    """Every holding's rows about the subject, as JSON-ready values, by section."""
    out: dict[str, Any] = {}
    for holding in HOLDINGS:
        shape = holding.export_row or (lambda row, _subject: _columns(row))
        rows = [shape(row, subject) for row in holding.rows(s, subject)]
        out[holding.section] = rows[0] if holding.section == "person" else rows
    return out


def person_tombstone(subject: Subject) -> dict[str, Any]:
    """What the person's own row still needs to become a tombstone (empty once it is one). The
    caller writes it through `zoombridge.people.details.change`, the one write to a person."""
    (holding,) = (h for h in HOLDINGS if h.model is Person)
    after = {column: tombstone(subject.person, subject) for column, tombstone in holding.erase.items()}
    return {column: value for column, value in after.items() if getattr(subject.person, column) != value}


def erase_rows(s: DbSession, subject: Subject) -> dict[str, int]:
    """Replace the subject's personal fields with tombstones in every table but `people` (see
    `person_tombstone`); returns how many rows changed per section."""
    changed: dict[str, int] = {}
    plans: list[tuple[Holding, list]] = [(h, h.rows(s, subject)) for h in HOLDINGS if h.erase and h.model is not Person]
    for holding, rows in plans:  # read everything first: erasing one table changes what finds another
        count = 0
        for row in rows:
            before = {column: getattr(row, column) for column in holding.erase}
            after = {column: tombstone(row, subject) for column, tombstone in holding.erase.items()}
            if after != before:
                for column, value in after.items():
                    setattr(row, column, value)
                count += 1
        changed[holding.section] = count
    s.flush()
    return changed
