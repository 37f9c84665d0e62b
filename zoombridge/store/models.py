"""The records zoombridge keeps, named as the organisation names them.

Times are aware UTC (`UTCDateTime`); money is whole pence; Zoom meeting numbers are 64-bit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from zoombridge.store.types import UTCDateTime

# Stable constraint names so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict: JSON, list: JSON}


class SessionSeries(Base):
    """A run of sessions that share one recurring Zoom meeting (the monthly Co-Pro Cuppa)."""

    __tablename__ = "session_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    rule: Mapped[dict] = mapped_column(default=dict)  # e.g. {"first": "tuesday", "count": 6}
    zoom_meeting_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]

    sessions: Mapped[list[Session]] = relationship(back_populates="series", order_by="Session.starts_at")


class Session(Base):
    """One gathering on Zoom: a Cuppa, a co-production session, a network or strategy session."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="scheduled")  # scheduled | cancelled
    overrides: Mapped[dict] = mapped_column(default=dict)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("session_series.id"))
    # Which of the series' Zoom meetings holds this session: 0 the first; a meeting full with
    # Zoom's 4,999 registrants hands its later sessions on to a new recurring meeting (part 1...).
    meeting_part: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    zoom_occurrence_id: Mapped[str | None] = mapped_column(String(40))
    # The Zoom user hosting the meeting (email or user id); None means ZOOM_HOST_USER.
    host: Mapped[str | None] = mapped_column(String(254))
    # Bumped on every reschedule: the calendar SEQUENCE and the "new time" email intents use it.
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    # Zoom meeting state (written by the create-meeting job).
    zoom_meeting_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    zoom_meeting_state: Mapped[str] = mapped_column(String(20), default="none")  # none | creating | created | failed
    zoom_details: Mapped[dict] = mapped_column(default=dict)  # passcode, dial-in numbers, host start details

    captions_state: Mapped[str] = mapped_column(String(20), default="unknown")  # unknown | on | refused
    captions_checked_at: Mapped[datetime | None]
    captions_method: Mapped[str | None] = mapped_column(String(20))  # what the last check was for: automated | captioner
    caption_link_until: Mapped[datetime | None]  # the captioner's caption link works until then

    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    meeting_uuid: Mapped[str | None] = mapped_column(String(64), index=True)
    attendance_final_at: Mapped[datetime | None]
    # When the retention job dropped the raw copies of this session's attendance (webhook bodies,
    # who-joined details copied from Zoom) that are needed only until attendance is final.
    raw_copies_dropped_at: Mapped[datetime | None]
    # Paid preparation (reading papers before the session), per session; see payments/policy.py.
    preparation_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    series: Mapped[SessionSeries | None] = relationship(back_populates="sessions")
    registrations: Mapped[list[Registration]] = relationship(back_populates="session")


class Person(Base):
    """Someone who takes part: a member of the public, a researcher or a staff member."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)  # stored lower-case
    phone: Mapped[str | None] = mapped_column(String(40))
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    # Set when the person's personal fields were replaced by a tombstone (`zoombridge people erase`).
    erased_at: Mapped[datetime | None]


class Registration(Base):
    """A person's place at a session, with their personal Zoom link once Zoom has made it."""

    __tablename__ = "registrations"
    __table_args__ = (UniqueConstraint("session_id", "person_id", name="uq_registrations_session_person"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    joins_by: Mapped[str] = mapped_column(String(10), default="video")  # video | phone
    access_needs: Mapped[str] = mapped_column(Text, default="")
    wants_payment: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | cancelled
    source: Mapped[str] = mapped_column(String(20), default="staff")  # staff | import | public
    zoom_registrant_id: Mapped[str | None] = mapped_column(String(64), index=True)
    join_url: Mapped[str | None] = mapped_column(Text)
    participant_pin_code: Mapped[str | None] = mapped_column(String(20))
    link_sent_at: Mapped[datetime | None]
    reminder_sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    # The person's payment claim (public-involvement practice: they may decline, ask for a lower
    # amount, have it paid to a charity or take a voucher, which is income like money; public-sector
    # staff in work time are not paid).
    # cash | lower | charity | voucher | declined (zoombridge/payments/choices.py)
    payment_choice: Mapped[str] = mapped_column(String(10), default="cash", server_default="cash")
    lower_amount_pence: Mapped[int | None] = mapped_column(Integer)  # the lower amount they named (choice lower)
    charity: Mapped[str | None] = mapped_column(String(120))  # the charity paid instead of them (choice charity)
    public_sector_work_time: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    claim_confirmed_at: Mapped[datetime | None]
    written_response_at: Mapped[datetime | None]  # a written response received instead of / as well as attending

    session: Mapped[Session] = relationship(back_populates="registrations")
    person: Mapped[Person] = relationship()


class PersonChange(Base):
    """New details for a person, given on the public page, waiting for the person to confirm them
    through the link emailed to the address we hold (`zoombridge.people.details`)."""

    __tablename__ = "person_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id"))  # what they registered for
    wanted: Mapped[dict] = mapped_column(default=dict)  # {"first_name": ..., "phone": ...}: only what differs
    # A keyed digest of the person's details when this was asked: a link made before a newer change
    # cannot undo it. Keyed, so the digest cannot be tested against guessed names and numbers.
    basis: Mapped[str] = mapped_column(String(64))
    # The random half of the emailed link (the other half is its signature with the secret key);
    # emptied once the change is decided, so a used link leads nowhere.
    nonce: Mapped[str | None] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(index=True)
    expires_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    # confirmed; expired: never confirmed, and what was typed emptied by retention (store/retention.py)
    outcome: Mapped[str | None] = mapped_column(String(20))


