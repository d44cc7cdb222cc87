"""sessions that end: server-side sign-in sessions, and API tokens with an expiry

Revision ID: b21c0ffee021
Revises: c0d0c7a11e14
Create Date: 2026-12-03 02:30:00

A browser's cookie names a row of sign_in_sessions, ended at sign-out, on a password change or by an
administrator. Tokens made before this revision expire 30 days after it.
"""

from alembic import op
import sqlalchemy as sa

import odr.models_base


revision = "b21c0ffee021"
down_revision = "c0d0c7a11e14"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sign_in_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", odr.models_base.UTCDateTime(), nullable=True),
        sa.Column("revoked_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_sign_in_sessions_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_sessions")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_sign_in_sessions_token_sha256")),
    )
    with op.batch_alter_table("sign_in_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_in_sessions_account_id"), ["account_id"], unique=False)
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", odr.models_base.UTCDateTime(), nullable=True))
    # Tokens that never expired get 30 days from now.
    op.execute(
        sa.text("UPDATE api_tokens SET expires_at = :at WHERE expires_at IS NULL").bindparams(
            sa.bindparam("at", odr.models_base.utcnow() + __import__("datetime").timedelta(days=30),
                         type_=odr.models_base.UTCDateTime())
        )
    )


def downgrade():
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
    with op.batch_alter_table("sign_in_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_sessions_account_id"))
    op.drop_table("sign_in_sessions")
