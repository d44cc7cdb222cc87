"""translation reliability: how a filing's language was settled; incomplete translations; translated terms

Revision ID: a17c0ffee017
Revises: 6e00f933e090
Create Date: 2026-12-02 23:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "a17c0ffee017"
down_revision = "6e00f933e090"
branch_labels = None
depends_on = None


def upgrade():
    # Filings before this were not checked: declared and detected stay empty (unknown), not guessed.
    with op.batch_alter_table("filings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language_declared", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("language_detected", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("language_confidence", sa.Float(), nullable=True))
    with op.batch_alter_table("translations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("terms", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("incomplete", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("untranslated", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("translations", schema=None) as batch_op:
        batch_op.drop_column("untranslated")
        batch_op.drop_column("incomplete")
        batch_op.drop_column("terms")
    with op.batch_alter_table("filings", schema=None) as batch_op:
        batch_op.drop_column("language_confidence")
        batch_op.drop_column("language_detected")
        batch_op.drop_column("language_declared")
