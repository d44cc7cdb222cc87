"""one-time links (e-mail verification, password reset) and the account's verified e-mail

Revision ID: e1a2b3c4d5f6
Revises: e4a1b7c2d519
Create Date: 2026-12-03 06:40:00
"""

from alembic import op
import sqlalchemy as sa

import odr.models_base


revision = "e1a2b3c4d5f6"
down_revision = "e4a1b7c2d519"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("email_verified_at", odr.models_base.UTCDateTime(), nullable=True))
    op.create_table(
        "one_time_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.Enum("verify_email", "reset_password", name="link_purpose", native_enum=False, length=32), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("created_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.Column("expires_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.Column("used_at", odr.models_base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_sha256"),
    )
    op.create_index("ix_one_time_links_account_id", "one_time_links", ["account_id"])


def downgrade():
    op.drop_index("ix_one_time_links_account_id", table_name="one_time_links")
    op.drop_table("one_time_links")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("email_verified_at")
