"""notification preferences: how each account is told by e-mail; deliveries know whether the law
requires them and which daily digest holds them

Existing deliveries are not legally required (they were all e-mailed at once).

Revision ID: 68819db9417e
Revises: c0d0f1a66e22
Create Date: 2026-12-03 02:21:59.504779

"""

from alembic import op
import sqlalchemy as sa

import odr.models_base


revision = "68819db9417e"
down_revision = "c0d0f1a66e22"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notification_preferences",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.String(length=16), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.Column("updated_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_notification_preferences_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_notification_preferences")),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("legally_required", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("digest_on", sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f("ix_deliveries_digest_on"), ["digest_on"], unique=False)


def downgrade():
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliveries_digest_on"))
        batch_op.drop_column("digest_on")
        batch_op.drop_column("legally_required")

    op.drop_table("notification_preferences")
