"""`odr conduct refill-strike-index`: the repeat-infringer count's index filled again after a policy change."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from odr.conduct.services import refill_strike_index


@click.group("conduct")
def conduct_group():
    """Records, strikes and account measures."""


@conduct_group.command("refill-strike-index")
@with_appcontext
def refill_strike_index_command():
    """Fill the strike index again from the timeline, after rules/policy/conduct.yaml changed which causes count as
    uncontested."""
    click.echo(f"strike index: {refill_strike_index()} cases")
