"""health-and-safety fast track, product categories, procedure tracks, triage scores

Revision ID: e4a1b7c2d519
Revises: b7c41e2d9f05
Create Date: 2026-12-03 03:30:00
"""

from alembic import op
import sqlalchemy as sa

import odr.models_base


revision = "e4a1b7c2d519"
down_revision = "b7c41e2d9f05"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("product_category", sa.String(length=32), nullable=False, server_default="general"))
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title", sa.String(length=300), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("product_category", sa.String(length=32), nullable=False, server_default="general"))
    with op.batch_alter_table("case_procedures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("track", sa.String(length=16), nullable=False, server_default="standard"))
    op.create_table(
        "conduct_health_safety",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("matches", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("policy_version", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("matched_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.Column("provisional_from", odr.models_base.UTCDateTime(), nullable=True),
        sa.Column("provisional_until", odr.models_base.UTCDateTime(), nullable=True),
        sa.Column("provisional_ended_by", sa.String(length=32), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", odr.models_base.UTCDateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("account_measure_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["account_measure_id"], ["conduct_account_measures.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["decided_by_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id"),
    )
    with op.batch_alter_table("conduct_health_safety", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conduct_health_safety_status"), ["status"], unique=False)
    op.create_table(
        "conduct_notice_triage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("suggestion", sa.String(length=16), nullable=False),
        sa.Column("policy_version", sa.String(length=32), nullable=False),
        sa.Column("scored_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id"),
    )
    with op.batch_alter_table("conduct_notice_triage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conduct_notice_triage_score"), ["score"], unique=False)


def downgrade():
    with op.batch_alter_table("conduct_notice_triage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conduct_notice_triage_score"))
    op.drop_table("conduct_notice_triage")
    with op.batch_alter_table("conduct_health_safety", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conduct_health_safety_status"))
    op.drop_table("conduct_health_safety")
    with op.batch_alter_table("case_procedures", schema=None) as batch_op:
        batch_op.drop_column("track")
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_column("product_category")
        batch_op.drop_column("title")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("product_category")
