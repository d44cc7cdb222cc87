"""Abuse limits: filings, uploads, sign-ups, token requests and password changes per account and per address;
a cap on filings per case with a clear error."""

from __future__ import annotations

import json

import pytest

from odr import create_app
from odr.accounts.models import Role
from odr.cases import services
from odr.extensions import db
from tests.conftest import PASSWORD, Api, IsolatedClient, make_account, notice_data

SECRET = "test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture
def tight(tmp_path):
    """An app with small limits, so that a test reaches them quickly."""
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'odr.sqlite3'}",
            "SECRET_KEY": SECRET,
            "EVIDENCE_DIR": str(tmp_path / "evidence"),
            "EXPORT_DIR": str(tmp_path / "exports"),
            "RATE_LIMITS": json.dumps(
                {
                    "filing": ["3 per minute", "5 per minute"],
                    "sign_up": ["2 per hour", "3 per hour"],
                    "token": ["4 per hour", "6 per hour"],
                }
            ),
            "MAX_FILINGS_PER_CASE": 4,
            "FLASK": {"TESTING": True},
        }
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def _post(api, address: str, title: str):
    return api.client.post(
        "/api/v1/cases", json=notice_data(title=title), headers=api.headers, environ_base={"REMOTE_ADDR": address}
    ).status_code


def test_filings_are_limited_per_account_and_per_address(tight):
    holder, x, y, z = (make_account(Role.RIGHT_HOLDER, f"{name}@example.es") for name in ("holder", "x", "y", "z"))
    make_account(Role.SELLER, "seller@example.cn", country="CN", language="zh", tz="Asia/Shanghai")
    client = tight.test_client()
    holder_api = Api(client, holder)
    # Per account (3 a minute), wherever it files from.
    assert [_post(holder_api, "192.0.2.1", f"h{n}") for n in range(4)] == [201, 201, 201, 429]
    assert _post(holder_api, "192.0.2.2", "from elsewhere") == 429
    # Per address (5 a minute), whichever accounts file from it.
    apis = [Api(client, account) for account in (x, y, z)]
    statuses = [_post(api, "198.51.100.7", f"t{n}") for api in apis for n in (1, 2)]
    assert statuses == [201, 201, 201, 201, 201, 429]
    refused = apis[2].client.post(
        "/api/v1/cases", json=notice_data(), headers=apis[2].headers, environ_base={"REMOTE_ADDR": "198.51.100.7"}
    )
    assert refused.get_json()["error"]["code"] == "rate_limited" and refused.headers.get("Retry-After")


def test_sign_ups_and_token_requests_are_limited_per_address(tight):
    make_account(Role.RIGHT_HOLDER, "holder@example.es")
    client = tight.test_client()
    body = {
        "password": "a long enough pass phrase",
        "display_name": "New",
        "organisation": "New Org",
        "role": "right_holder",
        "country": "FR",
        "language": "fr",
        "time_zone": "Europe/Paris",
    }
    statuses = [
        client.post("/api/v1/accounts", json=body | {"email": f"n{n}@example.org"}).status_code for n in range(4)
    ]
    assert statuses == [201, 201, 201, 429]
    tokens = [
        client.post("/api/v1/tokens", json={"email": "holder@example.es", "password": PASSWORD}).status_code
        for _ in range(5)
    ]
    assert tokens == [201, 201, 201, 201, 429]


def test_a_case_takes_a_bounded_number_of_filings_with_a_clear_error(tight):
    holder = make_account(Role.RIGHT_HOLDER, "holder@example.es")
    seller = make_account(Role.SELLER, "seller@example.cn", country="CN", language="zh", tz="Asia/Shanghai")
    case = services.file_notice(holder, notice_data()).obj  # filing 1
    for n in range(3):  # filings 2 to 4
        services.add_filing(
            seller if n == 0 else holder, case.id, {"kind": "message", "language": "es", "text": f"m{n}"}
        )
    client = tight.test_client()
    refused = Api(client, seller).post(
        f"/cases/{case.id}/filings", {"kind": "message", "language": "zh", "text": "再一条"}
    )
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "too_many_filings" and "limit of 4 filings" in error["message"]


def test_a_limited_api_request_reads_its_bearer_token_once(tight):
    # The limits' key (once per limit of the route: two here) and the authentication share one lookup.
    from sqlalchemy import event

    holder = make_account(Role.RIGHT_HOLDER, "holder@example.es")
    make_account(Role.SELLER, "seller@example.cn", country="CN", language="zh", tz="Asia/Shanghai")
    api = Api(tight.test_client(), holder)
    token_reads: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if "api_tokens.token_sha256 = " in statement:  # the lookup of a token (its account joined)
            token_reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert _post(api, "10.0.0.1", "One notice") == 201
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(token_reads) == 1
    # A token that does not work is refused as before, and counted under the token, not an account.
    api.headers["Authorization"] = "Bearer not-a-token"
    assert _post(api, "10.0.0.1", "Another notice") == 401
