"""second factor: TOTP secret, confirmation and last step on accounts; hashed single-use recovery codes

Revision ID: b7c41e2d9f05
Revises: e7a3c5b9d214
Create Date: 2026-12-03 07:05:00
"""

from alembic import op
import sqlalchemy as sa

import odr.models_base


revision = "b7c41e2d9f05"
down_revision = "e7a3c5b9d214"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("totp_confirmed_at", odr.models_base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("code_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.Column("used_at", odr.models_base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_recovery_codes_account_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
        sa.UniqueConstraint("code_sha256", name=op.f("uq_recovery_codes_code_sha256")),
    )
    with op.batch_alter_table("recovery_codes") as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_codes_account_id"), ["account_id"], unique=False)


def downgrade():
    with op.batch_alter_table("recovery_codes") as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_codes_account_id"))
    op.drop_table("recovery_codes")
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_confirmed_at")
        batch_op.drop_column("totp_secret")
