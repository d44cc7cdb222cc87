"""dsa lane: reviews of notices, statements of reasons, internal complaints (issue 13)

Revision ID: 5b1d2c3e4f60
Revises: b21c0ffee021
Create Date: 2026-12-03 02:30:00

A reviewer's reasoned decision on each notice under the EU procedure (DSA Art. 16), the statements of reasons
(Art. 17) with their versions, and the internal complaints of the seller and the notifier (Art. 20).
"""

from alembic import op
import sqlalchemy as sa

import odr.models_base


revision = "5b1d2c3e4f60"
down_revision = "b21c0ffee021"
branch_labels = None
depends_on = None


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def upgrade():
    op.create_table(
        "dsa_notice_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("status", _enum("dsa_review_status", "pending", "decided", "withdrawn"), nullable=False),
        sa.Column("priority", sa.Boolean(), nullable=False),
        sa.Column("trusted_flagger", sa.String(length=300), nullable=True),
        sa.Column("triage", sa.JSON(), nullable=False),
        sa.Column("outcome", _enum("dsa_notice_outcome", "restrict", "no_action"), nullable=True),
        sa.Column("ground", _enum("dsa_decision_ground", "illegal_content", "incompatible_content"), nullable=True),
        sa.Column("legal_ground", sa.String(length=500), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("automated_detection", sa.Boolean(), nullable=False),
        sa.Column("used_suggestion", sa.Boolean(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", odr.models_base.UTCDateTime(), nullable=True),
        sa.Column("created_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["decided_by_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id"),
    )
    with op.batch_alter_table("dsa_notice_reviews") as batch:
        batch.create_index("ix_dsa_notice_reviews_status", ["status"])
        batch.create_index("ix_dsa_notice_reviews_priority", ["priority"])
        batch.create_index("ix_dsa_notice_reviews_created_at", ["created_at"])
    op.create_table(
        "dsa_statements_of_reasons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("puid", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("created_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("puid"),
    )
    with op.batch_alter_table("dsa_statements_of_reasons") as batch:
        batch.create_index("ix_dsa_statements_of_reasons_case_id", ["case_id"])
        batch.create_index("ix_dsa_statements_of_reasons_created_at", ["created_at"])
    op.create_table(
        "dsa_complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("against", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("filed_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.Column("informed_at", odr.models_base.UTCDateTime(), nullable=True),
        sa.Column("window_ends_at", odr.models_base.UTCDateTime(), nullable=True),
        sa.Column("status", _enum("dsa_complaint_status", "open", "upheld", "rejected"), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", odr.models_base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["decided_by_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dsa_complaints") as batch:
        batch.create_index("ix_dsa_complaints_case_id", ["case_id"])
        batch.create_index("ix_dsa_complaints_status", ["status"])


def downgrade():
    op.drop_table("dsa_complaints")
    op.drop_table("dsa_statements_of_reasons")
    op.drop_table("dsa_notice_reviews")
