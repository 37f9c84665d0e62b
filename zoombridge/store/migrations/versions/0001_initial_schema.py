"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 01:28:30.928414
"""
from alembic import op
import sqlalchemy as sa
import zoombridge.store.types


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=80), nullable=False),
    sa.Column('subject_type', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.String(length=40), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_table('people',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('first_name', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('is_staff', sa.Boolean(), nullable=False),
    sa.Column('created_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_people')),
    sa.UniqueConstraint('email', name=op.f('uq_people_email'))
    )
    op.create_table('session_series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('rule', sa.JSON(), nullable=False),
    sa.Column('zoom_meeting_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_series'))
    )
    op.create_table('staff_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_staff_tokens_token_hash'))
    )
    op.create_table('webhook_inbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('dedupe_key', sa.String(length=128), nullable=False),
    sa.Column('event', sa.String(length=80), nullable=False),
    sa.Column('meeting_uuid', sa.String(length=64), nullable=True),
    sa.Column('event_ts', sa.BigInteger(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('received_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('processed_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_inbox')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_webhook_inbox_dedupe_key'))
    )
    with op.batch_alter_table('webhook_inbox', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_inbox_meeting_status', ['meeting_uuid', 'status'], unique=False)

    op.create_table('sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('overrides', sa.JSON(), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=True),
    sa.Column('zoom_occurrence_id', sa.String(length=40), nullable=True),
    sa.Column('zoom_meeting_id', sa.BigInteger(), nullable=True),
    sa.Column('zoom_meeting_state', sa.String(length=20), nullable=False),
    sa.Column('zoom_details', sa.JSON(), nullable=False),
    sa.Column('captions_state', sa.String(length=20), nullable=False),
    sa.Column('captions_checked_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('started_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('meeting_uuid', sa.String(length=64), nullable=True),
    sa.Column('attendance_final_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['series_id'], ['session_series.id'], name=op.f('fk_sessions_series_id_session_series')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sessions'))
    )
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sessions_meeting_uuid'), ['meeting_uuid'], unique=False)
        batch_op.create_index(batch_op.f('ix_sessions_zoom_meeting_id'), ['zoom_meeting_id'], unique=False)

    op.create_table('participants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_uuid', sa.String(length=64), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('participant_key', sa.String(length=200), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('registrant_id', sa.String(length=64), nullable=True),
    sa.Column('zoom_user_id', sa.String(length=64), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('matched_by', sa.String(length=20), nullable=True),
    sa.Column('created_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_participants_person_id_people')),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_participants_session_id_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participants')),
    sa.UniqueConstraint('meeting_uuid', 'participant_key', name='uq_participants_meeting_key')
    )
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participants_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_participants_session_id'), ['session_id'], unique=False)

    op.create_table('payment_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_current', sa.Boolean(), nullable=False),
    sa.Column('rule_version', sa.String(length=40), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('eligible', sa.Boolean(), nullable=False),
    sa.Column('amount_pence', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reviewed_by', sa.String(length=120), nullable=True),
    sa.Column('reviewed_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('exported_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('export_batch', sa.String(length=40), nullable=True),
    sa.Column('created_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_payment_decisions_person_id_people')),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_payment_decisions_session_id_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_decisions')),
    sa.UniqueConstraint('session_id', 'person_id', 'version', name='uq_payment_decisions_version')
    )
    with op.batch_alter_table('payment_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_decisions_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_decisions_session_id'), ['session_id'], unique=False)

    op.create_table('registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('joins_by', sa.String(length=10), nullable=False),
    sa.Column('access_needs', sa.Text(), nullable=False),
    sa.Column('wants_payment', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('zoom_registrant_id', sa.String(length=64), nullable=True),
    sa.Column('join_url', sa.Text(), nullable=True),
    sa.Column('participant_pin_code', sa.String(length=20), nullable=True),
    sa.Column('link_sent_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminder_sent_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_registrations_person_id_people')),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_registrations_session_id_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registrations')),
    sa.UniqueConstraint('session_id', 'person_id', name='uq_registrations_session_person')
    )
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registrations_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_registrations_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_registrations_zoom_registrant_id'), ['zoom_registrant_id'], unique=False)

    op.create_table('attendance_segments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('meeting_uuid', sa.String(length=64), nullable=False),
    sa.Column('place', sa.String(length=20), nullable=False),
    sa.Column('room', sa.String(length=64), nullable=True),
    sa.Column('joined_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('left_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('closed_by', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_attendance_segments_participant_id_participants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_segments'))
    )
    with op.batch_alter_table('attendance_segments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_segments_meeting_uuid'), ['meeting_uuid'], unique=False)
        batch_op.create_index('ix_attendance_segments_participant', ['participant_id', 'place'], unique=False)

    op.create_table('email_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('intent', sa.String(length=120), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_email_messages_registration_id_registrations')),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_email_messages_session_id_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_messages')),
    sa.UniqueConstraint('intent', name=op.f('uq_email_messages_intent'))
    )
    with op.batch_alter_table('email_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_messages_session_id'), ['session_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('email_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_messages_session_id'))

    op.drop_table('email_messages')
    with op.batch_alter_table('attendance_segments', schema=None) as batch_op:
        batch_op.drop_index('ix_attendance_segments_participant')
        batch_op.drop_index(batch_op.f('ix_attendance_segments_meeting_uuid'))

    op.drop_table('attendance_segments')
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registrations_zoom_registrant_id'))
        batch_op.drop_index(batch_op.f('ix_registrations_session_id'))
        batch_op.drop_index(batch_op.f('ix_registrations_person_id'))

    op.drop_table('registrations')
    with op.batch_alter_table('payment_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_decisions_session_id'))
        batch_op.drop_index(batch_op.f('ix_payment_decisions_person_id'))

    op.drop_table('payment_decisions')
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participants_session_id'))
        batch_op.drop_index(batch_op.f('ix_participants_person_id'))

    op.drop_table('participants')
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sessions_zoom_meeting_id'))
        batch_op.drop_index(batch_op.f('ix_sessions_meeting_uuid'))

    op.drop_table('sessions')
    with op.batch_alter_table('webhook_inbox', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_inbox_meeting_status')

    op.drop_table('webhook_inbox')
    op.drop_table('staff_tokens')
    op.drop_table('session_series')
    op.drop_table('people')
    op.drop_table('audit_log')
