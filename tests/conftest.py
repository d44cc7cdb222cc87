"""Shared fixtures: an app per test on its own database, accounts for every role, HTTP helpers.

Tests run on SQLite by default; with ODR_TEST_POSTGRES_URL set, tests marked ``e2e`` or
``postgres`` run against PostgreSQL as well, each xdist worker in its own schema.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
from contextlib import nullcontext
from dataclasses import dataclass

import pyotp
import pytest
from flask import current_app, has_app_context
from flask.globals import _cv_app
from flask.testing import EnvironBuilder, FlaskClient
from jinja2 import MemcachedBytecodeCache
from sqlalchemy import create_engine, create_mock_engine, text
from werkzeug.routing.rules import Rule

from odr import create_app
from odr.accounts import second_factor
from odr.accounts.models import Account, Party, Role
from odr.accounts.services import find_account_by_email
from odr.extensions import db

PASSWORD = "correct-horse-battery"
SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"
POSTGRES_URL = os.environ.get("ODR_TEST_POSTGRES_URL")


def _share_url_builders() -> None:
    """Werkzeug compiles a URL builder (Python source, through ``compile``) for every rule of every app: 231 rules,
    two builders each, 0.06 s of a test's 0.1 s ``create_app``. The tests make thousands of apps with the same
    rules, so each builder is compiled once per process and shared: a builder reaches its rule only through the
    ``self`` it is bound to, and the key holds everything its source is made from."""
    compile_builder = Rule._compile_builder
    compiled: dict[tuple, object] = {}

    def shared(rule, append_unknown=True):
        key = (
            rule.rule,
            rule.subdomain,
            rule.host,
            tuple(rule._trace),
            repr(sorted((rule.defaults or {}).items())),
            tuple((name, type(converter)) for name, converter in rule._converters.items()),
            append_unknown,
        )
        if key not in compiled:
            compiled[key] = compile_builder(rule, append_unknown)
        return compiled[key]

    Rule._compile_builder = shared


class _Templates(dict):
    """Compiled templates kept in memory for every app of the test process (Jinja's bytecode cache, keyed by the
    template's name and source): each test's app would otherwise compile every page it renders again."""

    def set(self, key, value, timeout=None):
        self[key] = value


TEMPLATES = MemcachedBytecodeCache(_Templates())


def pytest_configure(config):
    _share_url_builders()


def pytest_generate_tests(metafunc):
    # End-to-end and PostgreSQL tests run once per engine when PostgreSQL is available.
    if "database_url" in metafunc.fixturenames:
        engines = ["sqlite"]
        marked = metafunc.definition.get_closest_marker("e2e") or metafunc.definition.get_closest_marker("postgres")
        if POSTGRES_URL and marked:
            engines.append("postgresql")
        metafunc.parametrize("database_url", engines, indirect=True)


@pytest.fixture
def database_url(request, tmp_path, worker_id):
    if getattr(request, "param", "sqlite") == "sqlite":
        yield f"sqlite:///{tmp_path / 'odr.sqlite3'}"
        return
    yield postgres_schema_url(request, worker_id)


def postgres_schema_url(request, worker_id: str, purpose: str = "") -> str:
    """The test server's URL in a fresh schema of its own (dropped and made again)."""
    # One schema per checkout and xdist worker: test runs of two checkouts on one server never meet.
    checkout = hashlib.sha256(str(request.config.rootpath).encode()).hexdigest()[:8]
    schema = "_".join(part for part in ("odr_test", checkout, worker_id, purpose) if part)
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    sep = "&" if "?" in POSTGRES_URL else "?"
    # A commit need not wait for the server's disk: the tests kill the platform, never the database server.
    return f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}%20-csynchronous_commit%3Doff"


