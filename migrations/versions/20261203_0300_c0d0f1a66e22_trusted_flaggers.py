"""trusted flaggers registry (DSA Art. 22)

Revision ID: c0d0f1a66e22
Revises: 5b1d2c3e4f60
Create Date: 2026-12-03 03:00:00
"""

from alembic import op
import sqlalchemy as sa

import odr.models_base


revision = "c0d0f1a66e22"
down_revision = "5b1d2c3e4f60"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "conduct_trusted_flaggers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("member_state", sa.String(length=2), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("reference", sa.String(length=300), nullable=False),
        sa.Column("awarded_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=2000), nullable=False),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["party_id"], ["parties.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("conduct_trusted_flaggers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conduct_trusted_flaggers_party_id"), ["party_id"], unique=False)


def downgrade():
    op.drop_table("conduct_trusted_flaggers")
