"""A real browser against a running app: Debian's Chromium driven by Playwright, one browser for the module.

The app runs on demo data in a thread on a free local port. Outside CI the tests skip when
/usr/bin/chromium is missing; on CI (CI=true) they fail instead, so they can never silently vanish.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "build" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ON_CI = os.environ.get("CI", "").lower() == "true"


def require(condition: bool, reason: str) -> None:
    if condition:
        return
    if ON_CI:
        pytest.fail(f"{reason} (CI must run the browser tests; .ci/run installs it)")
    pytest.skip(reason)


class LiveApp(str):
    """The base URL of the running app (what the tests pass as ``base_url``), with the app itself."""

    app: object


def sign_in(chromium, live_app: LiveApp, email: str, password: str, width: int = 1280):
    """A new browser context signed in as ``email`` through the sign-in form, and through the code form when the
    account has a second factor (mediators, courts and administrators are enrolled first, as on their enrolment
    page); returns (context, page) on the dashboard."""
    from tests.conftest import second_factor_code

    code = second_factor_code(live_app.app, email)
    context = chromium.new_context(base_url=live_app, viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.goto("/login?lang=en")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form.card button[type=submit]")
    if code:
        page.wait_for_url(re.compile(r"/login/code$"))
        page.fill("#code", code)
        page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    return context, page


@contextmanager
def serving(folder: Path, prepare: Callable[[], None] | None = None) -> Iterator[LiveApp]:
    """The app with demo data (and what ``prepare`` adds, run in its app context), served on a free port;
    yields its base URL (a ``LiveApp``)."""
    from werkzeug.serving import make_server

    from odr import create_app
    from odr.demo import load_demo
    from odr.extensions import db

    app = create_app(
        {
            "INSTANCE_PATH": str(folder / "instance"),
            "DATABASE_URL": f"sqlite:///{folder / 'odr.db'}",
            "SECRET_KEY": "browser-test-secret-key-0123456789abcdef",
            "EVIDENCE_DIR": str(folder / "evidence"),
            "EXPORT_DIR": str(folder / "exports"),
        }
    )
    with app.app_context():
        db.create_all()
        load_demo()
        if prepare is not None:
            prepare()
            db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        live = LiveApp(f"http://127.0.0.1:{server.server_port}")
        live.app = app
        yield live
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    """The app with demo data, served on a free port; yields its base URL (a ``LiveApp``)."""
    with serving(tmp_path_factory.mktemp("live")) as live:
        yield live


@pytest.fixture(scope="module")
def chromium():
    require(CHROMIUM.exists(), f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def axe_source() -> str:
    require(AXE.exists(), f"axe-core is not installed at {AXE} (npm install --prefix build/npm axe-core)")
    return AXE.read_text(encoding="utf-8")
