"""delivery statements: the text the law requires a delivery to say, as served

Revision ID: c3a9e5d17b20
Revises: b20c0ffee020
Create Date: 2026-12-03 02:00:00

A delivery keeps the legal statement rendered for its addressee (template, citation, language, text),
so the case's chain and the court bundle show what was served.
"""

from alembic import op
import sqlalchemy as sa


revision = "c3a9e5d17b20"
down_revision = "b20c0ffee020"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("statement", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("statement")
