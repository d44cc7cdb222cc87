"""The ``odr`` command: the Flask CLI with the platform's own commands."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from gunicorn.app.base import BaseApplication
from huey.consumer import Consumer
from werkzeug.serving import run_simple

from odr import create_app, language
from odr.accounts import second_factor
from odr.accounts.cli import accounts_group
from odr.accounts.services import unknown_account_hash
from odr.alliance.cli import alliance_group
from odr.conduct.cli import conduct_group
from odr.demo import load_demo
from odr.dsa.cli import transparency_group
from odr.export.verifier import verify_bundle, verify_certificate
from odr.extensions import db
from odr.integrity.keys import has_platform_key, key_history, key_log_bytes, platform_key, read_key_log, rotate
from odr.integrity.vault import ResealRefused, reseal_all
from odr.linkage.cli import linkage_group
from odr.models_base import utcnow
from odr.ops.backup import BackupError, backup, restore, verify
from odr.ops.logs import configure as configure_logging
from odr.ops.metrics import MULTIPROCESS_DIR, fresh_multiprocess_dir, process_ended
from odr.procedure import jurisdictions
from odr.procedure.calendar_changes import add_schedule, recount_all
from odr.procedure.describe import GraphvizMissing, show, to_dot, to_svg, validate
from odr.procedure.engine import ProcedureError
from odr.procedure.services import procedures
from odr.queue import run_periodic_jobs
from odr.tasks import huey
from odr.translation.cli import languages_group


def _create_app():
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main():
    """Online dispute resolution platform."""


@click.command("demo")
@with_appcontext
def demo_command():
    """Load demo parties, accounts and cases in every stage (into an empty database)."""
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
    """Run every periodic job once (deadlines, blind biddings, appointments, outbox, translations), as the
    worker does each minute."""
    for name, done in run_periodic_jobs().items():
        click.echo(f"{name}: {done}")


@click.command("worker")
@click.option("--workers", default=2, show_default=True)
def worker_command(workers):
    """Run the queue consumer (Huey), including the periodic deadline sweep; it logs each job (JSON lines
    with ODR_LOG_JSON=1)."""
    configure_logging()

    Consumer(huey, workers=workers, periodic=True, check_worker_health=True).run()


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--workers", default=1, show_default=True, help="Web processes (more than one needs ODR_SECRET_KEY).")
@click.option("--threads", default=8, show_default=True, help="Threads per web process.")
@click.option("--timeout", default=60, show_default=True, help="Seconds before a stuck web worker is restarted.")
@click.option("--dev", is_flag=True, help="Flask's development server instead of gunicorn (never in production).")
def serve_command(host, port, workers, threads, timeout, dev):
    """Run the web server (gunicorn) and the queue consumer together (the embedded default, one machine).

    SIGTERM stops both. Several machines: gunicorn on wsgi:app and `odr worker` as separate services
    (docs/operations.md).
    """
    if workers > 1 and not os.environ.get("ODR_SECRET_KEY"):
        raise click.ClickException("several web processes need one ODR_SECRET_KEY (set it, or serve with --workers 1)")
    # Half the threads may read request bodies at once; the others stay free for everything else.
    os.environ.setdefault("ODR_UPLOAD_SLOTS", str(max(1, threads // 2)))
    app = create_app()  # the settings are checked before anything starts
    if not dev:
        _multiprocess_metrics(Path(app.instance_path) / "metrics")
    configure_logging()
    # The queue worker under a supervisor that starts it again whenever it dies (gunicorn does the same for
    # its web processes): without it a crashed worker would stop every deadline until someone noticed.
    worker_env = {k: v for k, v in os.environ.items() if k not in {MULTIPROCESS_DIR, _METRICS_READY}}
    worker = subprocess.Popen(
        [sys.executable, "-m", "odr.ops.supervise", sys.executable, "-m", "odr.cli", "worker"], env=worker_env
    )
    # SIGTERM (systemd, docker stop, kill) would end this process without its finally: the worker would
    # be left running. As an exit it stops the worker like Ctrl-C does (gunicorn handles it itself).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        if dev:
            run_simple(host, port, app, threaded=True, use_reloader=False)
        else:
            _Gunicorn(
                app,
                {
                    "bind": f"{host}:{port}",
                    "workers": workers,
                    "threads": threads,
                    "worker_class": "gthread",
                    "timeout": timeout,
                    "graceful_timeout": 20,
                    "accesslog": "-",
                    # A slow client holds one thread, not the process; a slow upload is cut off by the
                    # upload deadline (odr/ops/uploads.py) and a stuck process restarted after `timeout`.
                    "limit_request_line": 8190,
                    "child_exit": lambda _arbiter, web_process: process_ended(web_process.pid),
                },
            ).run()
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def warm_up() -> None:
    """Load what the first filings of a new web process would otherwise load: procedures, jurisdictions and
    the language model, and the hash an unknown address's password is checked against (so the first such
    sign-in takes as long as any other)."""
    procedures()
    jurisdictions.all_jurisdictions()
    language.classify("warm")
    unknown_account_hash()


def settle_heap() -> None:
    """Move what the loaded app holds for the life of the process (rules, catalogs, models, libraries) out of the
    garbage collector's sight: a page that builds thousands of objects would otherwise pay for full collections
    walking all of it, and web processes forked from this one keep sharing those memory pages."""
    gc.collect()
    gc.freeze()


_METRICS_READY = "ODR_SERVE_METRICS_DIR"  # set once `odr serve` has emptied the folder and started afresh


def _multiprocess_metrics(folder: Path) -> None:
    """Every web process counts into files of one fresh folder, so /metrics adds up all of them.

    prometheus_client picks its way of counting when it is first imported, which this process did already:
    so the folder is emptied and named in the environment, and `odr serve` starts again in place (same process,
    same arguments) with it set from the start; gunicorn's web processes are forked from that one."""
    if os.environ.get(_METRICS_READY) == str(folder) and os.environ.get(MULTIPROCESS_DIR) == str(folder):
        return
    fresh_multiprocess_dir(folder)
    os.environ[MULTIPROCESS_DIR] = os.environ[_METRICS_READY] = str(folder)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])


