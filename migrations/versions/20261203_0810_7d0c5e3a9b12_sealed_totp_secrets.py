"""sealed TOTP secrets: the two-step sign-in secret kept sealed under ODR_SECRET_KEY, never in clear

Revision ID: 7d0c5e3a9b12
Revises: a11e9d0c4b21
Create Date: 2026-12-03 08:10:00

Existing clear secrets are sealed by this migration with odr.integrity.vault's sealing (AES-256-GCM under a key
derived from the ODR_SECRET_KEY of the app that runs ``flask db upgrade``), bound to the account's id; the
downgrade opens them again.
"""

from alembic import op
import sqlalchemy as sa

from odr.accounts.models import totp_seal_name
from odr.integrity import vault


revision = "7d0c5e3a9b12"
down_revision = "a11e9d0c4b21"
branch_labels = None
depends_on = None

accounts = sa.table(
    "accounts",
    sa.column("id", sa.Integer()),
    sa.column("totp_secret", sa.String(length=64)),
    sa.column("totp_sealed", sa.LargeBinary()),
)


def upgrade():
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_sealed", sa.LargeBinary(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.select(accounts.c.id, accounts.c.totp_secret).where(accounts.c.totp_secret.is_not(None)))
    for account_id, secret in rows.fetchall():
        conn.execute(
            accounts.update()
            .where(accounts.c.id == account_id)
            .values(totp_sealed=vault.seal(totp_seal_name(account_id), secret.encode("ascii")))
        )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("totp_secret")


def downgrade():
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.select(accounts.c.id, accounts.c.totp_sealed).where(accounts.c.totp_sealed.is_not(None)))
    for account_id, sealed in rows.fetchall():
        secret = vault.unseal(totp_seal_name(account_id), sealed).decode("ascii")
        conn.execute(accounts.update().where(accounts.c.id == account_id).values(totp_secret=secret))
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("totp_sealed")
