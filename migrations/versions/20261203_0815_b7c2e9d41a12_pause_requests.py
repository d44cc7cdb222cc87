"""pause requests: the right holder asks, with proof, that notarization delays not count (CN)

Revision ID: b7c2e9d41a12
Revises: 7d0c5e3a9b12
Create Date: 2026-12-03 07:10:00
"""

from alembic import op
import sqlalchemy as sa

import odr.models_base


revision = "b7c2e9d41a12"
down_revision = "7d0c5e3a9b12"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "pause_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("deadline_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("proof_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "granted", "refused", name="pause_status", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("granted_count", sa.Integer(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", odr.models_base.UTCDateTime(), nullable=True),
        sa.Column("decision_reasons", sa.String(length=2000), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["deadline_id"], ["deadlines.id"]),
        sa.ForeignKeyConstraint(["proof_id"], ["evidence_files.id"]),
        sa.ForeignKeyConstraint(["requested_by_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["decided_by_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pause_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pause_requests_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pause_requests_deadline_id"), ["deadline_id"], unique=False)


def downgrade():
    with op.batch_alter_table("pause_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pause_requests_deadline_id"))
        batch_op.drop_index(batch_op.f("ix_pause_requests_case_id"))
    op.drop_table("pause_requests")
