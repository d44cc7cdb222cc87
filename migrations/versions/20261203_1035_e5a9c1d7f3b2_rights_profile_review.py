"""rights profile review: an administrator verifies or refuses a right holder's rights profile

Revision ID: e5a9c1d7f3b2
Revises: d81f3a6c2b57
Create Date: 2026-12-03 10:35:00
"""

from alembic import op
import sqlalchemy as sa

import odr.models_base


revision = "e5a9c1d7f3b2"
down_revision = "d81f3a6c2b57"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rights_profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_status", sa.String(length=16), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("waiting_since", odr.models_base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("reviewed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reviewed_at", odr.models_base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("refusal_reason", sa.Text(), nullable=False, server_default=""))
        batch_op.create_index(batch_op.f("ix_rights_profiles_review_status"), ["review_status"], unique=False)
        batch_op.create_foreign_key(
            "fk_rights_profiles_reviewed_by_id_accounts", "accounts", ["reviewed_by_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("rights_profiles", schema=None) as batch_op:
        batch_op.drop_constraint("fk_rights_profiles_reviewed_by_id_accounts", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_rights_profiles_review_status"))
        batch_op.drop_column("refusal_reason")
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("reviewed_by_id")
        batch_op.drop_column("waiting_since")
        batch_op.drop_column("review_status")
