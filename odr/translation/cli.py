"""``odr languages``: the translation models installed on this machine."""
from __future__ import annotations

import json
import os
import shutil
import socket
import zipfile
from pathlib import Path, PurePosixPath

import click
from flask import current_app
from flask.cli import with_appcontext

from odr.translation.engine import PIVOT, engine_for, read_model
from odr.translation.services import enqueue, reopen_unavailable

INDEX_TIMEOUT_S = 8  # argostranslate's urlopen has none: without internet it would hang


class InstallError(click.ClickException):
    pass


def packages_dir() -> Path:
    path = Path(current_app.config["ODR"]["ARGOS_PACKAGES_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def argos_package_module():
    """argostranslate.package, installing into our packages directory."""
    target = packages_dir()
    os.environ.setdefault("ARGOS_PACKAGES_DIR", str(target))  # read once, when argostranslate is imported
    from argostranslate import package, settings
    settings.package_data_dir, settings.package_dirs = target, [target]
    return package


def check_archive(path: Path) -> dict:
    """The package's metadata, after checking the archive is one safe package directory."""
    if not path.is_file() or not zipfile.is_zipfile(path):
        raise InstallError(f"{path} is not an .argosmodel (zip) file.")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        tops = {PurePosixPath(n).parts[0] for n in names if PurePosixPath(n).parts}
        if len(tops) != 1 or any(n.startswith("/") or ".." in PurePosixPath(n).parts for n in names):
            raise InstallError("The archive must hold exactly one package directory, with relative paths only.")
        top = tops.pop()
        if sum(i.file_size for i in archive.infolist()) > 8 * 1024 ** 3:
            raise InstallError("The archive unpacks to more than 8 GiB.")
        try:
            meta = json.loads(archive.read(f"{top}/metadata.json"))
        except (KeyError, ValueError):
            raise InstallError("The package has no readable metadata.json.") from None
        if not any(n.startswith(f"{top}/model/") for n in names):
            raise InstallError("The package has no model/ directory.")
    if meta.get("type", "translate") != "translate" or not all(
            isinstance(meta.get(k), str) and meta[k].isascii() and meta[k].isalpha() for k in ("from_code", "to_code")):
        raise InstallError("This is not a translation package (metadata.json needs from_code and to_code).")
    return meta | {"directory": top}


def install_archive(path: Path) -> str:
    meta = check_archive(path)
    argos_package_module().install_from_path(path)
    # The package just installed replaces any other for the same pair (an upgrade or a downgrade).
    for other in packages_dir().iterdir():
        model = read_model(other) if other.is_dir() and other.name != meta["directory"] else None
        if model is not None and (model.from_code, model.to_code) == (meta["from_code"], meta["to_code"]):
            shutil.rmtree(other)
    _reopen()
    return f"{meta['from_code']}->{meta['to_code']} {meta.get('package_version', '')}"


def _reopen() -> None:
    reopened = reopen_unavailable()
    if reopened:
        enqueue(reopened)
        click.echo(f"{len(reopened)} translation(s) that waited for a model are queued.")


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
    pivots = sorted((s, t) for (s, p) in models for (p2, t) in models
                    if p == PIVOT and p2 == PIVOT and s != t and (s, t) not in models)
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
        click.echo(f"Installed {_install_from_index(*args)}.")
        return
    if len(args) != 1:
        raise click.UsageError("Usage: odr languages install PATH.argosmodel")
    click.echo(f"Installed {install_archive(Path(args[0]))}.")


def _install_from_index(source: str, target: str) -> str:
    package = argos_package_module()
    from argostranslate import settings
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(INDEX_TIMEOUT_S)
    try:
        settings.local_package_index.unlink(missing_ok=True)
        package.update_package_index()  # logs and returns on any network error
        if not settings.local_package_index.exists():
            raise InstallError(f"Cannot reach the argos package index at {settings.remote_package_index} "
                               "(no internet?). Copy a .argosmodel file here and run: "
                               "odr languages install PATH.argosmodel")
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
        return install_archive(download)
    finally:
        download.unlink(missing_ok=True)


@languages_group.command("remove")
@click.argument("source")
@click.argument("target")
@with_appcontext
def remove_command(source, target):
    """Remove the model for SOURCE -> TARGET (finished translations stay)."""
    model = engine_for(packages_dir()).models().get((source, target))
    if model is None:
        raise click.ClickException(f"No model for {source}->{target} is installed.")
    shutil.rmtree(model.path)
    click.echo(f"Removed {source}->{target} ({model.name}).")
