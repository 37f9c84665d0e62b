"""typed attendance events, streams and per-person summaries (issue 17)

Ingest parses each inbox row once into `attendance_events`, files it under its stream
(`attendance_streams`) and recomputes only the participants a batch touches; a meeting ingested
before this migration is parsed on its next ingest run (see zoombridge/attendance/ingest.py).
`attendance_summaries` holds each person's present time per session for the staff reads; it is
filled here from the segments already stored, so existing sessions read the same as before.

Revision ID: 0013_attendance_events
Revises: 0012_payment_choices
Create Date: 2026-12-02 15:09:09.038123
"""
from collections import defaultdict
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa
import zoombridge.store.types


revision = '0013_attendance_events'
down_revision = '0012_payment_choices'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('attendance_streams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_uuid', sa.String(length=64), nullable=False),
    sa.Column('stream_key', sa.String(length=64), nullable=False),
    sa.Column('place', sa.String(length=20), nullable=False),
    sa.Column('room', sa.String(length=64), nullable=True),
    sa.Column('device', sa.Text(), nullable=False),
    sa.Column('registrant_id', sa.String(length=64), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone_number', sa.Text(), nullable=True),
    sa.Column('zoom_user_id', sa.Text(), nullable=True),
    sa.Column('participant_uuid', sa.Text(), nullable=True),
    sa.Column('user_id', sa.Text(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('parent_user_id', sa.Text(), nullable=True),
    sa.Column('first_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('first_event_ts', sa.BigInteger(), nullable=False),
    sa.Column('participant_key', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_streams')),
    sa.UniqueConstraint('meeting_uuid', 'stream_key', name='uq_attendance_streams_meeting_stream')
    )
    with op.batch_alter_table('attendance_streams', schema=None) as batch_op:
        batch_op.create_index('ix_attendance_streams_meeting_parent', ['meeting_uuid', 'parent_user_id'], unique=False)
        batch_op.create_index('ix_attendance_streams_meeting_participant', ['meeting_uuid', 'participant_key'], unique=False)
        batch_op.create_index('ix_attendance_streams_meeting_user', ['meeting_uuid', 'user_id'], unique=False)

    op.create_table('attendance_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('inbox_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('stream_id', sa.Integer(), nullable=True),
    sa.Column('meeting_uuid', sa.String(length=64), nullable=False),
    sa.Column('event', sa.String(length=80), nullable=False),
    sa.Column('at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('event_ts', sa.BigInteger(), nullable=True),
    sa.Column('meeting_id', sa.BigInteger(), nullable=True),
    sa.Column('registrant_id', sa.String(length=64), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone_number', sa.Text(), nullable=True),
    sa.Column('zoom_user_id', sa.Text(), nullable=True),
    sa.Column('participant_uuid', sa.Text(), nullable=True),
    sa.Column('user_id', sa.Text(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('room', sa.String(length=64), nullable=True),
    sa.Column('parent_user_id', sa.Text(), nullable=True),
    sa.Column('leave_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['inbox_id'], ['webhook_inbox.id'], name=op.f('fk_attendance_events_inbox_id_webhook_inbox')),
    sa.ForeignKeyConstraint(['stream_id'], ['attendance_streams.id'], name=op.f('fk_attendance_events_stream_id_attendance_streams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_events')),
    sa.UniqueConstraint('inbox_id', name=op.f('uq_attendance_events_inbox_id'))
    )
    with op.batch_alter_table('attendance_events', schema=None) as batch_op:
        batch_op.create_index('ix_attendance_events_meeting_event', ['meeting_uuid', 'event'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendance_events_stream_id'), ['stream_id'], unique=False)

    op.create_table('attendance_summaries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('participant_ids', sa.JSON(), nullable=False),
    sa.Column('present', sa.JSON(), nullable=False),
    sa.Column('updated_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_attendance_summaries_participant_id_participants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_attendance_summaries_person_id_people')),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_attendance_summaries_session_id_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_summaries')),
    sa.UniqueConstraint('participant_id', name=op.f('uq_attendance_summaries_participant_id')),
    sa.UniqueConstraint('session_id', 'person_id', name='uq_attendance_summaries_session_person')
    )
    _summarise_existing_sessions()


def _summarise_existing_sessions() -> None:
    """One summary per person (and per unmatched participant) of every session that has
    participants, from its segments: what `session_attendance.refresh` writes."""
    from zoombridge.attendance.attended_time import PresentTime
    from zoombridge.attendance.session_attendance import as_segment

    conn = op.get_bind()
    when = zoombridge.store.types.UTCDateTime
    sessions = sa.table("sessions", sa.column("id", sa.Integer), sa.column("meeting_uuid", sa.String))
    participants = sa.table("participants", sa.column("id", sa.Integer), sa.column("session_id", sa.Integer),
                            sa.column("meeting_uuid", sa.String), sa.column("person_id", sa.Integer))
    segments = sa.table("attendance_segments", sa.column("id", sa.Integer), sa.column("participant_id", sa.Integer),
                        sa.column("place", sa.String), sa.column("joined_at", when), sa.column("left_at", when),
                        sa.column("report_left_at", when), sa.column("closed_by", sa.String), sa.column("source", sa.String))
    summaries = sa.table("attendance_summaries", sa.column("session_id", sa.Integer), sa.column("person_id", sa.Integer),
                         sa.column("participant_id", sa.Integer), sa.column("participant_ids", sa.JSON),
                         sa.column("present", sa.JSON), sa.column("updated_at", when))
    now = datetime.now(UTC)
    for session_id, meeting_uuid in conn.execute(sa.select(sessions.c.id, sessions.c.meeting_uuid)).all():
        belongs = participants.c.session_id == session_id
        if meeting_uuid:
            belongs = sa.or_(belongs, participants.c.meeting_uuid == meeting_uuid)
        members = defaultdict(list)
        for participant_id, person_id in conn.execute(sa.select(participants.c.id, participants.c.person_id).where(belongs)):
            members[(person_id, None if person_id else participant_id)].append(participant_id)
        if not members:
            continue
        found = defaultdict(list)
        for row in conn.execute(sa.select(segments, participants.c.person_id.label("person_id_"))
                                .join(participants, participants.c.id == segments.c.participant_id).where(belongs)):
            person_id = row.person_id_
            found[(person_id, None if person_id else row.participant_id)].append(as_segment(row))
        conn.execute(summaries.insert(), [
            {"session_id": session_id, "person_id": person_id, "participant_id": participant_id,
             "participant_ids": sorted(ids), "present": PresentTime.of(found.get((person_id, participant_id), [])).as_json(),
             "updated_at": now}
            for (person_id, participant_id), ids in members.items()])


def downgrade() -> None:
    op.drop_table('attendance_summaries')
    with op.batch_alter_table('attendance_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_events_stream_id'))
        batch_op.drop_index('ix_attendance_events_meeting_event')

    op.drop_table('attendance_events')
    with op.batch_alter_table('attendance_streams', schema=None) as batch_op:
        batch_op.drop_index('ix_attendance_streams_meeting_user')
        batch_op.drop_index('ix_attendance_streams_meeting_participant')
        batch_op.drop_index('ix_attendance_streams_meeting_parent')

    op.drop_table('attendance_streams')
