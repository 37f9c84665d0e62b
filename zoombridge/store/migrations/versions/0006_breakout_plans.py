"""Breakout plans: one row per plan made for a session (history kept), with what Zoom accepted.

Revision ID: 0006
Revises: 0001
Create Date: 2026-11-24 01:43:45.344901
"""
from alembic import op
import sqlalchemy as sa
import zoombridge.store.types


revision = '0006'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('breakout_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('created_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('seed', sa.BigInteger(), nullable=False),
    sa.Column('round_count', sa.Integer(), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('plan', sa.JSON(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.Column('pushed_to_zoom_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('zoom_result', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_breakout_plans_session_id_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_breakout_plans'))
    )
    with op.batch_alter_table('breakout_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_breakout_plans_session_id'), ['session_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('breakout_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_breakout_plans_session_id'))

    op.drop_table('breakout_plans')
