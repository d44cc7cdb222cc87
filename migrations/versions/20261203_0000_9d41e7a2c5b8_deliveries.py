"""deliveries: every procedural act served on each addressee, per channel

Revision ID: 9d41e7a2c5b8
Revises: a17c0ffee017
Create Date: 2026-12-03 00:00:00

One row per act, addressee and channel (inbox, e-mail) with when it was made available, accepted by the
mail server, refused for good and first opened; the outbox keeps a permanent refusal.
"""

from alembic import op
import sqlalchemy as sa

import odr.models_base


revision = "9d41e7a2c5b8"
down_revision = "a17c0ffee017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("act", sa.String(length=32), nullable=False),
        sa.Column("event_kind", sa.String(length=64), nullable=False),
        sa.Column("filing_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("party_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=True),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("made_available_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.Column("accepted_at", odr.models_base.UTCDateTime(), nullable=True),
        sa.Column("failed_at", odr.models_base.UTCDateTime(), nullable=True),
        sa.Column("failure", sa.String(length=500), nullable=True),
        sa.Column("opened_at", odr.models_base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["filing_id"], ["filings.id"]),
        sa.ForeignKeyConstraint(["notification_id"], ["notifications.id"]),
        sa.ForeignKeyConstraint(["party_id"], ["parties.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_deliveries_account_unread", ["account_id", "channel", "opened_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_deliveries_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_deliveries_notification_id"), ["notification_id"], unique=False)
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_at", odr.models_base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("failure", sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("failure")
        batch_op.drop_column("failed_at")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliveries_notification_id"))
        batch_op.drop_index(batch_op.f("ix_deliveries_case_id"))
        batch_op.drop_index("ix_deliveries_account_unread")
    op.drop_table("deliveries")
