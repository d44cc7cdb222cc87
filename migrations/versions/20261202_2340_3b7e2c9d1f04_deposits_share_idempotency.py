"""deposits use the shared idempotency record

Revision ID: 3b7e2c9d1f04
Revises: f83db5a0db79
Create Date: 2026-12-02 23:40:00

Deposits answered a reused Idempotency-Key with the old deposit whatever the body; they now use
idempotent_requests like every other submission, so their own key column goes.
"""

from alembic import op
import sqlalchemy as sa


revision = "3b7e2c9d1f04"
down_revision = "f83db5a0db79"
branch_labels = None
depends_on = None


def upgrade():
    deposits = sa.table(
        "deposits",
        sa.column("id", sa.Integer),
        sa.column("account_id", sa.Integer),
        sa.column("idempotency_key", sa.String),
    )
    requests = sa.table(
        "idempotent_requests",
        sa.column("account_id", sa.Integer),
        sa.column("key", sa.String),
        sa.column("request_sha256", sa.String),
        sa.column("result_kind", sa.String),
        sa.column("result_id", sa.Integer),
    )
    conn = op.get_bind()
    # Keys of earlier deposits keep answering retries with their deposit (the body digest is unknown: a
    # retry with that key and any body is then refused as a different submission, never duplicated).
    for row in conn.execute(
        sa.select(deposits.c.id, deposits.c.account_id, deposits.c.idempotency_key).where(
            deposits.c.idempotency_key.is_not(None)
        )
    ):
        conn.execute(
            requests.insert().values(
                account_id=row.account_id,
                key=row.idempotency_key,
                request_sha256="",
                result_kind="deposits",
                result_id=row.id,
            )
        )
    with op.batch_alter_table("deposits", schema=None) as batch_op:
        batch_op.drop_constraint("uq_deposits_account_id", type_="unique")
        batch_op.drop_column("idempotency_key")


def downgrade():
    with op.batch_alter_table("deposits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=128), nullable=True))
        batch_op.create_unique_constraint("uq_deposits_account_id", ["account_id", "idempotency_key"])
