"""A party sees only its own cases, a mediator only assigned ones, a court only those exported to it.

Every route that takes a case ID answers 404 to anyone else, whether the case exists or not.
"""

import re

import pytest

from odr.cases import services
from odr.extensions import db
from tests.conftest import notice_data

pytestmark = pytest.mark.e2e


@pytest.fixture
def case_id(world):
    case = services.file_notice(world.holder, notice_data()).obj
    return case.id


def _case_rules(app, prefix):
    for rule in app.url_map.iter_rules():
        if "case_id" in rule.arguments and rule.rule.startswith(prefix):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def _url(rule, case_id):
    values = {arg: (case_id if arg == "case_id" else 1) for arg in rule.arguments}
    values = {k: (v if k != "action" else "escalate") for k, v in values.items()}
    path = rule.rule
    for arg, value in values.items():
        path = re.sub(rf"<(?:\w+:)?{arg}>", str(value), path)
    return path


def _page(response, path: str) -> str:
    text = response.get_data(as_text=True).replace(path, "PATH")
    return re.sub(r'name="csrf_token" value="[^"]+"', "TOKEN", text)


def outsiders(world):
    return [
        world.stranger_holder,
        world.stranger_seller,
        world.mediator,
        world.other_mediator,
        world.court,
        world.other_court,
    ]


def test_every_api_case_route_answers_404_to_outsiders(app, world, api, case_id):
    rules = list(_case_rules(app, "/api/v1/"))
    assert len(rules) >= 8
    for outsider in outsiders(world):
        client = api(outsider)
        for rule, method in rules:
            path = _url(rule, case_id)[len("/api/v1") :]
            response = client.client.open(f"/api/v1{path}", method=method, json={}, headers=client.headers)
            assert response.status_code == 404, (outsider.email, method, path, response.get_json())
            assert response.get_json()["error"]["code"] == "not_found"
            # A case that does not exist answers the same.
            missing = client.client.open(
                f"/api/v1{_url(rule, 999999)[len('/api/v1') :]}", method=method, json={}, headers=client.headers
            )
            assert missing.status_code == 404
            # Byte for byte: nothing (language, wording, length) tells a foreign case from a missing one.
            assert missing.data == response.data, (method, path)


def test_every_page_of_a_case_answers_404_to_outsiders(app, world, browser, case_id):
    rules = [(r, m) for r, m in _case_rules(app, "/") if not r.rule.startswith("/api/")]
    assert len(rules) >= 6
    for outsider in outsiders(world):
        session = browser(outsider)
        for rule, method in rules:
            path = _url(rule, case_id)
            response = session.get(path) if method == "GET" else session.post(path, {"mediator_id": "1"})
            assert response.status_code == 404, (outsider.email, method, path)
            if method == "GET":
                other = _url(rule, 999999)
                missing = session.get(other)
                assert missing.status_code == 404
                # The same page but for the path itself (echoed in the language links) and the form token.
                assert _page(missing, other) == _page(response, path), (outsider.email, path)


def test_nothing_changes_when_an_outsider_tries(world, api, case_id):
    from odr.cases.models import Case, Event

    before = db.session.scalar(db.select(db.func.count(Event.id)))
    api(world.stranger_seller).post(f"/cases/{case_id}/filings", {"kind": "response", "text": "x", "language": "en"})
    api(world.stranger_holder).post(f"/cases/{case_id}/actions/withdraw")
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(Event.id))) == before
    assert db.session.get(Case, case_id).state == "awaiting_response"


def test_lists_show_only_own_cases(world, api, case_id):
    assert [c["id"] for c in api(world.holder).get("/cases").get_json()["cases"]] == [case_id]
    assert [c["id"] for c in api(world.seller).get("/cases").get_json()["cases"]] == [case_id]
    for outsider in outsiders(world):
        assert api(outsider).get("/cases").get_json()["cases"] == []
    assert [c["id"] for c in api(world.admin).get("/cases").get_json()["cases"]] == [case_id]


def test_the_api_never_accepts_a_session_cookie(world, browser):
    session = browser(world.holder)
    assert session.get("/api/v1/cases").status_code == 401


def test_anonymous_visitors_are_sent_to_sign_in(client, case_id):
    response = client.get(f"/cases/{case_id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
