"""agreement signatures: who signed in what capacity, where and under which typed name; a blind bidding's listing measure

Revision ID: a9e5c1d2b3f4
Revises: b7c2e9d41a12
Create Date: 2026-12-03 08:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "a9e5c1d2b3f4"
down_revision = "b7c2e9d41a12"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("settlement_acceptances") as batch:
        batch.add_column(sa.Column("signed_name", sa.String(length=200), nullable=False, server_default=""))
        batch.add_column(sa.Column("capacity", sa.String(length=200), nullable=False, server_default=""))
        batch.add_column(sa.Column("place", sa.String(length=200), nullable=False, server_default=""))
    with op.batch_alter_table("blind_biddings") as batch:
        batch.add_column(sa.Column("listing_measure", sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table("blind_biddings") as batch:
        batch.drop_column("listing_measure")
    with op.batch_alter_table("settlement_acceptances") as batch:
        batch.drop_column("place")
        batch.drop_column("capacity")
        batch.drop_column("signed_name")