class IsolatedClient(FlaskClient):
    """Each request gets its own app context (fresh ``g`` and database session), as in production,
    even though the test itself holds an app context to use services and the database directly."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Like a browser, the client names its language (English) unless a test sends its own Accept-Language.
        self.environ_base.setdefault("HTTP_ACCEPT_LANGUAGE", "en")

    def open(self, *args, **kwargs):
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)


class Tables:
    """Every table of the models, made in a new database faster than ``create_all`` (which asks for each table
    whether it exists, one statement at a time): a copy of a SQLite file made once per worker, or on PostgreSQL
    the DDL that ``create_all`` issues, recorded once and sent as one script."""

    def __init__(self, folder):
        self.folder = folder
        self.sqlite_file = None
        self.postgresql_ddl = None

    def copy_sqlite_file(self, path: str) -> bool:
        if os.path.exists(path):  # made already by the test's own fixtures: left to create_all
            return False
        if self.sqlite_file is None:
            made = self.folder / "tables.sqlite3"
            template = create_app(
                {
                    "INSTANCE_PATH": str(self.folder / "instance"),
                    "DATABASE_URL": f"sqlite:///{made}",
                    "SECRET_KEY": SECRET_KEY,
                    "EVIDENCE_DIR": str(self.folder / "evidence"),
                    "EXPORT_DIR": str(self.folder / "exports"),
                }
            )
            with template.app_context():
                db.create_all()
                db.engine.dispose()  # the WAL is folded into the file before it is copied
            self.sqlite_file = made
        shutil.copyfile(self.sqlite_file, path)
        return True

    def run_postgresql_ddl(self, engine) -> None:
        if self.postgresql_ddl is None:
            statements: list[str] = []
            recorder = create_mock_engine(
                engine.url, lambda sql, *a, **kw: statements.append(str(sql.compile(dialect=engine.dialect)))
            )
            db.metadata.create_all(recorder, checkfirst=False)
            self.postgresql_ddl = ";\n".join(statements)
        with engine.begin() as conn:
            conn.exec_driver_sql(self.postgresql_ddl)


@pytest.fixture(scope="session")
def tables(tmp_path_factory) -> Tables:
    return Tables(tmp_path_factory.mktemp("tables"))


@pytest.fixture
def app(tmp_path, database_url, tables):
    copied = database_url.startswith("sqlite:///") and tables.copy_sqlite_file(database_url.removeprefix("sqlite:///"))
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": database_url,
            "SECRET_KEY": SECRET_KEY,
            "EVIDENCE_DIR": str(tmp_path / "evidence"),
            "EXPORT_DIR": str(tmp_path / "exports"),
            "FLASK": {"TESTING": True},  # CSRF stays on: tests send the token like a browser
        }
    )
    app.test_client_class = IsolatedClient
    app.jinja_env.bytecode_cache = TEMPLATES
    with app.app_context():
        if database_url.startswith("postgresql"):
            tables.run_postgresql_ddl(db.engine)
        elif not copied:
            db.create_all()
        yield app
        # Nothing is dropped: the database is the test's own (a file in its folder, or a schema made afresh for
        # the next test).
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def make_account(
    role: Role,
    email: str,
    *,
    country="ES",
    language="es",
    tz="Europe/Madrid",
    party: Party | None = None,
    receives_escalations_for: str = "",
    languages: str | None = None,
) -> Account:
    from werkzeug.security import generate_password_hash

    if party is None:
        party = Party(
            name=f"Org of {email}",
            country=country,
            preferred_language=language,
            time_zone=tz,
            receives_escalations_for=receives_escalations_for,
        )
    account = Account(
        email=email,
        password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"),
        display_name=email.split("@")[0],
        role=role,
        party=party,
        time_zone=tz,
        languages=languages or language,
    )
    db.session.add_all([party, account])
    db.session.commit()
    return account


@dataclass
class World:
    holder: Account
    seller: Account
    mediator: Account
    court: Account
    admin: Account
    stranger_holder: Account
    stranger_seller: Account
    other_mediator: Account
    other_court: Account


@pytest.fixture
def world(app) -> World:
    return World(
        holder=make_account(Role.RIGHT_HOLDER, "holder@example.es"),
        seller=make_account(Role.SELLER, "seller@example.cn", country="CN", language="zh", tz="Asia/Shanghai"),
        mediator=make_account(
            Role.MEDIATOR, "mediator@example.de", country="DE", language="de", tz="Europe/Berlin", languages="de,en,es"
        ),
        court=make_account(
            Role.COURT,
            "clerk@court.example.cn",
            country="CN",
            language="zh",
            tz="Asia/Shanghai",
            receives_escalations_for="CN,US,EU,JP,GB",
        ),
        admin=make_account(Role.ADMIN, "admin@example.org", country="GB", language="en", tz="Europe/London"),
        stranger_holder=make_account(Role.RIGHT_HOLDER, "other-holder@example.fr", country="FR", language="fr"),
        stranger_seller=make_account(Role.SELLER, "other-seller@example.jp", country="JP", language="ja"),
        other_mediator=make_account(Role.MEDIATOR, "other-mediator@example.it", country="IT", language="it"),
        other_court=make_account(Role.COURT, "clerk@other-court.example", country="US", language="en"),
    )


@pytest.fixture
def platform(world) -> Account:
    """A marketplace's API client (reports accounts and identifiers, applies measures)."""
    return make_account(Role.PLATFORM_CLIENT, "api@market.example", country="CN", language="zh", tz="Asia/Shanghai")