class _Gunicorn(BaseApplication):
    """gunicorn run from `odr serve` on the app this process built and warmed (``preload_app``): a web process
    gunicorn starts again after a crash forks from it and answers at once, instead of spending seconds
    loading rules and the language model on the first filings it receives."""

    def __init__(self, app, options: dict):
        self.app = app
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)
        self.cfg.set("preload_app", True)
        self.cfg.set("post_fork", self._post_fork)

    def _post_fork(self, server, worker) -> None:
        # A forked process must not share the parent's database connections: it opens its own.
        with self.app.app_context():
            db.engine.dispose(close=False)

    def load(self):
        with self.app.app_context():
            warm_up()
        settle_heap()
        return self.app


@click.command("backup")
@click.argument("dest", type=click.Path(file_okay=False))
@with_appcontext
def backup_command(dest):
    """A consistent online backup into the new folder DEST: database, queue, stored files, keys, and a
    manifest of SHA-256 digests (docs/operations.md)."""
    try:
        manifest = backup(dest)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"backup of {len(manifest['files'])} file(s) in {dest} ({manifest['database']})")
    for note in manifest["notes"]:
        click.echo(f"note: {note}")


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask before replacing this deployment's data.")
@with_appcontext
def restore_command(src, yes):
    """Put the deployment back as the backup SRC holds it, after checking every file against its manifest.
    Stop the web servers and workers first."""
    try:
        manifest = verify(src)
        if not yes:
            click.confirm(
                f"Replace this deployment's database and files with the backup of {manifest['created_at']}?",
                abort=True,
            )
        restore(src)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"restored the backup of {manifest['created_at']} ({len(manifest['files'])} file(s))")


@click.group("rules")
def rules_group():
    """Procedures in rules/."""


