"""rights profiles: a right holder's identity, registrations and documents, reused on each notice

Revision ID: d81f3a6c2b57
Revises: c4d8e2f1a7b6
Create Date: 2026-12-03 09:50:00
"""

from alembic import op
import sqlalchemy as sa

import odr.models_base


revision = "d81f3a6c2b57"
down_revision = "c4d8e2f1a7b6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rights_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("identity", sa.Text(), nullable=False),
        sa.Column("registrations", sa.Text(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=False),
        sa.Column("signatory", sa.String(length=300), nullable=False),
        sa.Column("updated_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id"),
    )
    op.create_table(
        "rights_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(length=127), nullable=False),
        sa.Column("uploaded_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "kind"),
        sa.UniqueConstraint("stored_name"),
    )
    with op.batch_alter_table("rights_documents") as batch:
        batch.create_index("ix_rights_documents_account_id", ["account_id"], unique=False)


def downgrade():
    with op.batch_alter_table("rights_documents") as batch:
        batch.drop_index("ix_rights_documents_account_id")
    op.drop_table("rights_documents")
    op.drop_table("rights_profiles")
