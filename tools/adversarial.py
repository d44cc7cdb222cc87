"""The adversarial run of issue 20, repeatable: a fresh deployment served by `odr serve`, attacked over HTTP.

    .venv/bin/python tools/adversarial.py [--database-url URL] [--rounds 8] [--smoke]

It makes accounts of every role, has a right holder file a case with evidence and XSS payloads in every field a
user writes, then, against the live server:

1. access control: every case route (pages and API, every method) as every account that is not a party to the
   case, and anonymously: no response may carry the case's content (a marker in its title, text and evidence),
   the 404 for the case must equal the 404 for a case that does not exist, and afterwards the case must be
   unchanged (its events, filings, evidence, state);
2. CSRF: every form route of the case and the account's own forms posted from the owner's signed-in session
   without a token and with another session's token, and the API with the session cookie but no bearer token:
   all must be refused;
3. XSS: every page of the case and of both parties, and every e-mail of the outbox, must show the payloads only
   escaped (a positive control checks the escaped form is there);
4. retried submissions under kill -9: the crash drill of odr/testing/crash.py (``--rounds`` kills), then every
   acknowledged filing must exist once with its files.

It prints the counts and exits 1 if anything leaked, changed, was accepted or was lost. ``--smoke`` probes with
fewer accounts and skips the drill (tests/platform/test_adversarial.py runs it in the suite).
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import os
import random
import re
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pyotp  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from odr import create_app  # noqa: E402
from odr.accounts import second_factor  # noqa: E402
from odr.accounts.models import Role  # noqa: E402
from odr.accounts.services import find_account_by_email, sign_up  # noqa: E402
from odr.cases.models import Case, Event, EvidenceFile, Filing  # noqa: E402
from odr.export.services import pin_platform_key  # noqa: E402
from odr.extensions import db  # noqa: E402
from odr.notifications.models import Notification  # noqa: E402
from odr.notifications.services import message_for  # noqa: E402
from odr.testing.crash import Filer, Served, drill, multipart, request, sha256  # noqa: E402

PASSWORD = "adversarial correct horse battery staple"
PAYLOADS = [
    '<script>alert("odr-xss-1")</script>',
    '"><img src=x onerror=alert("odr-xss-2")>',
    "javascript:alert('odr-xss-3')",
    "\u202e<svg onload=alert('odr-xss-4')>",
]
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
NOTICE_ELEMENTS = {
    "prima_facie_evidence": "Registration 12345678 and a test purchase.",
    "identity": "Flamenco S.L., Calle Mayor 1, Madrid",
    "signature": "Ana García",
    "work": "Catalogue photographs 2025",
    "right": "EUTM 018123456",
    "contact": "Ana García, Calle Mayor 1, 28013 Madrid",
    "good_faith_statement": True,
    "accuracy_statement": True,
    "authority_statement": True,
    "truthfulness_guarantee": True,
    # A Chinese trademark notice carries the right's certificate and the evidence as files (jurisdictions/CN.yaml).
    "right_certificate": {"filename": "certificate.pdf", "content_base64": base64.b64encode(PDF).decode()},
    "prima_facie_evidence_file": {"filename": "test-purchase.pdf", "content_base64": base64.b64encode(PDF).decode()},
}


class Client:
    """One account over HTTP: a bearer token for the API, a cookie session (signed in through the form) for pages."""

    def __init__(self, port: int, email: str | None, counts: Counter, totp: pyotp.TOTP | None = None):
        self.port, self.email, self.counts, self.totp = port, email, counts, totp
        self.cookies: dict[str, str] = {}
        self.token = ""

    def send(self, method: str, path: str, body: bytes = b"", headers: dict | None = None, bearer: bool = True):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if bearer and self.token and path.startswith("/api/"):
            headers["Authorization"] = f"Bearer {self.token}"
        headers.setdefault("Accept-Language", "en")
        status, response_headers, raw = request(self.port, method, path, body, headers, timeout=60)
        self.counts["requests"] += 1
        for key, value in response_headers.items():
            if key.lower() == "set-cookie":
                cookie = SimpleCookie()
                cookie.load(value)
                for name, morsel in cookie.items():
                    self.cookies[name] = morsel.value
        return status, raw

    def json(self, method: str, path: str, body=None):
        status, raw = self.send(
            method, path, json.dumps(body).encode() if body is not None else b"", {"Content-Type": "application/json"}
        )
        try:
            return status, json.loads(raw) if raw else {}
        except ValueError:
            return status, {}

    def csrf(self, path: str = "/login") -> str:
        match = CSRF_RE.search(self.send("GET", path)[1].decode("utf-8", "replace"))
        return html.unescape(match.group(1)) if match else ""

    def form(self, path: str, fields: dict, token: str | None = None):
        data = {**fields, **({"csrf_token": token} if token is not None else {})}
        body = "&".join(f"{k}={_quote(str(v))}" for k, v in data.items()).encode()
        return self.send("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def sign_in(self) -> None:
        """A token and a signed-in session; with two-step sign-in, each with a code of its own time step (a
        code is taken once)."""
        asked = {"email": self.email, "password": PASSWORD}
        if self.totp:
            asked["totp_code"] = self.totp.now()
        status, body = self.json("POST", "/api/v1/tokens", asked)
        assert status == 201, (self.email, status, body)
        self.token = body["token"]
        status, _raw = self.form("/login", {"email": self.email, "password": PASSWORD}, self.csrf("/login"))
        if self.totp:
            code = self.totp.at(time.time() + 30)
            status, _raw = self.form("/login/code", {"code": code}, self.csrf("/login/code"))
        assert status == 302, (self.email, status)


def _quote(value: str) -> str:
    from urllib.parse import quote_plus

    return quote_plus(value)


def _make_accounts(app, smoke: bool) -> dict[str, str]:
    """name -> e-mail. The seller's organisation and name carry payloads too."""
    specs = {
        "holder": (Role.RIGHT_HOLDER, "ES", "es"),
        "seller": (Role.SELLER, "CN", "zh"),
        "other_holder": (Role.RIGHT_HOLDER, "FR", "fr"),
        "other_seller": (Role.SELLER, "JP", "ja"),
        "mediator": (Role.MEDIATOR, "DE", "de"),
        "court": (Role.COURT, "CN", "zh"),
        "platform": (Role.PLATFORM_CLIENT, "CN", "zh"),
        "admin": (Role.ADMIN, "GB", "en"),
    }
    if not smoke:
        specs |= {
            "other_mediator": (Role.MEDIATOR, "IT", "it"),
            "other_court": (Role.COURT, "US", "en"),
            "representative": (Role.REPRESENTATIVE, "DE", "de"),
        }
    emails = {}
    with app.app_context():
        db.create_all()
        for name, (role, country, language) in specs.items():
            email = f"{name.replace('_', '-')}@adversarial.example"
            account = sign_up(
                {
                    "email": email,
                    "password": PASSWORD,
                    "display_name": f"{name} {PAYLOADS[1]}" if name == "seller" else name,
                    "organisation": f"Org {PAYLOADS[0]}" if name == "seller" else f"Org of {name}",
                    "role": role.value,
                    "country": country,
                    "language": language,
                    "time_zone": "UTC",
                },
                role_allowed=set(Role),
                commit=False,
            )
            if role == Role.MEDIATOR:
                account.languages = "de,en,es,zh"
            if role == Role.COURT and account.party is not None:
                account.party.receives_escalations_for = "CN" if name == "court" else "US"
                db.session.flush()
                pin_platform_key(account)
            emails[name] = email
        db.session.commit()
        for email in emails.values():  # mediators, courts and administrators must sign in in two steps
            account = find_account_by_email(email)
            if account is not None and second_factor.is_required(account):
                totp = pyotp.TOTP(second_factor.begin_enrolment(account))
                second_factor.confirm_enrolment(account, totp.at(time.time() - 30))
                db.session.commit()
                TOTP[email] = totp
    return emails


