"""pending uploads: files of a refused form kept for their uploader until the form is sent again

Revision ID: a11e9d0c4b21
Revises: 5ec0a1b2c3d4
Create Date: 2026-12-03 08:00:00
"""

from alembic import op
import sqlalchemy as sa

import odr.models_base


revision = "a11e9d0c4b21"
down_revision = "5ec0a1b2c3d4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "pending_uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("form", sa.String(length=64), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(length=127), nullable=False),
        sa.Column("created_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.Column("expires_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token"),
        sa.UniqueConstraint("stored_name"),
    )
    with op.batch_alter_table("pending_uploads") as batch:
        batch.create_index("ix_pending_uploads_account_id", ["account_id"], unique=False)
        batch.create_index("ix_pending_uploads_expires_at", ["expires_at"], unique=False)


def downgrade():
    with op.batch_alter_table("pending_uploads") as batch:
        batch.drop_index("ix_pending_uploads_expires_at")
        batch.drop_index("ix_pending_uploads_account_id")
    op.drop_table("pending_uploads")
