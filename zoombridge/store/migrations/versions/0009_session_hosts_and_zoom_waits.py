"""a host per session, series split over several Zoom meetings, captions per room, jobs waiting on Zoom's limits (issue 14)

Revision ID: 0008_issue14
Revises: 0008_ledger
Create Date: 2026-11-24 12:00:00
"""
from alembic import op
import sqlalchemy as sa
import zoombridge.store.types


revision = '0008_issue14'
down_revision = '0008_ledger'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('meeting_part', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('host', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('captions_method', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('caption_link_until', zoombridge.store.types.UTCDateTime(timezone=True),
                                      nullable=True))
    op.create_table('zoom_waits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('intent', sa.String(length=160), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('what', sa.String(length=200), nullable=False),
    sa.Column('limit', sa.String(length=200), nullable=False),
    sa.Column('until', zoombridge.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_zoom_waits_session_id_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zoom_waits')),
    sa.UniqueConstraint('intent', name=op.f('uq_zoom_waits_intent'))
    )
    with op.batch_alter_table('zoom_waits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_zoom_waits_session_id'), ['session_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('zoom_waits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_zoom_waits_session_id'))
    op.drop_table('zoom_waits')
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_column('caption_link_until')
        batch_op.drop_column('captions_method')
        batch_op.drop_column('host')
        batch_op.drop_column('meeting_part')
