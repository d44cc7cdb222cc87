"""received notices: single notices acknowledged with Prefer: respond-async, their cases opened by the queue

Revision ID: f2c8a5d1e7b3
Revises: b6f0d4a2c9e1
Create Date: 2026-12-03 14:30:00
"""

from alembic import op
import sqlalchemy as sa

import odr.models_base


revision = "f2c8a5d1e7b3"
down_revision = "b6f0d4a2c9e1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "received_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("received_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("remote_addr", sa.String(length=64), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column(
            "status",
            sa.Enum("queued", "filed", "refused", name="receipt_status", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("claimed_until", odr.models_base.UTCDateTime(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("refusal", sa.JSON(), nullable=True),
        sa.Column("processed_at", odr.models_base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("received_notices") as batch:
        batch.create_index("ix_received_notices_status_id", ["status", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("received_notices") as batch:
        batch.drop_index("ix_received_notices_status_id")
    op.drop_table("received_notices")
