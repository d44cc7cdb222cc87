"""Reading never writes: a GET of any case page or case API route, by any reader, sends no INSERT, UPDATE or
DELETE (translations are requested when a filing arrives or a reader joins, never when someone looks)."""

from __future__ import annotations

import re

from odr.cases.models import EvidenceFile, Filing
from odr.extensions import db
from odr.mediation.models import NeutralEvaluation
from tests.cases.test_render_queries import busy_case  # noqa: F401 (the fixture)
from tests.export.conftest import escalate

# Routes that are not about a case (sign-in pages, static files, public registers) are read elsewhere.
NOT_CASE_ROUTES = {"static", "accounts.login", "accounts.signup", "api.openapi", "export.key_log"}
# Downloading the court bundle is itself an act of record (the court's first download, and every download by
# an administrator, is an event on the case's timeline: odr.export.services.latest_export), not a page view.
RECORDED_DOWNLOADS = {"export.download", "api.api_download_export"}


def case_get_routes(app) -> list[str]:
    """Every GET route of a case (pages and API) and every list of cases, as URL patterns."""
    rules = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_CASE_ROUTES | RECORDED_DOWNLOADS:
            continue
        if "case_id" in rule.arguments or rule.rule in {
            "/",
            "/inbox",
            "/mediation",
            "/court",
            "/api/v1/cases",
            "/api/v1/inbox",
            "/api/v1/mediation/desk",
            "/api/v1/measures",
            "/api/v1/court/exports",
            "/api/v1/todo",
        }:
            rules.append(rule.rule)
    return sorted(rules)


def fill(pattern: str, ids: dict[str, int]) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), pattern)


def test_no_get_of_a_case_route_writes(app, world, api, browser, busy_case, sql_statements):  # noqa: F811
    escalated = escalate(world)
    routes = case_get_routes(app)
    assert "/api/v1/cases/<int:case_id>" in routes and "/cases/<int:case_id>/timeline" in routes
    cases = {
        busy_case: "mediated",
        escalated.id: "exported",
    }
    written: dict[str, list[str]] = {}
    read = 0
    for case_id in cases:
        evidence = db.session.scalar(db.select(EvidenceFile.id).where(EvidenceFile.case_id == case_id))
        evaluation = db.session.scalar(db.select(NeutralEvaluation.id).where(NeutralEvaluation.case_id == case_id))
        ids = {
            "case_id": case_id,
            "filing_id": db.session.scalar(db.select(Filing.id).where(Filing.case_id == case_id)),
            "evidence_id": evidence or 0,
            "evaluation_id": evaluation or 0,
            "action": "escalate",  # the confirmation page of a step
        }
        for name in ("holder", "seller", "mediator", "court", "admin"):
            account = getattr(world, name)
            client, session = api(account), browser(account)
            for pattern in routes:
                path = fill(pattern, ids)
                with sql_statements() as sent:
                    if path.startswith("/api/v1/"):
                        response = client.get(path.removeprefix("/api/v1"))
                    else:
                        response = session.get(path)
                body = response.get_data()
                response.close()
                assert response.status_code < 500, (name, path, body[:300])
                read += response.status_code == 200
                if sent.writes:
                    written[f"{name} {path}"] = sent.writes
    assert read > 50  # most routes answered someone
    assert written == {}