TOTP: dict[str, pyotp.TOTP] = {}


def _case_state(app, case_id: int) -> tuple:
    with app.app_context():
        counts = tuple(
            db.session.scalar(select(func.count()).select_from(model).where(model.case_id == case_id))
            for model in (Event, Filing, EvidenceFile)
        )
        case = db.session.get(Case, case_id)
        assert case is not None
        state = (case.state, getattr(case, "mediator_id", None), *counts)
        db.session.remove()
        return state


def _routes(app) -> list[tuple[str, str]]:
    """(method, rule) of every route that names a case."""
    found = []
    for rule in app.url_map.iter_rules():
        if "case_id" not in rule.arguments:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method, rule.rule))
    return found


def _fill(rule: str, ids: dict, action: str = "escalate") -> str:
    def value(match):
        name = match.group(2)
        return str(ids.get(name, action if name == "action" else 1))

    return re.sub(r"<(?:(\w+):)?(\w+)>", value, rule)


def _plant(owner: Client, seller: Client, emails: dict) -> dict:
    """The owner files a case carrying a marker and payloads; the seller answers with payloads."""
    marker = f"ODRMARK{secrets.token_hex(6)}"
    notice = {
        "jurisdiction": "CN",
        "right_type": "trademark",
        "title": f"{marker} {PAYLOADS[0]}",
        "text": f"El vendedor ofrece bolsos falsificados {marker} {PAYLOADS[1]} {PAYLOADS[3]}",
        "language": "es",
        "language_confirmed": True,
        "listings": [f"https://shop.example/{marker}", PAYLOADS[2]],
        "remedy_sought": f"Retirada {PAYLOADS[2]}",
        "respondent": {"email": emails["seller"]},
        "elements": NOTICE_ELEMENTS,
    }
    body, content_type = multipart(
        {"data": json.dumps(notice)},
        [("evidence", f"{PAYLOADS[1]}.png", b"\x89PNG\r\n\x1a\n" + marker.encode() * 4)],
    )
    status, raw = owner.send("POST", "/api/v1/cases", body, {"Content-Type": content_type})
    assert status == 201, (status, raw[:500])
    case = json.loads(raw)
    answered = seller.json(
        "POST",
        f"/api/v1/cases/{case['id']}/filings",
        {"kind": "response", "language": "en", "text": f"Genuine goods {PAYLOADS[0]} {PAYLOADS[2]}"},
    )
    assert answered[0] == 201, answered
    detail = owner.json("GET", f"/api/v1/cases/{case['id']}")[1]
    ids = {
        "case_id": case["id"],
        "filing_id": detail["filings"][0]["id"] if detail.get("filings") else 1,
        "evidence_id": detail["evidence"][0]["id"] if detail.get("evidence") else 1,
        "deadline_id": (detail.get("deadlines") or [{"id": 1}])[0].get("id", 1),
        "translation_id": 1,
    }
    return {"marker": marker, "ids": ids}