@rules_group.command("validate")
@with_appcontext
def rules_validate():
    """Load every procedure and jurisdiction file, check graphs and citations; exit non-zero on any problem."""

    cfg = current_app.config["ODR"]
    failed = False
    for ok, line in validate(cfg["RULES_DIR"], cfg["JURISDICTIONS_DIR"]):
        failed = failed or not ok
        click.echo(f"{'ok   ' if ok else 'error'} {line}", err=not ok)
    sys.exit(1 if failed else 0)


def _procedure(code: str, version: str | None):

    try:
        return procedures().get(code, version) if version else procedures().current(code, date.today())
    except ProcedureError as exc:
        raise click.ClickException(str(exc)) from None


@rules_group.command("show")
@click.argument("code")
@click.option("--version", help="A version other than the one in force today.")
@with_appcontext
def rules_show(code, version):
    """Describe a procedure: states, transitions, timers, each with its citation and dates."""
    click.echo(show(_procedure(code, version)), nl=False)


@rules_group.command("graph")
@click.argument("code")
@click.option("--format", "fmt", type=click.Choice(["dot", "svg"]), default="svg", show_default=True)
@click.option("--version", help="A version other than the one in force today.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="File to write (default: stdout).")
@with_appcontext
def rules_graph(code, fmt, version, output):
    """Draw a procedure's state graph (SVG needs Graphviz's dot; DOT does not)."""
    procedure = _procedure(code, version)
    try:
        text = to_svg(procedure) if fmt == "svg" else to_dot(procedure)
    except GraphvizMissing as exc:
        raise click.ClickException(str(exc)) from None
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        click.echo(text, nl=False)


@click.group("calendars")
def calendars_group():
    """Official holiday schedules (jurisdictions/calendars/) and the deadlines counted on them."""


def _report(changes) -> None:
    for change in changes:
        if change.moved:
            click.echo(
                f"moved  {change.case_reference} {change.timer}: "
                f"{change.before.isoformat()} -> {change.after.isoformat()} (the parties are told)"
            )
        else:
            click.echo(
                f"kept   {change.case_reference} {change.timer}: it had passed at {change.before.isoformat()}; "
                f"the new schedule gives {change.after.isoformat()}. Not moved: decide by hand.",
                err=True,
            )
    click.echo(f"{sum(c.moved for c in changes)} deadline(s) moved, {sum(not c.moved for c in changes)} left (passed)")


@calendars_group.command("add")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def calendars_add(path):
    """Add an official holiday schedule (YAML, with its source) and recount the open deadlines it touches."""
    try:
        with open(path, encoding="utf-8") as handle:
            schedule, changes = add_schedule(handle.read())
    except (ProcedureError, UnicodeDecodeError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"schedule {schedule.code} {schedule.year}: {schedule.source} ({schedule.confidence})")
    _report(changes)


@calendars_group.command("apply")
@with_appcontext
def calendars_apply():
    """Recount the deadlines for every schedule in jurisdictions/calendars/ (after adding a file by hand)."""
    try:
        changes = recount_all()
    except ProcedureError as exc:
        raise click.ClickException(str(exc)) from None
    _report(changes)


@click.group("bundle")
def bundle_group():
    """Court export bundles."""


def _own_trust(key_id: str | None) -> tuple[str | None, bytes | None]:
    """The platform verifies against its own key log unless a key id is given."""
    if key_id is None and has_platform_key():
        return platform_key().key_id, key_log_bytes()
    return key_id, None


@bundle_group.command("verify")
@click.argument("path", type=click.Path(exists=True))
@click.option("--key-id", help="Platform key id to trust (default: this platform's own key and key log).")
@click.option("--previous", type=click.Path(exists=True), help="The earlier bundle a closing bundle extends.")
@click.option("--tsa-ca", type=click.File("rb"), help="PEM certificate(s) of the TSA or its CA.")
@with_appcontext
def bundle_verify(path, key_id, previous, tsa_ca):
    """Verify a bundle (zip or bag folder) as a court would; exit non-zero on any failure."""
    key_id, key_log = _own_trust(key_id)
    sys.exit(verify_bundle(path, key_id, tsa_ca.read() if tsa_ca else None, key_log=key_log, previous=previous))


@bundle_group.command("key-id")
@with_appcontext
def bundle_key_id():
    """Print the platform's signing key id, for courts to pin out of band."""
    click.echo(platform_key().key_id)


@click.group("keys")
def keys_group():
    """The platform's signing keys and their public key log."""


@keys_group.command("rotate")
@click.option(
    "--overlap-days",
    type=click.IntRange(0, 365),
    default=30,
    show_default=True,
    help="How long the old key stays valid after the new one starts.",
)
@with_appcontext
def keys_rotate(overlap_days):
    """Start signing with a new key; the key log hands over to it, signed by the old key and the new."""
    old, new = rotate(timedelta(days=overlap_days), utcnow().replace(microsecond=0))
    click.echo(f"new signing key {new.key_id}")
    click.echo(f"old key {old.key_id} stays valid for {overlap_days} day(s); bundles it signed keep verifying")
    click.echo("publish the key log (served at /.well-known/odr-key-log.json) and tell the courts")


@keys_group.command("log")
@with_appcontext
def keys_log():
    """Print each key of the key log with its validity."""
    current = platform_key().key_id
    for key in key_history(read_key_log()):
        mark = " (current)" if key["key_id"] == current else ""
        click.echo(
            f"{key['key_id']}  from {key['valid_from'] or '-'}  to {key['valid_to'] or '-'}"
            f"  rotated by {key['rotated_by'] or '-'}{mark}"
        )


@keys_group.command("reencrypt")
@with_appcontext
def keys_reencrypt():
    """After ODR_SECRET_KEY changed: seal the keys kept in the database, and the accounts' two-step sign-in
    secrets, again under the new secret.

    The old secret comes from the environment variable ODR_OLD_SECRET_KEY or is asked for (never an argument:
    arguments show in the process list and the shell's history). All move in one transaction, or none.
    """
    old = os.environ.get("ODR_OLD_SECRET_KEY") or click.prompt("The previous ODR_SECRET_KEY", hide_input=True)
    try:
        names = reseal_all(old, also=[second_factor.sealed_secrets])
    except ResealRefused as exc:
        raise click.ClickException(str(exc)) from None
    totp = [name for name in names if name.startswith("totp-secret:")]
    keys = [name for name in names if name not in totp]
    if keys:
        click.echo(f"{len(keys)} key(s) sealed under the new ODR_SECRET_KEY: {', '.join(keys)}")
    else:
        click.echo("no keys are kept in the database (ODR_KEY_STORE=instance keeps them in the instance folder)")
    click.echo(f"{len(totp)} two-step sign-in secret(s) sealed under the new ODR_SECRET_KEY")


@click.group("deposit")
def deposit_group():
    """Deposit certificates."""


@deposit_group.command("verify")
@click.argument("certificate", type=click.Path(exists=True, dir_okay=False))
@click.option("--work", type=click.Path(exists=True, dir_okay=False), help="The deposited file.")
@click.option("--key-id", help="Platform key id to trust (default: this platform's own key).")
@click.option("--tsa-ca", type=click.File("rb"), help="PEM certificate(s) of the TSA or its CA.")
@with_appcontext
def deposit_verify(certificate, work, key_id, tsa_ca):
    """Verify a deposit certificate (and the work it certifies); exit non-zero on any failure."""
    key_id, key_log = _own_trust(key_id)
    sys.exit(verify_certificate(certificate, work, key_id, tsa_ca.read() if tsa_ca else None, key_log=key_log))


def init_app(app) -> None:
    app.cli.add_command(accounts_group)
    app.cli.add_command(alliance_group)
    app.cli.add_command(conduct_group)
    app.cli.add_command(linkage_group)
    app.cli.add_command(transparency_group)
    app.cli.add_command(languages_group)
    for command in (
        demo_command,
        sweep_command,
        worker_command,
        serve_command,
        backup_command,
        restore_command,
        rules_group,
        calendars_group,
        bundle_group,
        deposit_group,
        keys_group,
    ):
        app.cli.add_command(command)


if __name__ == "__main__":
    main()
