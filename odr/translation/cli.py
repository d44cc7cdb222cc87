"""``odr languages``: the translation models installed on this machine."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from odr.translation.engine import PIVOT, engine_for
from odr.translation.packages import PackageError, dependent_pivots, do_install, do_remove, installed
from odr.translation.services import enqueue, reopen_after_install

INDEX_TIMEOUT_S = 8  # argostranslate's urlopen has none: without internet it would hang


class InstallError(click.ClickException):
    pass


def packages_dir() -> Path:
    path = Path(current_app.config["ODR"]["ARGOS_PACKAGES_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def argos_package_module():
    """argostranslate.package, reading our packages directory (for the package index)."""
    target = packages_dir()
    os.environ.setdefault("ARGOS_PACKAGES_DIR", str(target))  # read once, when argostranslate is imported
    from argostranslate import package, settings

    settings.package_data_dir, settings.package_dirs = target, [target]
    return package


def install_archive(path: Path) -> None:
    try:
        done = do_install(path, packages_dir())
    except PackageError as exc:
        raise InstallError(f"Not installed: {exc}") from None
    click.echo(f"Installed {done.summary}.")
    for model in done.replaced:
        click.echo(f"  It replaces {model.from_code}->{model.to_code} {model.package_version} ({model.name}).")
    _reopen()


def _reopen() -> None:
    reopened = reopen_after_install()
    if reopened:
        enqueue(reopened)
        click.echo(f"{len(reopened)} translation(s) that waited for a model or had failed are queued again.")


@click.group("languages")
def languages_group():
    """Translation models (argos-translate packages) in ODR_ARGOS_PACKAGES_DIR."""


@languages_group.command("list")
@with_appcontext
def list_command():
    """Installed pairs, and the pairs they allow through English."""
    engine = engine_for(packages_dir())
    models = engine.models()
    if not models:
        click.echo(f"No translation models are installed in {packages_dir()}.")
        click.echo("Install one with: odr languages install PATH.argosmodel  (or --from-index FROM TO)")
        return
    click.echo("Installed:")
    for (source, target), model in sorted(models.items()):
        click.echo(f"  {source} -> {target}  {model.package_version:<8} {model.name}")
    pivots = sorted(
        (s, t)
        for (s, p) in models
        for (p2, t) in models
        if p == PIVOT and p2 == PIVOT and s != t and (s, t) not in models
    )
    if pivots:
        click.echo(f"Through {PIVOT}:")
        for source, target in pivots:
            click.echo(f"  {source} -> {target}")


@languages_group.command("install")
@click.argument("args", nargs=-1)
@click.option("--from-index", "from_index", is_flag=True, help="Download FROM TO from the argos package index.")
@with_appcontext
def install_command(args, from_index):
    """Install PATH.argosmodel, or --from-index FROM TO (needs internet)."""
    if from_index:
        if len(args) != 2:
            raise click.UsageError("Usage: odr languages install --from-index FROM TO")
        _install_from_index(*args)
        return
    if len(args) != 1:
        raise click.UsageError("Usage: odr languages install PATH.argosmodel")
    install_archive(Path(args[0]))


def _install_from_index(source: str, target: str) -> None:
    package = argos_package_module()
    from argostranslate import settings

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(INDEX_TIMEOUT_S)
    try:
        settings.local_package_index.unlink(missing_ok=True)
        package.update_package_index()  # logs and returns on any network error
        if not settings.local_package_index.exists():
            raise InstallError(
                f"Cannot reach the argos package index at {settings.remote_package_index} "
                "(no internet?). Copy a .argosmodel file here and run: "
                "odr languages install PATH.argosmodel"
            )
        offered = [p for p in package.get_available_packages() if (p.from_code, p.to_code) == (source, target)]
        if not offered:
            raise InstallError(f"The package index has no model for {source}->{target}.")
        try:
            download = offered[0].download()
        except Exception as exc:
            raise InstallError(f"Download failed: {exc}") from exc
    finally:
        socket.setdefaulttimeout(previous)
    try:
        install_archive(download)
    finally:
        download.unlink(missing_ok=True)


@languages_group.command("remove")
@click.argument("source")
@click.argument("target")
@click.option("--force", is_flag=True, help="Remove it even though pairs through English depend on it.")
@with_appcontext
def remove_command(source, target, force):
    """Remove the model for SOURCE -> TARGET (finished translations stay)."""
    packages = packages_dir()
    if (source, target) not in installed(packages):
        raise click.ClickException(f"No model for {source}->{target} is installed.")
    dependents = dependent_pivots(packages, source, target)
    if dependents and not force:
        raise click.ClickException(
            f"These pairs are translated through {PIVOT} with {source}->{target} and would stop: "
            f"{', '.join(dependents)}. Run again with --force to remove it anyway."
        )
    for model in do_remove(packages, source, target):
        click.echo(f"Removed {source}->{target} ({model.name}).")
    if dependents:
        click.echo(f"No longer available: {', '.join(dependents)}.")
