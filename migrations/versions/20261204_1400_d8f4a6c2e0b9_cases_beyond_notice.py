"""cases beyond notice: whether a case's timeline holds an act that may decide its outcome, indexed by party

A new notice's triage and good-faith lane count the outcomes of its parties' cases; they looked for outcome events
in the timeline of every case of both parties (an EXISTS per case, its JSON cause compared), so a platform filing
thousands of notices paid for all its earlier ones at each new one (10 ms a notice at 1,000 cases on SQLite, growing
with each). A case now says whether its timeline went beyond the notice (a change of state after the opening, a
decision, an evaluation's decision, a wrongful-notice claim), and the counts read only those cases, through an index
by party. The cases before it are marked from their events. The notifier's index also holds the filing time, so
that the notices of a period (the good-faith window) are counted from it alone.

Revision ID: d8f4a6c2e0b9
Revises: c3e9b7a5d2f1
Create Date: 2026-12-04 14:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "d8f4a6c2e0b9"
down_revision = "c3e9b7a5d2f1"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE, not a batch: SQLite copying the table would delete the cases its other tables refer to.
    op.add_column("cases", sa.Column("beyond_notice", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.drop_index("ix_cases_claimant_party_id", table_name="cases")
    op.create_index("ix_cases_claimant_created_at", "cases", ["claimant_party_id", "created_at"], unique=False)
    op.create_index("ix_cases_claimant_beyond_notice", "cases", ["claimant_party_id", "beyond_notice"], unique=False)
    op.create_index("ix_cases_respondent_beyond_notice", "cases", ["respondent_party_id", "beyond_notice"], unique=False)
    _mark_existing_cases()


def _mark_existing_cases():
    # As ``odr.cases.events.record`` marks them: an event of an outcome kind, other than the opening's change of state.
    events = sa.table(
        "events",
        sa.column("case_id", sa.Integer()),
        sa.column("kind", sa.String()),
        sa.column("payload", sa.JSON()),
    )
    cases = sa.table("cases", sa.column("id", sa.Integer()), sa.column("beyond_notice", sa.Boolean()))
    outcome = (
        sa.select(events.c.case_id)
        .where(
            events.c.case_id == cases.c.id,
            sa.or_(
                events.c.kind.in_(["decision_filed", "evaluation_decided", "wrongful_notice_claimed"]),
                sa.and_(
                    events.c.kind == "state_changed",
                    sa.func.coalesce(events.c.payload["cause"].as_string(), "") != "notice",
                ),
            ),
        )
        .exists()
    )
    op.execute(cases.update().where(outcome).values(beyond_notice=sa.true()))


def downgrade():
    op.drop_index("ix_cases_respondent_beyond_notice", table_name="cases")
    op.drop_index("ix_cases_claimant_beyond_notice", table_name="cases")
    op.drop_index("ix_cases_claimant_created_at", table_name="cases")
    op.create_index("ix_cases_claimant_party_id", "cases", ["claimant_party_id"], unique=False)
    op.drop_column("cases", "beyond_notice")