def probe_access(app, port, clients: dict[str, Client], planted: dict, counts: Counter, smoke: bool) -> list[str]:
    marker, ids = planted["marker"], planted["ids"]
    problems = []
    before = _case_state(app, ids["case_id"])
    missing = {**ids, "case_id": 2**31 - 7}
    foreign = [name for name in clients if name not in ("holder", "seller", "admin")]
    if smoke:
        foreign = [name for name in foreign if name in ("other_holder", "court", "anonymous")]
    for name in foreign:
        client = clients[name]
        for method, rule in _routes(app):
            path = _fill(rule, ids)
            if method == "GET":
                status, raw = client.send("GET", path)
            elif path.startswith("/api/"):
                status, raw = client.send(
                    method,
                    path,
                    json.dumps({"kind": "message", "text": "x", "language": "en"}).encode(),
                    {"Content-Type": "application/json"},
                )
            else:
                token = client.csrf("/") if client.cookies else ""
                status, raw = client.form(path, {"kind": "message", "text": "x", "language": "en"}, token)
            counts["access probes"] += 1
            if marker.encode() in raw:
                problems.append(f"LEAK {name} {method} {path} -> {status}")
                counts["leaks"] += 1
            if method == "GET" and status == 404:
                twin = client.send("GET", _fill(rule, missing))
                counts["existence probes"] += 1
                if twin[0] != 404 or _scrub(twin[1]) != _scrub(raw):
                    problems.append(f"EXISTENCE {name} GET {path}: differs from a missing case")
                    counts["existence leaks"] += 1
    if _case_state(app, ids["case_id"]) != before:
        problems.append(f"CHANGED: the case went from {before} to {_case_state(app, ids['case_id'])}")
        counts["unauthorised changes"] += 1
    # Positive control: the owner does see the marker (else the probe could not see a leak either).
    if marker.encode() not in clients["holder"].send("GET", f"/api/v1/cases/{ids['case_id']}")[1]:
        problems.append("CONTROL: the owner does not see the marker; the access probe proves nothing")
    return problems


