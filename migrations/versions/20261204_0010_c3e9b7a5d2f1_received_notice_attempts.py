"""received notice attempts: a notice whose opening fails unexpectedly is given up after a number of claims

A received notice whose opening raised an unexpected error stayed queued and was claimed again at each lease, for
ever, its filer reading "queued". Each claim now counts, and after the last attempt the receipt is marked failed
with an error (status "failed" needs no change of the column: the status is stored as text).

Revision ID: c3e9b7a5d2f1
Revises: a7861d7c7db6
Create Date: 2026-12-04 00:10:00
"""

from alembic import op
import sqlalchemy as sa


revision = "c3e9b7a5d2f1"
down_revision = "a7861d7c7db6"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("received_notices") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("received_notices") as batch:
        batch.drop_column("attempts")
