"""notice drafts: a guided notice's state between its steps, kept for its owner until filed or expired

Revision ID: c4d7e2f19a60
Revises: a9e5c1d2b3f4
Create Date: 2026-12-03 09:30:00
"""

from alembic import op
import sqlalchemy as sa

import odr.models_base


revision = "c4d7e2f19a60"
down_revision = "a9e5c1d2b3f4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notice_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.Column("expires_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("notice_drafts") as batch:
        batch.create_index("ix_notice_drafts_account_id", ["account_id"], unique=False)
        batch.create_index("ix_notice_drafts_expires_at", ["expires_at"], unique=False)


def downgrade():
    with op.batch_alter_table("notice_drafts") as batch:
        batch.drop_index("ix_notice_drafts_expires_at")
        batch.drop_index("ix_notice_drafts_account_id")
    op.drop_table("notice_drafts")