@pytest.fixture
def other_platform(world) -> Account:
    return make_account(Role.PLATFORM_CLIENT, "api@bazaar.example", country="DE", language="de", tz="Europe/Berlin")


def evaluation_request(neutral_id: int, **overrides) -> dict:
    """A mediator's order of a neutral evaluation (``POST /api/v1/cases/<id>/evaluation``) on the seeded case's
    second listing."""
    return {
        "claim": "The bags infringe trademark FLAMENCO (EUTM 123).",
        "listings": ["item-2"],
        "neutral_id": neutral_id,
        "word_limit": 120,
        "submission_days": 7,
        "decision_days": 7,
        "deposit_amount": "4000",
        "deposit_currency": "USD",
        **overrides,
    }


def notice_data(seller_email="seller@example.cn", **overrides) -> dict:
    data = {
        "jurisdiction": "CN",
        "right_type": "trademark",
        "title": "Counterfeit FLAMENCO bags",
        "text": "El vendedor ofrece bolsos falsificados con nuestra marca.",
        "language": "es",
        "listings": ["https://shop.example/item/1", "item-2"],
        "remedy_sought": "Retirada",
        "respondent": {"email": seller_email},
        "elements": NOTICE_ELEMENTS,
    }
    data.update(overrides)
    return data


# A small PDF, as a notice element's file is sent inline in a JSON body (jurisdictions/CN.yaml: files).
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def inline_file(name: str, content: bytes = PDF) -> dict:
    return {"filename": name, "content_base64": base64.b64encode(content).decode()}


# Every element any jurisdiction asks of a notice (jurisdictions/*.yaml), so notice_data() is
# complete wherever it is filed; tests of defective notices leave some out.
NOTICE_ELEMENTS = {
    "prima_facie_evidence": "Trademark registration 12345678 and test purchase of 2026-02-20.",
    "identity": "Flamenco S.L., Calle Mayor 1, Madrid, CIF B12345678",
    "signature": "Ana García",
    "work": "Catalogue photographs 2025",
    "right": "EUTM 018123456",
    "contact": "Ana García, Calle Mayor 1, 28013 Madrid, +34 600 000 000, ana@flamenco.example",
    "good_faith_statement": True,
    "accuracy_statement": True,
    "bona_fide_statement": True,
    "permitted_communication": True,
    "truthfulness_guarantee": True,
    "patent_kind": "invention",
    "right_certificate": inline_file("trademark-certificate.pdf"),
    "prima_facie_evidence_file": inline_file("test-purchase.pdf"),
    "patent_evaluation_or_comparison": inline_file("evaluation-report.pdf"),
}


