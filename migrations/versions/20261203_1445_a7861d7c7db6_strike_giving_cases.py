"""strike-giving cases: a seller's cases with a strike-giving event, by seller and time

The repeat-infringer count looked for a seller's recent strikes in the events of each of the seller's cases,
newest case first (an EXISTS per case, its JSON cause compared), so a seller with many cases and few strikes cost
a walk of most of them at each strike. The count now reads this index; whether a strike stands is still read
from the timeline. The cases that already have such an event (a court's decision, or a change of state for a
cause the conduct policy counts as uncontested) are put in it from their events.

Revision ID: a7861d7c7db6
Revises: f2c8a5d1e7b3
Create Date: 2026-12-03 14:45:00
"""

from alembic import op
import sqlalchemy as sa

import odr.models_base


revision = "a7861d7c7db6"
down_revision = "f2c8a5d1e7b3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "conduct_strike_giving_cases",
        sa.Column("case_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seller_party_id", sa.Integer(), nullable=False),
        sa.Column("last_event_at", odr.models_base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_conduct_strike_giving_cases_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["seller_party_id"], ["parties.id"], name=op.f("fk_conduct_strike_giving_cases_seller_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_conduct_strike_giving_cases")),
    )
    with op.batch_alter_table("conduct_strike_giving_cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_conduct_strike_giving_cases_seller", ["seller_party_id", "last_event_at", "case_id"], unique=False
        )
    _index_existing_cases()


def _index_existing_cases():
    # The causes the policy in force counts as uncontested (rules/policy/conduct.yaml), as the count reads them.
    from odr.conduct.policy import policy

    causes = sorted(policy().record.uncontested_causes)
    events = sa.table(
        "events",
        sa.column("case_id", sa.Integer()),
        sa.column("kind", sa.String()),
        sa.column("actor_case_role", sa.String()),
        sa.column("payload", sa.JSON()),
        sa.column("created_at", odr.models_base.UTCDateTime()),
    )
    cases = sa.table("cases", sa.column("id", sa.Integer()), sa.column("respondent_party_id", sa.Integer()))
    strike_giving = sa.or_(
        sa.and_(events.c.kind == "decision_filed", events.c.actor_case_role == "court"),
        sa.and_(events.c.kind == "state_changed", events.c.payload["cause"].as_string().in_(causes)),
    )
    latest = (
        sa.select(events.c.case_id, cases.c.respondent_party_id, sa.func.max(events.c.created_at))
        .join_from(events, cases, cases.c.id == events.c.case_id)
        .where(strike_giving)
        .group_by(events.c.case_id, cases.c.respondent_party_id)
    )
    index = sa.table(
        "conduct_strike_giving_cases",
        sa.column("case_id", sa.Integer()),
        sa.column("seller_party_id", sa.Integer()),
        sa.column("last_event_at", odr.models_base.UTCDateTime()),
    )
    op.execute(index.insert().from_select(["case_id", "seller_party_id", "last_event_at"], latest))


def downgrade():
    with op.batch_alter_table("conduct_strike_giving_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_conduct_strike_giving_cases_seller")
    op.drop_table("conduct_strike_giving_cases")
