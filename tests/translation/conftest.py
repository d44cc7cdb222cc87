"""Tiny argos-translate packages built offline (en-es, es-en, en-zh), installed once per test session.

argostranslate reads its ARGOS_* settings once, when first imported, so they are set here, before any
test runs: its home is a temporary folder, its package index a closed local port (no download can
ever be attempted, and trying fails at once), and CTranslate2 runs on one thread.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

_home = Path(tempfile.mkdtemp(prefix="odr-argos-"))
for _var, _sub in [
    ("XDG_DATA_HOME", "data"),
    ("XDG_CONFIG_HOME", "config"),
    ("XDG_CACHE_HOME", "cache"),
    ("ARGOS_PACKAGES_DIR", "argos-default"),
]:
    os.environ[_var] = str(_home / _sub)
os.environ["ARGOS_PACKAGE_INDEX"] = "http://127.0.0.1:9/"
os.environ["ARGOS_INTRA_THREADS"] = "1"

PAIRS = [("en", "es"), ("es", "en"), ("en", "zh")]


@pytest.fixture(scope="session")
def argos_archives(tmp_path_factory) -> dict[tuple[str, str], Path]:
    from tests.translation.argos_builder import build_package

    out = tmp_path_factory.mktemp("archives")
    return {pair: build_package(*pair, out) for pair in PAIRS}


@pytest.fixture(scope="session")
def argos_models(argos_archives, tmp_path_factory) -> Path:
    """A packages folder with the three packages installed by `odr languages install`."""
    from odr import create_app

    packages = tmp_path_factory.mktemp("argos-packages")
    base = tmp_path_factory.mktemp("install-app")
    app = create_app(
        {
            "INSTANCE_PATH": str(base),
            "DATABASE_URL": f"sqlite:///{base / 'db.sqlite3'}",
            "ARGOS_PACKAGES_DIR": str(packages),
        }
    )
    with app.app_context():
        from odr.extensions import db

        db.create_all()
        for archive in argos_archives.values():
            result = app.test_cli_runner().invoke(args=["languages", "install", str(archive)])
            assert result.exit_code == 0, result.output
        db.engine.dispose()
    return packages


@pytest.fixture(autouse=True)
def _translation_setup(argos_models, monkeypatch):
    """Every app in these tests reads the installed packages; queued jobs run at once, in the caller."""
    from odr.tasks import huey

    monkeypatch.setenv("ODR_ARGOS_PACKAGES_DIR", str(argos_models))
    monkeypatch.setattr(huey, "immediate", True)
