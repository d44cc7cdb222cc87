"""deadlines by case and status: a case's pending deadlines read through (case_id, status, due_at)

SQLite's planner, without statistics, read a case's pending deadlines (WHERE case_id = ? AND status = ? ORDER BY
due_at) through (status, due_at) and walked every pending deadline of the platform. The new index serves that
query and every look-up by case alone, so it replaces ix_deadlines_case_id.

Revision ID: b6f0d4a2c9e1
Revises: e5a9c1d7f3b2
Create Date: 2026-12-03 13:10:00
"""

from alembic import op


revision = "b6f0d4a2c9e1"
down_revision = "e5a9c1d7f3b2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.create_index("ix_deadlines_case_id_status_due_at", ["case_id", "status", "due_at"], unique=False)
        batch_op.drop_index("ix_deadlines_case_id")


def downgrade():
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.create_index("ix_deadlines_case_id", ["case_id"], unique=False)
        batch_op.drop_index("ix_deadlines_case_id_status_due_at")