def _scrub(raw: bytes) -> bytes:
    # Per-request values (CSRF tokens, nonces) differ between any two responses, and the page's own address
    # (in its language links) names the number asked for.
    return re.sub(rb"/cases/\d+", b"/cases/N", re.sub(rb'(value|nonce|content)="[^"]*"', b"", raw))


def probe_csrf(app, clients: dict[str, Client], planted: dict, counts: Counter) -> list[str]:
    problems = []
    owner, other = clients["holder"], clients["other_holder"]
    ids = planted["ids"]
    before = _case_state(app, ids["case_id"])
    forms = [_fill(rule, ids) for method, rule in _routes(app) if method == "POST" and not rule.startswith("/api/")]
    forms += ["/profile", "/logout", "/deposits", "/cases/new", "/webhooks"]
    foreign_token = other.csrf("/")
    for path in forms:
        for token in (None, foreign_token, "forged"):
            status, _raw = owner.form(path, {"kind": "message", "text": "csrf", "language": "en"}, token)
            counts["csrf attempts"] += 1
            if status in (200, 201, 302, 303):
                problems.append(f"CSRF accepted: POST {path} with token {token and token[:6]!r} -> {status}")
                counts["csrf accepted"] += 1
    # The API never takes the cookie session as authority (a cross-site form could send it).
    cookie_only = owner.send(
        "POST",
        f"/api/v1/cases/{ids['case_id']}/filings",
        json.dumps({"kind": "message", "text": "csrf", "language": "en"}).encode(),
        {"Content-Type": "application/json"},
        bearer=False,
    )
    counts["csrf attempts"] += 1
    if cookie_only[0] in (200, 201):
        problems.append("CSRF accepted: the API took the session cookie")
        counts["csrf accepted"] += 1
    if _case_state(app, ids["case_id"]) != before:
        problems.append("CHANGED by a CSRF attempt")
        counts["csrf accepted"] += 1
    return problems