class InboxEvent(Base):
    """A webhook exactly as Zoom sent it, kept before it is answered so nothing is lost."""

    __tablename__ = "webhook_inbox"
    __table_args__ = (
        Index("ix_webhook_inbox_meeting_status", "meeting_uuid", "status"),
        Index("ix_webhook_inbox_status_received", "status", "received_at"),  # the sweeper's question
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)
    event: Mapped[str] = mapped_column(String(80))
    meeting_uuid: Mapped[str | None] = mapped_column(String(64))
    event_ts: Mapped[int | None] = mapped_column(BigInteger)
    body: Mapped[str] = mapped_column(Text)
    # pending | processed | failed | ignored (kept, but not an event attendance acts on)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
    request_id: Mapped[str | None] = mapped_column(String(64))  # x-zm-request-id, to trace a delivery
    # When the body was emptied by the retention job (the row stays: event, times, status).
    body_dropped_at: Mapped[datetime | None]


class Participant(Base):
    """Who a Zoom participant is, for one meeting instance: matched to a person, or not yet."""

    __tablename__ = "participants"
    __table_args__ = (UniqueConstraint("meeting_uuid", "participant_key", name="uq_participants_meeting_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_uuid: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id"), index=True)
    participant_key: Mapped[str] = mapped_column(String(200))  # e.g. "registrant:abc", "email:x@y"
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    registrant_id: Mapped[str | None] = mapped_column(String(64))
    zoom_user_id: Mapped[str | None] = mapped_column(String(64))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    matched_by: Mapped[str | None] = mapped_column(String(20))  # registrant | email | phone | manual
    created_at: Mapped[datetime]


class AttendanceSegment(Base):
    """A stretch of time a participant spent in one place: main room, a breakout room or waiting."""

    __tablename__ = "attendance_segments"
    __table_args__ = (Index("ix_attendance_segments_participant", "participant_id", "place"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    meeting_uuid: Mapped[str] = mapped_column(String(64), index=True)
    place: Mapped[str] = mapped_column(String(20))  # main | breakout | waiting
    room: Mapped[str | None] = mapped_column(String(64))
    joined_at: Mapped[datetime]
    left_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(20), default="webhook")  # webhook | report
    closed_by: Mapped[str | None] = mapped_column(String(40))  # left | meeting_ended | ...
    # Zoom's report says they left at this time although no participant_left arrived (reconciliation).
    report_left_at: Mapped[datetime | None]


class ParticipantIdentityColumns:
    """Who a participant event says it is (`zoom.webhooks.ParticipantIdentity`), as columns."""

    registrant_id: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(254))
    phone_number: Mapped[str | None] = mapped_column(Text)
    zoom_user_id: Mapped[str | None] = mapped_column(Text)
    participant_uuid: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(200), default="")


