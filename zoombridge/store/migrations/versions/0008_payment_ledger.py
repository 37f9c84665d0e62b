"""Payment ledger, row versions for review/export races, staff token expiry (issue 13)

Exported decisions made before the ledger existed are written into it as they were sent (one
line per exported version, at its full amount, in export order), so the ledger's sum is what
finance was really asked to pay and later exports pay only differences. Tokens made before
expiry existed expire 90 days after this upgrade.

Revision ID: 0008_ledger
Revises: 0005
Create Date: 2026-12-02 14:53:20.281716
"""
from alembic import op
import sqlalchemy as sa
import zoombridge.store.types


revision = '0008_ledger'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('payment_ledger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.Column('decision_version', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('amount_pence', sa.Integer(), nullable=False),
    sa.Column('due_pence', sa.Integer(), nullable=False),
    sa.Column('paid_before_pence', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('policy_pence', sa.Integer(), nullable=False),
    sa.Column('above_policy_pence', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('batch', sa.String(length=40), nullable=False),
    sa.Column('exported_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('exported_by', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['decision_id'], ['payment_decisions.id'], name=op.f('fk_payment_ledger_decision_id_payment_decisions')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_payment_ledger_person_id_people')),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_payment_ledger_session_id_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_ledger')),
    sa.UniqueConstraint('decision_id', name='uq_payment_ledger_decision_id')
    )
    with op.batch_alter_table('payment_ledger', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_ledger_batch'), ['batch'], unique=False)
        batch_op.create_index('ix_payment_ledger_session_person', ['session_id', 'person_id'], unique=False)

    with op.batch_alter_table('cost_claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('row_version', sa.Integer(), server_default='1', nullable=False))

    with op.batch_alter_table('payment_decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('row_version', sa.Integer(), server_default='1', nullable=False))

    with op.batch_alter_table('staff_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', zoombridge.store.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('hint', sa.String(length=8), server_default='', nullable=False))
        batch_op.add_column(sa.Column('person_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_staff_tokens_person_id_people'), 'people', ['person_id'], ['id'])

    _ledger_from_earlier_exports()
    _expire_old_tokens()


def _ledger_from_earlier_exports() -> None:
    conn = op.get_bind()
    decisions = sa.table("payment_decisions", sa.column("id"), sa.column("session_id"), sa.column("person_id"),
                         sa.column("version"), sa.column("amount_pence"), sa.column("reason"), sa.column("inputs", sa.JSON),
                         sa.column("status"), sa.column("exported_at", zoombridge.store.types.UTCDateTime(timezone=True)),
                         sa.column("export_batch"), sa.column("reviewed_by"))
    ledger = sa.table("payment_ledger", *(sa.column(name) for name in (
        "session_id", "person_id", "decision_id", "decision_version", "kind", "amount_pence", "due_pence",
        "paid_before_pence", "method", "policy_pence", "above_policy_pence", "reason", "batch", "exported_by")),
        sa.column("exported_at", zoombridge.store.types.UTCDateTime(timezone=True)))
    rows = conn.execute(sa.select(decisions).where(decisions.c.exported_at.is_not(None), decisions.c.amount_pence > 0)
                        .order_by(decisions.c.exported_at, decisions.c.id)).all()
    paid: dict[tuple[int, int], int] = {}
    for row in rows:
        key = (row.session_id, row.person_id)
        before = paid.get(key, 0)
        outcome = (row.inputs or {}).get("outcome", {})
        conn.execute(ledger.insert().values(
            session_id=row.session_id, person_id=row.person_id, decision_id=row.id, decision_version=row.version,
            kind="payment" if not before else "correction", amount_pence=row.amount_pence, due_pence=row.amount_pence,
            paid_before_pence=before, method=outcome.get("method") or "cash",
            policy_pence=outcome.get("amount_pence") or 0, above_policy_pence=0,
            reason=(row.reason or "") + " (exported before the ledger)", batch=row.export_batch or "before-ledger",
            exported_at=row.exported_at, exported_by=row.reviewed_by or "before-ledger"))
        paid[key] = before + row.amount_pence


def _expire_old_tokens() -> None:
    from datetime import timedelta

    from zoombridge.clock import SystemClock

    tokens = sa.table("staff_tokens", sa.column("expires_at", zoombridge.store.types.UTCDateTime(timezone=True)))
    op.get_bind().execute(tokens.update().where(tokens.c.expires_at.is_(None))
                          .values(expires_at=SystemClock().now() + timedelta(days=90)))



def downgrade() -> None:
    with op.batch_alter_table('staff_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_staff_tokens_person_id_people'), type_='foreignkey')
        batch_op.drop_column('person_id')
        batch_op.drop_column('hint')
        batch_op.drop_column('expires_at')

    with op.batch_alter_table('payment_decisions', schema=None) as batch_op:
        batch_op.drop_column('row_version')

    with op.batch_alter_table('cost_claims', schema=None) as batch_op:
        batch_op.drop_column('row_version')

    with op.batch_alter_table('payment_ledger', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_ledger_session_person')
        batch_op.drop_index(batch_op.f('ix_payment_ledger_batch'))

    op.drop_table('payment_ledger')
