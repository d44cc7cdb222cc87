"""reminders: each reminder before a deadline, claimed once per deadline, role and hours before

Revision ID: d5e2f8a1c047
Revises: 68819db9417e, a0d17e5f9c31
Create Date: 2026-12-03 03:15:00
"""

from alembic import op
import sqlalchemy as sa

import odr.models_base


revision = "d5e2f8a1c047"
down_revision = ("68819db9417e", "a0d17e5f9c31")
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deadline_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("hours_before", sa.Integer(), nullable=False),
        sa.Column("sent_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["deadline_id"], ["deadlines.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("deadline_id", "role", "hours_before"),
    )


def downgrade():
    op.drop_table("reminders")