def _dangerous(text: str) -> list[str]:
    """Payloads that appear unescaped: the raw tag or a javascript: URL in an attribute."""
    found = [p for p in PAYLOADS[:2] + PAYLOADS[3:] if p.replace("\u202e", "") in text]
    if re.search(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", text, re.I):
        found.append("javascript: URL")
    return found


def probe_xss(app, clients: dict[str, Client], planted: dict, counts: Counter) -> list[str]:
    problems = []
    ids = planted["ids"]
    escaped_seen = False
    pages = [_fill(rule, ids) for method, rule in _routes(app) if method == "GET" and not rule.startswith("/api/")]
    plain = [r.rule for r in app.url_map.iter_rules() if not r.arguments and "GET" in (r.methods or ())]
    pages += [p for p in plain if not p.startswith(("/api/", "/static", "/metrics", "/logout"))]
    for name in ("holder", "seller"):
        for path in pages:
            status, raw = clients[name].send("GET", path)
            if status != 200:
                continue
            text = raw.decode("utf-8", "replace")
            counts["pages checked"] += 1
            for hit in _dangerous(text):
                problems.append(f"XSS {name} GET {path}: {hit!r}")
                counts["xss hits"] += 1
            escaped_seen = escaped_seen or "&lt;script&gt;alert(" in text
    with app.app_context():
        for note in db.session.scalars(select(Notification)):
            message = message_for(note, "odr@adversarial.example")
            counts["e-mails checked"] += 1
            for part in message.walk():
                if part.get_content_type() == "text/html":
                    for hit in _dangerous(part.get_content()):
                        problems.append(f"XSS in e-mail {note.id} ({note.kind}): {hit!r}")
                        counts["xss hits"] += 1
        db.session.remove()
    if not escaped_seen:
        problems.append("CONTROL: no page showed the escaped payload; the XSS probe proves nothing")
    return problems


def run_drill(app, served: Served, emails: dict, rounds: int, counts: Counter) -> list[str]:
    rng = random.Random()
    stop, give_up = threading.Event(), threading.Event()
    notice = {
        "jurisdiction": "CN",
        "right_type": "trademark",
        "text": "El vendedor ofrece bolsos falsificados con nuestra marca.",
        "language": "es",
        "listings": ["https://shop.example/item/1"],
        "respondent": {"email": emails["seller"]},
        "elements": NOTICE_ELEMENTS,
    }
    filers = [
        Filer(served.port, emails[n], PASSWORD, notice, random.Random(rng.random()), stop, give_up)
        for n in ("holder", "other_holder")
        for _ in range(2)
    ]
    threads = [threading.Thread(target=f.run) for f in filers]
    for thread in threads:
        thread.start()
    try:
        result = drill(served, filers, rounds, rng, full_crash_every=max(rounds // 2, 1))
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        give_up.set()
    problems = []
    done = [sub for f in filers for sub in f.done]
    counts["drill kills (web)"] += result.web_kills
    counts["drill kills (worker)"] += result.worker_kills
    counts["drill submissions acknowledged"] += len(done)
    counts["drill submissions retried"] += sum(sub.attempts > 1 for sub in done)
    with app.app_context():
        for sub in done:
            found = db.session.scalars(select(Case.id).where(Case.title == sub.title)).all()
            if found != [sub.case_id]:
                problems.append(f"DRILL: {sub.title} found as {found}, acknowledged as {sub.case_id}")
                counts["drill duplicates or losses"] += 1
            digests = sorted(db.session.scalars(select(EvidenceFile.sha256).where(EvidenceFile.case_id == sub.case_id)))
            element_files = [sha256(PDF)] * 2  # the certificate and the evidence file of NOTICE_ELEMENTS
            if digests != sorted([sha256(data) for _n, data in sub.files] + element_files):
                problems.append(f"DRILL: the files of case {sub.case_id} differ")
                counts["drill duplicates or losses"] += 1
        db.session.remove()
    problems += [f"DRILL: {status} {raw[:200]!r}" for f in filers for status, raw in f.refused]
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="an empty database (default: SQLite in a temporary folder)")
    parser.add_argument("--rounds", type=int, default=8, help="kills in the crash drill")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--smoke", action="store_true", help="fewer accounts, no crash drill")
    args = parser.parse_args(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="odr-adversarial-") as folder:
        tmp = Path(folder)
        settings = {
            "DATABASE_URL": args.database_url or f"sqlite:///{tmp / 'odr.sqlite3'}",
            "INSTANCE_PATH": str(tmp / "instance"),
            "SECRET_KEY": secrets.token_hex(32),
            "RATE_LIMITS": json.dumps({kind: ["100000 per minute"] * 2 for kind in ("filing", "token", "sign_up")}),
        }
        app = create_app({**settings, "FLASK": {"TESTING": True}})
        emails = _make_accounts(app, args.smoke)
        env = {**os.environ, **{f"ODR_{key}": value for key, value in settings.items()}}
        counts: Counter = Counter()
        with open(tmp / "serve.log", "wb") as log:
            served = Served(env, _free_port(), log, workers=args.workers)
            try:
                served.start()
                clients = {name: Client(served.port, email, counts, TOTP.get(email)) for name, email in emails.items()}
                for client in clients.values():
                    client.sign_in()
                clients["anonymous"] = Client(served.port, None, counts)
                planted = _plant(clients["holder"], clients["seller"], emails)
                problems = probe_access(app, served.port, clients, planted, counts, args.smoke)
                problems += probe_csrf(app, clients, planted, counts)
                problems += probe_xss(app, clients, planted, counts)
                if not args.smoke:
                    problems += run_drill(app, served, emails, args.rounds, counts)
            finally:
                served.stop()
        if problems:
            # Kept for reading after a failed run, in the ignored artifacts/ folder (never beside the sources).
            kept = ROOT / "artifacts" / "adversarial-serve.log"
            kept.parent.mkdir(parents=True, exist_ok=True)
            kept.write_bytes((tmp / "serve.log").read_bytes())
            print(f"the server's log: {kept}")
    for key in ("leaks", "existence leaks", "unauthorised changes", "csrf accepted", "xss hits"):
        counts.setdefault(key, 0)
    print(f"adversarial run in {time.monotonic() - started:.0f} s ({len(emails)} accounts and anonymous)")
    for key, value in sorted(counts.items()):
        print(f"  {key}: {value}")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    sys.exit(main())
