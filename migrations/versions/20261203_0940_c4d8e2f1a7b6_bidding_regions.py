"""blind bidding: the regions of a restriction by region agreed before anyone bids

Revision ID: c4d8e2f1a7b6
Revises: c4d7e2f19a60
Create Date: 2026-12-03 09:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = "c4d8e2f1a7b6"
down_revision = "c4d7e2f19a60"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("blind_biddings") as batch:
        batch.add_column(sa.Column("listing_regions", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("blind_biddings") as batch:
        batch.drop_column("listing_regions")
