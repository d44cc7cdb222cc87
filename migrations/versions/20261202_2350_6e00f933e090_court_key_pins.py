"""court key pins

Revision ID: 6e00f933e090
Revises: 357cb2398b62
Create Date: 2026-12-02 22:43:48.030011

"""

from alembic import op
import sqlalchemy as sa

import odr.models_base


# revision identifiers, used by Alembic.
revision = "6e00f933e090"
down_revision = "357cb2398b62"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "court_key_pins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("pinned_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_court_key_pins_account_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_court_key_pins")),
        sa.UniqueConstraint("account_id", name=op.f("uq_court_key_pins_account_id")),
    )


def downgrade():
    op.drop_table("court_key_pins")