def notice_form_elements() -> dict:
    """NOTICE_ELEMENTS as the notice web form posts them (ticked boxes send "on")."""
    return {f"elements.{k}": _form_value(v) for k, v in NOTICE_ELEMENTS.items()}


def _form_value(value):
    """A ticked box sends "on"; a file goes as a multipart file part."""
    if value is True:
        return "on"
    if isinstance(value, dict):
        return (io.BytesIO(base64.b64decode(value["content_base64"])), value["filename"])
    return value


# Every element any jurisdiction asks of a counter-notice (jurisdictions/*.yaml).
COUNTER_NOTICE_ELEMENTS = {
    "non_infringement_evidence": "Invoice from the authorised distributor, 2026-01-10.",
    "identity": "Shenzhen Example Trading Co., Ltd., USCC 91440300MA5EXAMPLE",
    "signature": "Wei Zhang",
    "removed_material": "Listing item-2, https://shop.example/item/2",
    "contact": "Wei Zhang, 1 Example Road, Shenzhen, +86 755 0000 0000, wei@example.cn",
    "mistake_statement": True,
    "consent_to_jurisdiction": True,
}


def second_factor_code(app, email: str) -> str | None:
    """The code an authenticator app shows now for the account, or None when it signs in with its password alone.

    A mediator, court or administrator is enrolled first, as its enrolment page would do it (begin, then confirm
    with a code), so every test signs such accounts in with both factors. Tests sign in more often than once per
    30-second step, which the platform refuses (a code is taken once), so the step last taken is forgotten here;
    tests/platform/test_second_factor.py checks the refusal itself."""
    same_app = has_app_context() and current_app._get_current_object() is app
    with nullcontext() if same_app else app.app_context():
        account = find_account_by_email(email)
        if account is not None:
            db.session.refresh(account)  # enrolled through pages since the test loaded it, perhaps
        if account is None or not (second_factor.is_on(account) or second_factor.must_enrol(account)):
            return None
        if not second_factor.is_on(account):
            secret = second_factor.begin_enrolment(account)
            second_factor.confirm_enrolment(account, pyotp.TOTP(secret).now())
        account.totp_last_step = None
        db.session.commit()
        return pyotp.TOTP(account.totp_secret).now()


class Api:
    """A bearer-token client for one account (with its second factor's code when it has one)."""

    def __init__(self, client, account: Account):
        self.client = client
        self.account = account
        credentials = {"email": account.email, "password": PASSWORD}
        code = second_factor_code(client.application, account.email)
        if code:
            credentials["totp_code"] = code
        response = client.post("/api/v1/tokens", json=credentials)
        assert response.status_code == 201, response.get_json()
        self.headers = {"Authorization": f"Bearer {response.get_json()['token']}"}

    def get(self, path, **kw):
        return self.client.get(f"/api/v1{path}", headers=self.headers, **kw)

    def post(self, path, json_body=None, headers=None, **kw):
        return self.client.post(f"/api/v1{path}", json=json_body, headers={**self.headers, **(headers or {})}, **kw)

    def upload(self, path, data: dict, files: list[tuple[str, bytes]], headers=None, field="evidence"):
        form = {"data": json.dumps(data), field: [(io.BytesIO(content), name) for name, content in files]}
        # Built by hand so the builder's spooled body is closed (the test client leaves it open).
        builder = EnvironBuilder(
            self.client.application,
            f"/api/v1{path}",
            method="POST",
            data=form,
            headers={**self.headers, **(headers or {})},
        )
        environ = builder.get_environ()
        try:
            return self.client.open(environ)
        finally:
            environ["wsgi.input"].close()
            builder.close()


