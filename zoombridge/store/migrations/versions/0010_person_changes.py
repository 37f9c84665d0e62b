"""New details given on the public page, waiting for the person to confirm them (issue 13, item 9)

A public registration no longer changes a stored person: it records the change here and emails
the person a link to confirm it (zoombridge.people.details).

Revision ID: 0010_person_changes
Revises: 0008_issue14
Create Date: 2026-12-02 16:10:44.412443
"""
from alembic import op
import sqlalchemy as sa
import zoombridge.store.types


revision = '0010_person_changes'
down_revision = '0008_issue14'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('person_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('wanted', sa.JSON(), nullable=False),
    sa.Column('basis', sa.String(length=64), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=True),
    sa.Column('requested_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_person_changes_person_id_people')),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_person_changes_session_id_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_changes'))
    )
    with op.batch_alter_table('person_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_changes_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_changes_requested_at'), ['requested_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('person_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_changes_requested_at'))
        batch_op.drop_index(batch_op.f('ix_person_changes_person_id'))

    op.drop_table('person_changes')
