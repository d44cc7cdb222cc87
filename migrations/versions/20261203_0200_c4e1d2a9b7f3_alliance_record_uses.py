"""alliance record uses: a member's finding matched an account reported here, and who was told

Revision ID: c4e1d2a9b7f3
Revises: 9d41e7a2c5b8
Create Date: 2026-12-03 02:00:00
"""

from alembic import op
import sqlalchemy as sa

import odr.models_base


revision = "c4e1d2a9b7f3"
down_revision = "9d41e7a2c5b8"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "alliance_record_uses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("told", sa.String(length=16), nullable=False),
        sa.Column("told_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["linkage_accounts.id"]),
        sa.ForeignKeyConstraint(["record_id"], ["alliance_records.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("record_id", "account_id", name="uq_alliance_record_uses_record_account"),
    )
    with op.batch_alter_table("alliance_record_uses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alliance_record_uses_record_id"), ["record_id"], unique=False)


def downgrade():
    with op.batch_alter_table("alliance_record_uses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alliance_record_uses_record_id"))
    op.drop_table("alliance_record_uses")
