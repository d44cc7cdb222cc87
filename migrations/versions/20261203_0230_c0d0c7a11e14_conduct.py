"""conduct: refused notices, wrongful-notice claims and findings, account measures

Revision ID: c0d0c7a11e14
Revises: c3a9e5d17b20
Create Date: 2026-12-03 02:20:00

Records and strikes are computed from outcomes; only what no outcome holds is stored here.
"""

from alembic import op
import sqlalchemy as sa

import odr.models_base


revision = "c0d0c7a11e14"
down_revision = "c3a9e5d17b20"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "conduct_notice_refusals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("jurisdiction", sa.String(length=8), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("refused_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["party_id"], ["parties.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("conduct_notice_refusals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conduct_notice_refusals_party_id"), ["party_id"], unique=False)

    op.create_table(
        "conduct_wrongful_notice_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("seller_party_id", sa.Integer(), nullable=False),
        sa.Column("notifier_party_id", sa.Integer(), nullable=False),
        sa.Column("claimed_by_id", sa.Integer(), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("loss_amount", sa.String(length=24), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decider_role", sa.String(length=16), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("reasons_language", sa.String(length=8), nullable=False),
        sa.Column("consequence", sa.JSON(), nullable=False),
        sa.Column("created_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.Column("decided_at", odr.models_base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["claimed_by_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["decided_by_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["notifier_party_id"], ["parties.id"]),
        sa.ForeignKeyConstraint(["seller_party_id"], ["parties.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id"),
    )
    with op.batch_alter_table("conduct_wrongful_notice_claims", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conduct_wrongful_notice_claims_notifier_party_id"), ["notifier_party_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_conduct_wrongful_notice_claims_seller_party_id"), ["seller_party_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_conduct_wrongful_notice_claims_status"), ["status"], unique=False)

    op.create_table(
        "conduct_account_measures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("policy", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("jurisdiction", sa.String(length=8), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("starts_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.Column("ends_at", odr.models_base.UTCDateTime(), nullable=True),
        sa.Column("appeal_text", sa.Text(), nullable=False),
        sa.Column("appealed_at", odr.models_base.UTCDateTime(), nullable=True),
        sa.Column("appeal_decision", sa.String(length=16), nullable=False),
        sa.Column("appeal_reasons", sa.Text(), nullable=False),
        sa.Column("appeal_decided_by_id", sa.Integer(), nullable=True),
        sa.Column("appeal_decided_at", odr.models_base.UTCDateTime(), nullable=True),
        sa.Column("closed_at", odr.models_base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["appeal_decided_by_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["party_id"], ["parties.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("conduct_account_measures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conduct_account_measures_ends_at"), ["ends_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_conduct_account_measures_party_id"), ["party_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_conduct_account_measures_status"), ["status"], unique=False)


def downgrade():
    op.drop_table("conduct_account_measures")
    op.drop_table("conduct_wrongful_notice_claims")
    op.drop_table("conduct_notice_refusals")
