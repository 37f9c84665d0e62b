"""A person's own data (issue 15): erasure's tombstone marker, and what the retention job dropped

Revision ID: 0011_people_data
Revises: 0010_person_changes
Create Date: 2026-12-02 15:50:00.000000
"""
from alembic import op
import sqlalchemy as sa
import zoombridge.store.types


revision = '0011_people_data'
down_revision = '0010_person_changes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('raw_copies_dropped_at', zoombridge.store.types.UTCDateTime(timezone=True),
                                      nullable=True))

    with op.batch_alter_table('webhook_inbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body_dropped_at', zoombridge.store.types.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('webhook_inbox', schema=None) as batch_op:
        batch_op.drop_column('body_dropped_at')

    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_column('raw_copies_dropped_at')

    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('erased_at')