class AttendanceStream(ParticipantIdentityColumns, Base):
    """One connection (device) in one place of a meeting instance, as its events say: who it is,
    the main-room connection it came from (in a breakout room), when it was first seen, and the
    participant it is filed under. Ingest keeps it so a batch of events re-files only what it touches."""

    __tablename__ = "attendance_streams"
    __table_args__ = (
        UniqueConstraint("meeting_uuid", "stream_key", name="uq_attendance_streams_meeting_stream"),
        Index("ix_attendance_streams_meeting_participant", "meeting_uuid", "participant_key"),
        Index("ix_attendance_streams_meeting_user", "meeting_uuid", "user_id"),
        Index("ix_attendance_streams_meeting_parent", "meeting_uuid", "parent_user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_uuid: Mapped[str] = mapped_column(String(64))
    stream_key: Mapped[str] = mapped_column(String(64))  # sha256 of (place, room, device)
    place: Mapped[str] = mapped_column(String(20))
    room: Mapped[str | None] = mapped_column(String(64))
    device: Mapped[str] = mapped_column(Text)
    parent_user_id: Mapped[str | None] = mapped_column(Text)
    first_at: Mapped[datetime]
    first_event_ts: Mapped[int] = mapped_column(BigInteger, default=0)
    participant_key: Mapped[str] = mapped_column(String(200))


class AttendanceEvent(ParticipantIdentityColumns, Base):
    """A participant or meeting event from the inbox, parsed once into typed columns."""

    __tablename__ = "attendance_events"
    __table_args__ = (Index("ix_attendance_events_meeting_event", "meeting_uuid", "event"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    inbox_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                          ForeignKey("webhook_inbox.id"), unique=True)
    stream_id: Mapped[int | None] = mapped_column(ForeignKey("attendance_streams.id"), index=True)  # None: a meeting event
    meeting_uuid: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime]
    event_ts: Mapped[int | None] = mapped_column(BigInteger)
    meeting_id: Mapped[int | None] = mapped_column(BigInteger)
    room: Mapped[str | None] = mapped_column(String(64))
    parent_user_id: Mapped[str | None] = mapped_column(Text)
    leave_reason: Mapped[str | None] = mapped_column(Text)


class AttendanceSummary(Base):
    """A person's attendance at a session as the segments say, before the session's window is
    applied: kept up to date by whatever changes the segments or who they belong to (ingest,
    reconciliation, matching by hand), so reading a whole session is one query. A participant
    no one has matched yet has a row of its own (`person_id` NULL)."""

    __tablename__ = "attendance_summaries"
    __table_args__ = (UniqueConstraint("session_id", "person_id", name="uq_attendance_summaries_session_person"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), unique=True)
    participant_ids: Mapped[list] = mapped_column(default=list)
    present: Mapped[dict] = mapped_column(default=dict)  # attended_time.PresentTime, as JSON
    updated_at: Mapped[datetime]


class PaymentDecision(Base):
    """Whether a person is paid for a session, how much and why: one row per version."""

    __tablename__ = "payment_decisions"
    __table_args__ = (
        UniqueConstraint("session_id", "person_id", "version", name="uq_payment_decisions_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    rule_version: Mapped[str] = mapped_column(String(40))
    inputs: Mapped[dict] = mapped_column(default=dict)
    eligible: Mapped[bool] = mapped_column(Boolean)
    amount_pence: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="proposed")  # proposed|needs_review|approved|rejected|exported
    reviewed_by: Mapped[str | None] = mapped_column(String(120))
    reviewed_at: Mapped[datetime | None]
    # Set when an export settled the ledger to this version (a line for the difference, or none).
    exported_at: Mapped[datetime | None]
    export_batch: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
    # Bumped by every write: a review, a new version or an export that read an older row is
    # refused (SQLAlchemy's version counter; the web answers 409), so one of two racing writers loses.
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": row_version}


class LedgerLine(Base):
    """One line of money that an export sent to finance for a person and a session.

    What has been paid for a (person, session) is the sum of its lines; an export adds a line for
    the difference between what the current approved decision says is due and that sum (a first
    payment, or a correction up or down). `decision_id` is unique: a decision version settles the
    ledger once, so the same money cannot be sent twice. See docs/payments.md.
    """

    __tablename__ = "payment_ledger"
    __table_args__ = (
        UniqueConstraint("decision_id", name="uq_payment_ledger_decision_id"),
        Index("ix_payment_ledger_session_person", "session_id", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    decision_id: Mapped[int] = mapped_column(ForeignKey("payment_decisions.id"))
    decision_version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # payment | correction
    amount_pence: Mapped[int] = mapped_column(Integer)  # negative for a correction down
    due_pence: Mapped[int] = mapped_column(Integer)  # what the decision says is due in all
    paid_before_pence: Mapped[int] = mapped_column(Integer)  # the ledger's sum before this line
    method: Mapped[str] = mapped_column(String(20))  # cash | voucher | charity | none
    payee: Mapped[str | None] = mapped_column(String(120))  # the charity paid instead of the person (charity)
    policy_pence: Mapped[int] = mapped_column(Integer)  # what the policy alone would pay
    above_policy_pence: Mapped[int] = mapped_column(Integer, default=0)  # staff paid more than the policy
    reason: Mapped[str] = mapped_column(Text)
    batch: Mapped[str] = mapped_column(String(40), index=True)
    exported_at: Mapped[datetime]
    exported_by: Mapped[str] = mapped_column(String(120))


class AttendanceDifference(Base):
    """Where the webhook record and Zoom's report disagree for a meeting, and what was done about it."""

    __tablename__ = "attendance_differences"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_uuid: Mapped[str] = mapped_column(String(64), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id"), index=True)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    kind: Mapped[str] = mapped_column(String(40))  # left_time_from_report | missing_from_webhook | missing_from_report
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    seconds: Mapped[int] = mapped_column(Integer, default=0)
    details: Mapped[dict] = mapped_column(default=dict)
    found_at: Mapped[datetime]


class CostClaim(Base):
    """Phone, landline or data costs a person asks to be paid back for a session: approved by staff."""

    __tablename__ = "cost_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    amount_pence: Mapped[int] = mapped_column(Integer)
    what_for: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="claimed")  # claimed | approved | rejected | exported
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]
    reviewed_by: Mapped[str | None] = mapped_column(String(120))
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str] = mapped_column(Text, default="")
    exported_at: Mapped[datetime | None]
    export_batch: Mapped[str | None] = mapped_column(String(40))
    # Bumped by every write; a review racing an export is refused (409) instead of overwriting it.
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": row_version}


class AuditEntry(Base):
    """An append-only line saying who changed what, when and why."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(80))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(40))
    details: Mapped[dict] = mapped_column(default=dict)


class StaffToken(Base):
    """A staff API token; only its SHA-256 is kept, the token itself is shown once."""

    __tablename__ = "staff_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # A token stops working at this time (90 days by default; `ZOOMBRIDGE_STAFF_TOKEN_DAYS`).
    expires_at: Mapped[datetime | None]
    # The last characters of the token, so a person can tell their tokens apart in a list.
    hint: Mapped[str] = mapped_column(String(8), default="", server_default="")
    # The staff member it belongs to, when given: it stops working when they leave the staff list.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


class EmailMessage(Base):
    """An email we mean to send, keyed by intent so it is sent once however often a job runs."""

    __tablename__ = "email_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    intent: Mapped[str] = mapped_column(String(120), unique=True)  # e.g. "links:42"
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id"), index=True)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id"))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    attempted_at: Mapped[datetime | None]  # when the latest hand-over to SMTP began


class ZoomWait(Base):
    """A job waiting for one of Zoom's daily limits to reset, and until when (the session page).

    One row per intent (`create-meeting:12`); written when the job is put off until the limit
    resets, removed when the intent next runs without meeting the limit.
    """

    __tablename__ = "zoom_waits"

    id: Mapped[int] = mapped_column(primary_key=True)
    intent: Mapped[str] = mapped_column(String(160), unique=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id"), index=True)
    what: Mapped[str] = mapped_column(String(200))  # "creating the Zoom meeting", "registering Ann"
    limit: Mapped[str] = mapped_column(String(200))  # which of Zoom's limits, in staff's words
    until: Mapped[datetime]
    created_at: Mapped[datetime]


class BreakoutPlan(Base):
    """One breakout plan for a session: who is in which room each round, and why.

    Every plan made is kept (history); the newest is the one in use. `people` in `plan` is a
    snapshot of who was planned for (first names, how they join, access needs, email), so the
    CSV, the host sheet and the push to Zoom show the plan as it was made.
    """

    __tablename__ = "breakout_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"), index=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(20), default="registrations")  # registrations | live
    seed: Mapped[int] = mapped_column(BigInteger)
    round_count: Mapped[int] = mapped_column(Integer)
    rules: Mapped[dict] = mapped_column(default=dict)
    plan: Mapped[dict] = mapped_column(default=dict)
    report: Mapped[dict] = mapped_column(default=dict)
    pushed_to_zoom_at: Mapped[datetime | None]
    zoom_result: Mapped[dict | None] = mapped_column(JSON)
