"""`odr linkage rebuild`: recompute every account's component from the stored links."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("linkage")
def linkage_group():
    """Linked accounts."""


@linkage_group.command("rebuild")
@with_appcontext
def rebuild_command():
    """Recompute all components at once (scipy sparse connected components); links keep them current otherwise."""
    from odr.linkage.services import rebuild_components

    click.echo(f"{rebuild_components()} account(s) moved to another component")
