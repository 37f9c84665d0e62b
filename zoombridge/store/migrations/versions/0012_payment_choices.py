"""Payment choices per person and session (issue 15): a lower amount they name, a charity paid instead

`registrations.payment_choice` gains `lower` and `charity` (it was cash | voucher | declined);
existing rows keep their value. A ledger line paid to a charity names it (`payment_ledger.payee`).

Revision ID: 0012_payment_choices
Revises: 0011_people_data
Create Date: 2026-12-02 16:20:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0012_payment_choices'
down_revision = '0011_people_data'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lower_amount_pence', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('charity', sa.String(length=120), nullable=True))

    with op.batch_alter_table('payment_ledger', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payee', sa.String(length=120), nullable=True))


def downgrade() -> None:
    # The older code knows no lower amount and no charity: such a choice becomes `declined`, so that
    # no recompute there pays anyone more than they asked for (staff enter it again after upgrading).
    op.execute("UPDATE registrations SET payment_choice = 'declined' WHERE payment_choice IN ('lower', 'charity')")
    with op.batch_alter_table('payment_ledger', schema=None) as batch_op:
        batch_op.drop_column('payee')
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_column('charity')
        batch_op.drop_column('lower_amount_pence')
