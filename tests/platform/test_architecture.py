"""The layers of docs/architecture.md hold in the code (import-linter checks the layers themselves in
`make test`): every module imports on its own, no domain module imports a delivery module, the court's
verifier stays standalone, the committed picture is the code's, and domain events keep their promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest

from odr.domain_events import DomainEvent, commit
from odr.extensions import db

ROOT = Path(__file__).resolve().parents[2]
DELIVERY = {"views", "api", "pages", "cli"}
COMPOSITION = {"odr", "odr.cli", "odr.tasks", "odr.demo"}


def _modules() -> list[str]:
    return sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in (ROOT / "odr").rglob("*.py")
    )


def _is_delivery(module: str) -> bool:
    parts = module.split(".")
    return (
        module in COMPOSITION
        or module == "odr.api"
        or module.startswith("odr.api.")
        or (len(parts) > 2 and parts[2] in DELIVERY)
    )


def test_every_module_imports_on_its_own():
    # One fresh interpreter; before each module every odr module is forgotten, so each import starts cold
    # (third-party packages stay loaded, which only saves time). A cycle shows as an ImportError here.
    script = (
        "import importlib, sys, traceback\n"
        "failed = []\n"
        "for name in sys.argv[1:]:\n"
        "    for loaded in [m for m in sys.modules if m == 'odr' or m.startswith('odr.')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception:\n"
        "        failed.append(name + ': ' + traceback.format_exc(limit=-2))\n"
        "print('\\n'.join(failed)); sys.exit(1 if failed else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, *_modules()], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("odr")


def test_no_domain_module_imports_a_delivery_module(graph):
    wrong = sorted(
        (importer, imported)
        for importer in graph.modules
        if not _is_delivery(importer)
        for imported in graph.find_modules_directly_imported_by(importer)
        if _is_delivery(imported)
    )
    assert not wrong, wrong


def test_the_courts_verifier_imports_nothing_from_odr(graph):
    assert graph.find_modules_directly_imported_by("odr.export.verifier") == set()


def test_the_picture_in_docs_is_drawn_from_the_code():
    drawn = subprocess.run(
        [sys.executable, "tools/architecture.py", "dot"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert drawn == (ROOT / "docs" / "architecture.dot").read_text(), "run `make architecture` and commit"


def test_every_entry_action_of_the_rules_has_a_domain_that_carries_it_out(app):
    from odr.procedure.signals import ENTRY_ACTIONS

    assert all(domain_event.has_subscriber() for domain_event, _data in ENTRY_ACTIONS.values())


def test_after_commit_subscribers_run_once_after_commit_and_never_for_a_rolled_back_act(app):
    announced = DomainEvent("test-announcement", "for this test")
    during, after = [], []
    announced.in_transaction.connect(lambda sender, **data: during.append(sender), weak=False)
    announced.after_commit.connect(lambda sender, **data: after.append(sender), weak=False)
    announced.publish("rolled back")
    assert during == ["rolled back"] and after == []
    db.session.rollback()
    announced.publish("kept")
    assert after == []  # not before the commit
    commit()
    commit()
    assert during == ["rolled back", "kept"] and after == ["kept"]
