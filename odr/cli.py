"""The ``odr`` command: the Flask CLI with the platform's own commands."""
from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup, with_appcontext


def _create_app():
    from odr import create_app
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main():
    """Online dispute resolution platform."""


@click.command("demo")
@with_appcontext
def demo_command():
    """Load demo parties, accounts and cases in every stage (into an empty database)."""
    from odr.demo import load_demo
    logins = load_demo()
    if not logins:
        click.echo("Demo data is already loaded.")
        return
    click.echo("Demo accounts (password for all: %s):" % logins[0][2])
    for role, email, _password in logins:
        click.echo(f"  {role:<15} {email}")


@click.command("sweep")
@with_appcontext
def sweep_command():
    """Apply every deadline that has run out (what the worker does each minute)."""
    from odr.procedure.services import sweep_deadlines
    click.echo(f"{sweep_deadlines()} deadline(s) applied")


@click.command("worker")
@click.option("--workers", default=2, show_default=True)
def worker_command(workers):
    """Run the queue consumer (Huey), including the periodic deadline sweep."""
    from huey.consumer import Consumer

    from odr.tasks import huey
    Consumer(huey, workers=workers, periodic=True, check_worker_health=True).run()


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def serve_command(host, port):
    """Run the web server and the queue consumer together (the embedded default, one machine).

    For production, run gunicorn on wsgi:app and `odr worker` as separate services.
    """
    import subprocess

    from werkzeug.serving import run_simple

    from odr import create_app
    app = create_app()
    worker = subprocess.Popen([sys.executable, "-m", "odr.cli", "worker"])
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        worker.terminate()
        worker.wait(timeout=10)


@click.group("rules")
def rules_group():
    """Procedures in rules/."""


@rules_group.command("validate")
@with_appcontext
def rules_validate():
    """Load every procedure file and check its graph; exit non-zero on any problem."""
    from pathlib import Path

    from flask import current_app

    from odr.procedure.engine import ProcedureError, load_file
    failed = False
    for path in sorted(Path(current_app.config["ODR"]["RULES_DIR"]).glob("*.yaml")):
        try:
            procedure = load_file(path)
            click.echo(f"ok    {path.name}: {procedure.code} {procedure.version}")
        except ProcedureError as exc:
            failed = True
            click.echo(f"error {path.name}: {exc}", err=True)
    sys.exit(1 if failed else 0)


def init_app(app) -> None:
    for command in (demo_command, sweep_command, worker_command, serve_command, rules_group):
        app.cli.add_command(command)


if __name__ == "__main__":
    main()
