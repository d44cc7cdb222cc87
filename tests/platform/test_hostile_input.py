"""Input built to break the server gets a clear 4xx, never a 500, and secrets stay out of caches."""

import pytest

from odr.extensions import db
from tests.conftest import notice_data

pytestmark = pytest.mark.e2e


def test_json_nested_deeper_than_any_parser_goes_is_refused_on_every_json_route(world, api, client):
    deep = "[" * 100_000 + "]" * 100_000
    for path in ("/api/v1/accounts", "/api/v1/tokens"):
        response = client.post(path, data=deep, content_type="application/json")
        assert response.status_code == 422 and response.get_json()["error"]["code"] == "malformed_json"
    holder = api(world.holder)
    response = holder.client.post("/api/v1/cases", data=deep, content_type="application/json", headers=holder.headers)
    assert response.status_code == 422


def test_codes_that_are_not_text_are_field_errors(world, api):
    body = notice_data(language=7)
    body["respondent"] = {"email": "new@example.org", "name": "X", "country": ["CN"], "language": {"zh": 1}}
    response = api(world.holder).post("/cases", body)
    assert response.status_code == 422
    assert {"language", "respondent.country", "respondent.language"} <= set(response.get_json()["error"]["fields"])


def test_an_id_beyond_what_the_database_holds_is_simply_not_found(world, api, browser):
    huge = 2**31
    assert api(world.holder).get(f"/cases/{huge}").status_code == 404
    assert browser(world.holder).get(f"/cases/{huge}").status_code == 404
    assert api(world.holder).get(f"/cases/{huge - 1}").status_code == 404  # the largest ID: an ordinary miss
    # Every method: a POST to an ID out of range is a 404 too, never a 405 naming some other route's methods.
    for number in (huge, 6019188492, 10**12):
        assert api(world.holder).post(f"/cases/{number}/bidding", {}).status_code == 404
        assert api(world.holder).post(f"/cases/{number}/filings", {}).status_code == 404


def test_ids_route_up_to_the_largest_the_database_holds(app):
    adapter = app.url_map.bind("localhost")
    for number in (0, 7, 999_999_999, 1_999_999_999, 2_147_483_639, 2**31 - 1):
        assert adapter.match(f"/api/v1/cases/{number}", method="GET")[1] == {"case_id": number}


def test_nul_bytes_and_lone_surrogates_never_reach_the_database(world, api):
    response = api(world.holder).post("/cases", notice_data(title="Bolso\x00 copia\ud800", text="Texto\x00 \udfff"))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["title"] == "Bolso copia"


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example",
        "/%2F/evil.example",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
        "/%5Cevil.example",
    ],
)
def test_sign_in_never_redirects_away_from_the_platform(world, client, target):
    from tests.conftest import PASSWORD

    page = client.get("/login")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(
        f"/login?next={target}", data={"email": world.holder.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and "evil" not in location


def test_pages_and_api_answers_for_a_signed_in_reader_are_never_cached(world, api, browser):
    assert api(world.holder).get("/cases").headers["Cache-Control"] == "no-store"
    assert browser(world.holder).get("/").headers["Cache-Control"] == "no-store"


def test_a_platform_e_mail_quotes_what_a_party_wrote_as_a_marked_excerpt_without_links(app, world):
    from odr.cases import services
    from odr.i18n import render_in_locale
    from odr.notifications.models import Notification

    world.holder.party.name = "Acme — verify your account at https://evil.example/login or mail boss@evil.example"
    db.session.commit()
    services.file_notice(
        world.holder,
        notice_data(respondent={"email": "shop@example.mx", "name": "Tienda", "country": "MX", "language": "es"}),
    )
    note = db.session.scalars(db.select(Notification).where(Notification.kind == "invitation")).one()
    # The invitation's own text (the statement the jurisdiction requires it to carry is rendered by its rule).
    own = {k: v for k, v in note.data.items() if k != "statement"}
    body = render_in_locale("en", "notifications/invitation.txt", note=note, data=own)
    assert "https://" not in body and "evil.example" not in body and "@evil" not in body
    quoted = "Acme — verify your account at https[:]//evil[.]example/login or mail boss[at]evil[.]example"
    assert f"> \u2068{quoted}\u2069" in body  # isolated: its direction cannot spill into the platform's text
    assert "in its own words, not checked by the platform; links are disabled" in body