def sign(client: "Api", case_id: int, agreement: dict | None = None, **overrides):
    """A party signs the current agreement through the API: its name, a capacity, a place and its password."""
    body = {
        "signed_name": client.account.display_name,
        "capacity": "director",
        "place": "Madrid",
        "password": PASSWORD,
        **({"text_sha256": agreement["text_sha256"]} if agreement else {}),
        **overrides,
    }
    return client.post(f"/cases/{case_id}/agreement/sign", body)


@pytest.fixture
def api(client):
    return lambda account: Api(client, account)


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A cookie session that signs in through the login form (and the code form, for accounts with a second
    factor) and posts forms with their CSRF token."""

    def __init__(self, app, account: Account | None = None):
        self.client = app.test_client()
        if account is not None:
            self.login(account.email, PASSWORD)

    def csrf(self, path="/login") -> str:
        page = self.client.get(path)
        match = CSRF_RE.search(page.get_data(as_text=True))
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, email, password):
        code = second_factor_code(self.client.application, email)
        response = self.client.post(
            "/login", data={"email": email, "password": password, "csrf_token": self.csrf("/login")}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        if code:
            assert response.location.endswith("/login/code"), response.location
            response = self.client.post("/login/code", data={"code": code, "csrf_token": self.csrf("/login/code")})
            assert response.status_code == 302, response.get_data(as_text=True)

    def get(self, path, **kw):
        return self.client.get(path, **kw)

    def post(self, path, data=None, form_page="/", **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf(form_page))
        return self.client.post(path, data=data, **kw)


@pytest.fixture
def browser(app):
    return lambda account=None: Browser(app, account)


class Statements(list):
    """The SQL statements sent while counting (``sql_statements``), with the writes among them."""

    WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "CREATE", "DROP", "ALTER")

    # The one row a read writes on purpose: the audit log records who of the mediators, courts and
    # administrators read a case (odr/audit); it changes nothing the reader reads.
    AUDIT = "INSERT INTO AUDIT_ENTRIES"

    @property
    def writes(self) -> list[str]:
        return [
            s
            for s in self
            if s.lstrip().upper().startswith(self.WRITES) and not s.lstrip().upper().startswith(self.AUDIT)
        ]


@pytest.fixture
def sql_statements(app):
    """Count the SQL statements sent to the database: ``with sql_statements() as sent: client.get(...)``;
    ``len(sent)`` is how many, ``sent.writes`` the ones that write. Savepoints and transaction control are
    not statements of the request's own and are left out."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def counting():
        sent = Statements()

        def count(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")):
                sent.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            yield sent
        finally:
            event.remove(db.engine, "before_cursor_execute", count)

    return counting


@pytest.fixture
def idle_queue(monkeypatch, tmp_path):
    """A real queue that nobody consumes: jobs wait in it until the test takes them, as a worker would. Returns the
    queue and ``taken(task)``: the waiting jobs of that task, taken off the queue (the others are dropped)."""
    from huey.storage import SqliteStorage

    from odr.tasks import huey

    monkeypatch.setattr(huey, "immediate", False)
    monkeypatch.setattr(huey, "storage", SqliteStorage("odr", filename=str(tmp_path / "queue.sqlite3")))

    def taken(task) -> list:
        waiting = list(iter(huey.dequeue, None))
        return [job for job in waiting if isinstance(job, task.task_class)]

    return huey, taken


# A platform reviewer's reasoned decision on an EU notice (DSA Art. 16): under the EU procedure nothing happens
# to the listings, and the seller cannot answer, before it.
EU_DECISION = {
    "outcome": "restrict",
    "ground": "illegal_content",
    "legal_ground": "Art. 9(2)(a) Regulation (EU) 2017/1001 (EU trade mark)",
    "explanation": "The listing uses a sign identical to the registered mark for the same goods.",
    "facts": "Registration certificate and test purchase filed with the notice.",
    "language": "en",
}


def decide_eu_notice(admin, case_id: int, at=None, **changes):
    from odr.dsa.services import decide_notice

    return decide_notice(admin, case_id, dict(EU_DECISION, **changes), at=at)
