"""`odr alliance`: pin member platforms, pull their feeds, print this platform's key."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from odr.alliance import services
from odr.errors import ValidationFailed


@click.group("alliance")
def alliance_group():
    """The alliance record shared between platforms."""


@alliance_group.command("key")
@with_appcontext
def key_command():
    """Print this platform's public key and key id, to give to the other members."""
    from odr.integrity.keys import platform_key

    key = platform_key()
    click.echo(f"key id: {key.key_id}")
    click.echo(key.public_pem.decode(), nl=False)


@alliance_group.command("add-member")
@click.argument("name")
@click.argument("feed_url")
@click.argument("public_key", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def add_member_command(name, feed_url, public_key):
    """Pin a member by the PEM file of its public key; its feed is at FEED_URL (…/api/v1/alliance/feed)."""
    try:
        member = services.do_add_member(name, feed_url, Path(public_key).read_text())
    except ValidationFailed as exc:
        click.echo(f"{exc.message} {exc.fields}", err=True)
        sys.exit(1)
    click.echo(f"member {member.name} added, key id {member.key_id}")


@alliance_group.command("pull")
@with_appcontext
def pull_command():
    """Pull every member's feed (the worker does it every 15 minutes); a feed that does not verify is refused
    whole and logged."""
    refused = 0
    for name, result in services.pull_all().items():
        if isinstance(result, int):
            click.echo(f"{name}: {result} new record(s)")
        else:
            refused += 1
            click.echo(f"{name}: refused, nothing imported: {result}", err=True)
    sys.exit(1 if refused else 0)
