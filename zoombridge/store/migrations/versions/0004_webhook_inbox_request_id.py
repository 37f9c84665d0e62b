"""webhook inbox: x-zm-request-id for tracing a delivery, and an index for the inbox sweeper

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-24 01:40:17.077205
"""
from alembic import op
import sqlalchemy as sa
import zoombridge.store.types


revision = '0004'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('webhook_inbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_webhook_inbox_status_received', ['status', 'received_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('webhook_inbox', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_inbox_status_received')
        batch_op.drop_column('request_id')
