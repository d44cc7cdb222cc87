"""seller securities: a seller's security to keep its listings online while the case runs (Platform Rule 19)

Revision ID: 5ec0a1b2c3d4
Revises: e1a2b3c4d5f6
Create Date: 2026-12-03 07:00:00
"""

from alembic import op
import sqlalchemy as sa

import odr.models_base


revision = "5ec0a1b2c3d4"
down_revision = "e1a2b3c4d5f6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "seller_securities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("seller_party_id", sa.Integer(), nullable=False),
        sa.Column("right_holder_party_id", sa.Integer(), nullable=False),
        sa.Column("offered_by_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.String(length=24), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("document_kind", sa.String(length=32), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("rule", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decider_role", sa.String(length=16), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("reasons_language", sa.String(length=8), nullable=False),
        sa.Column("decided_at", odr.models_base.UTCDateTime(), nullable=True),
        sa.Column("released_at", odr.models_base.UTCDateTime(), nullable=True),
        sa.Column("release_ground", sa.String(length=64), nullable=False),
        sa.Column("offered_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["seller_party_id"], ["parties.id"]),
        sa.ForeignKeyConstraint(["right_holder_party_id"], ["parties.id"]),
        sa.ForeignKeyConstraint(["offered_by_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["evidence_id"], ["evidence_files.id"]),
        sa.ForeignKeyConstraint(["decided_by_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("seller_securities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seller_securities_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_seller_securities_seller_party_id"), ["seller_party_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_seller_securities_status"), ["status"], unique=False)


def downgrade():
    op.drop_table("seller_securities")
