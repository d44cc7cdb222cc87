"""measure reminders: each reminder of a measure the platform has not confirmed, claimed once per threshold

Revision ID: e7a3c5b9d214
Revises: d5e2f8a1c047
Create Date: 2026-12-03 07:00:00
"""

from alembic import op
import sqlalchemy as sa

import odr.models_base


revision = "e7a3c5b9d214"
down_revision = "d5e2f8a1c047"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "measure_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("hours_after", sa.Integer(), nullable=False),
        sa.Column("sent_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["measure_id"], ["measures.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("measure_id", "hours_after"),
    )


def downgrade():
    op.drop_table("measure_reminders")
