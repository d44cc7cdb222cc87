"""`odr transparency sor --since DATE`: statements of reasons as records for the DSA Transparency Database."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("transparency")
def transparency_group():
    """Reports to the authorities (DSA Art. 24(5))."""


@transparency_group.command("sor")
@click.option("--since", required=True, help="Statements issued or updated from this date (YYYY-MM-DD, UTC).")
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Write the batch file here (default: stdout).")
@click.option("--submit", is_flag=True, help="Also submit them to the database (needs DSA_TDB_URL and DSA_TDB_TOKEN).")
@with_appcontext
def sor_command(since: str, out: str | None, submit: bool):
    """Write every statement of reasons since DATE as a JSON batch validated against the database's schema."""
    from odr.dsa import transparency

    try:
        start = datetime.fromisoformat(since).replace(tzinfo=UTC)
    except ValueError:
        raise click.BadParameter(f"'{since}' is not a date (YYYY-MM-DD)", param_hint="--since") from None
    try:
        records = transparency.batch(start)
    except transparency.InvalidRecord as problem:
        raise click.ClickException(f"a statement does not fit the database's schema: {problem}") from None
    text = json.dumps({"statements": records}, ensure_ascii=False, indent=2) + "\n"
    if out:
        with open(out, "w", encoding="utf-8") as handle:
            handle.write(text)
        click.echo(f"{len(records)} statement(s) of reasons written to {out}", err=True)
    else:
        sys.stdout.write(text)
    if submit:
        config = current_app.config["ODR"]
        if not config.get("DSA_TDB_URL") or not config.get("DSA_TDB_TOKEN"):
            raise click.ClickException("network submission is off: set ODR_DSA_TDB_URL and ODR_DSA_TDB_TOKEN")
        status = transparency.submit(records, config["DSA_TDB_URL"], config["DSA_TDB_TOKEN"])
        click.echo(f"submitted {len(records)} statement(s): HTTP {status}", err=True)
