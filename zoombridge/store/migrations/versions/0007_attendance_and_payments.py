"""attendance reconciliation, payment claims, cost claims (issue 7)

Revision ID: 0007
Revises: 0001
Create Date: 2026-11-24 01:40:23.200467
"""
from alembic import op
import sqlalchemy as sa
import zoombridge.store.types


revision = '0007'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cost_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('amount_pence', sa.Integer(), nullable=False),
    sa.Column('what_for', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reviewed_by', sa.String(length=120), nullable=True),
    sa.Column('reviewed_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=False),
    sa.Column('exported_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('export_batch', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_cost_claims_person_id_people')),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_cost_claims_session_id_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cost_claims'))
    )
    with op.batch_alter_table('cost_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cost_claims_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cost_claims_session_id'), ['session_id'], unique=False)

    op.create_table('attendance_differences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_uuid', sa.String(length=64), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('starts_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('seconds', sa.Integer(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('found_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_attendance_differences_participant_id_participants')),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_attendance_differences_session_id_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_differences'))
    )
    with op.batch_alter_table('attendance_differences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_differences_meeting_uuid'), ['meeting_uuid'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendance_differences_session_id'), ['session_id'], unique=False)

    with op.batch_alter_table('attendance_segments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_left_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payment_choice', sa.String(length=10), server_default='cash', nullable=False))
        batch_op.add_column(sa.Column('public_sector_work_time', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('claim_confirmed_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('written_response_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('preparation_minutes', sa.Integer(), server_default='0', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_column('preparation_minutes')

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_column('written_response_at')
        batch_op.drop_column('claim_confirmed_at')
        batch_op.drop_column('public_sector_work_time')
        batch_op.drop_column('payment_choice')

    with op.batch_alter_table('attendance_segments', schema=None) as batch_op:
        batch_op.drop_column('report_left_at')

    with op.batch_alter_table('attendance_differences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_differences_session_id'))
        batch_op.drop_index(batch_op.f('ix_attendance_differences_meeting_uuid'))

    op.drop_table('attendance_differences')
    with op.batch_alter_table('cost_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cost_claims_session_id'))
        batch_op.drop_index(batch_op.f('ix_cost_claims_person_id'))

    op.drop_table('cost_claims')
