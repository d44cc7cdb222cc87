"""Settlement agreements in both parties' languages, as HTML and PDF, with recorded signature acts;
any change to the text voids earlier acceptances."""

import io
import unicodedata

import pytest
from pypdf import PdfReader

from odr.accounts.models import Role
from odr.cases import services
from odr.cases.services import text_sha256
from tests.conftest import make_account, notice_data, sign

pytestmark = pytest.mark.e2e

SPANISH = "El vendedor retira el anuncio y paga 300 EUR."
CHINESE = "卖家删除商品并支付三百欧元。"


def _draft(api, account, case_id, texts=None, **extra):
    body = {
        "authoritative_language": "es",
        "texts": texts or {"es": SPANISH, "zh": CHINESE},
        "terms": {"amount": "300", "currency": "EUR"},
        **extra,
    }
    return api(account).post(f"/cases/{case_id}/agreement", body)


def _accept(api, account, case_id, agreement):
    return sign(api(account), case_id, agreement)


def test_the_agreement_is_in_both_languages_and_names_the_authoritative_text(world, api, case_id):
    drafted = _draft(api, world.mediator, case_id)
    assert drafted.status_code == 201, drafted.get_json()
    agreement = drafted.get_json()
    assert agreement["authoritative_language"] == "es"
    versions = {v["language"]: v for v in agreement["versions"]}
    assert versions["es"]["text"] == SPANISH and versions["zh"]["text"] == CHINESE
    assert versions["es"]["authoritative"] and not versions["zh"]["authoritative"]
    page = api(world.seller).get(f"/cases/{case_id}/agreement").get_json()
    assert page["text_sha256"] == agreement["text_sha256"]


def test_each_party_signs_and_both_signatures_settle_the_case(world, api, case_id):
    agreement = _draft(api, world.mediator, case_id).get_json()
    assert _accept(api, world.holder, case_id, agreement).status_code == 200
    signed = _accept(api, world.seller, case_id, agreement).get_json()
    assert signed["state"] == "settled"
    acts = api(world.holder).get(f"/cases/{case_id}/agreement").get_json()["acceptances"]
    assert [a["signed_by"] for a in acts] == ["holder", "seller"]
    assert {a["text_sha256"] for a in acts} == {agreement["text_sha256"]}
    assert all(a["accepted_at"] for a in acts)


def test_a_change_to_the_text_voids_earlier_acceptances(world, api, case_id):
    first = _draft(api, world.mediator, case_id).get_json()
    assert _accept(api, world.holder, case_id, first).status_code == 200
    # Only the Chinese version changes: still a new text.
    second = _draft(api, world.mediator, case_id, texts={"es": SPANISH, "zh": CHINESE + "另付运费。"}).get_json()
    assert second["text_sha256"] != first["text_sha256"] and second["acceptances"] == []
    assert [a["text_sha256"] for a in second["voided_acceptances"]] == [first["text_sha256"]]
    # The seller's acceptance of the old text is refused; accepting the new one does not settle alone.
    assert _accept(api, world.seller, case_id, first).status_code == 409
    assert _accept(api, world.seller, case_id, second).get_json()["state"] == "facilitated_settlement"
    assert _accept(api, world.holder, case_id, second).get_json()["state"] == "settled"
    kinds = [e["kind"] for e in api(world.holder).get(f"/cases/{case_id}/events").get_json()["events"]]
    assert "settlement_acceptances_voided" in kinds


def test_the_digest_covers_every_language_version(world, api, case_id):
    from odr.cases.models import Filing
    from odr.extensions import db

    agreement = _draft(api, world.mediator, case_id).get_json()
    filing = db.session.get(Filing, agreement["filing_id"])
    assert text_sha256(filing) == agreement["text_sha256"]
    filing.terms = {**filing.terms, "versions": {"es": SPANISH, "zh": "改动"}}
    assert text_sha256(filing) != agreement["text_sha256"]
    db.session.rollback()


def test_missing_versions_and_a_foreign_authoritative_language_are_refused(world, api, case_id):
    refused = _draft(api, world.mediator, case_id, texts={"es": SPANISH})
    assert refused.status_code == 422 and "texts.zh" in refused.get_json()["error"]["fields"]
    refused = api(world.mediator).post(
        f"/cases/{case_id}/agreement", {"authoritative_language": "fr", "texts": {"es": SPANISH, "zh": CHINESE}}
    )
    assert refused.status_code == 422 and "authoritative_language" in refused.get_json()["error"]["fields"]


def _squash(text: str) -> str:
    """Text to compare: compatibility form (extractors may give Arabic presentation forms), no spaces and
    no punctuation (a sentence's final stop lands at the visual start of a right-to-left line)."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if not ch.isspace() and not unicodedata.category(ch).startswith("P"))


def _pdf_text(data: bytes) -> str:
    return _squash("".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def test_the_pdf_contains_the_arabic_text_in_reading_order(world, api):
    arabic_seller = make_account(Role.SELLER, "souk@example.ma", country="MA", language="ar")
    case = services.file_notice(world.holder, notice_data(seller_email="souk@example.ma")).obj
    services.add_filing(arabic_seller, case.id, {"kind": "response", "language": "ar", "text": "لدينا ترخيص."})
    arabic = "يسحب البائع الإعلان ويدفع ثلاثمائة يورو."
    drafted = api(world.holder).post(
        f"/cases/{case.id}/agreement", {"authoritative_language": "ar", "texts": {"es": SPANISH, "ar": arabic}}
    )
    assert drafted.status_code == 201, drafted.get_json()
    response = api(arabic_seller).get(f"/cases/{case.id}/agreement.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    extracted = _pdf_text(response.get_data())
    assert _squash(SPANISH) in extracted
    assert _squash(arabic) in extracted


def test_the_pdf_contains_the_chinese_text(world, api, browser, case_id):
    _draft(api, world.mediator, case_id)
    response = browser(world.seller).get(f"/cases/{case_id}/agreement.pdf")
    assert response.status_code == 200
    extracted = _pdf_text(response.get_data())
    assert _squash(CHINESE) in extracted and _squash(SPANISH) in extracted


def test_the_agreement_page_shows_both_versions_with_their_direction(world, browser, api, case_id):
    _draft(api, world.mediator, case_id)
    page = browser(world.holder).get(f"/cases/{case_id}/agreement").get_data(as_text=True)
    assert SPANISH in page and CHINESE in page and 'lang="zh"' in page


def test_outsiders_cannot_read_the_agreement(world, api, case_id):
    _draft(api, world.mediator, case_id)
    for outsider in (world.stranger_holder, world.other_mediator):
        assert api(outsider).get(f"/cases/{case_id}/agreement").status_code == 404
        assert api(outsider).get(f"/cases/{case_id}/agreement.pdf").status_code == 404


def test_the_pdf_is_rendered_once_and_stored(app, world, api, browser, case_id, monkeypatch):
    from pathlib import Path

    from odr.mediation import agreement

    renders = []
    original = agreement.render_pdf
    monkeypatch.setattr(agreement, "render_pdf", lambda html: renders.append(html) or original(html))
    _draft(api, world.mediator, case_id)
    seller = browser(world.seller)
    first = seller.get(f"/cases/{case_id}/agreement.pdf").get_data()
    second = seller.get(f"/cases/{case_id}/agreement.pdf").get_data()
    assert first == second and first.startswith(b"%PDF") and len(renders) == 1
    (stored,) = Path(app.config["ODR"]["AGREEMENT_DIR"]).iterdir()
    assert stored.read_bytes() == first and oct(stored.stat().st_mode & 0o777) == "0o600"
    # A changed text is another document: rendered (once) again.
    _draft(api, world.mediator, case_id, texts={"es": SPANISH + " Sin más.", "zh": CHINESE})
    assert seller.get(f"/cases/{case_id}/agreement.pdf").get_data() != first and len(renders) == 2


def test_latin_names_are_isolated_in_the_arabic_agreement_and_in_what_is_served(world, api):
    """A Latin name inside an Arabic sentence keeps its order and its final dot ("S.L.") only when isolated:
    every user-supplied name in the agreement (page, PDF, API) and in the statements served is wrapped in
    FIRST STRONG ISOLATE ... POP DIRECTIONAL ISOLATE."""
    from odr.mediation.agreement import agreement_context, agreement_html
    from odr.notifications.models import Delivery

    world.holder.party.name = "Flamenco Moda S.L."
    arabic_seller = make_account(Role.SELLER, "souk@example.ma", country="MA", language="ar")
    case = services.file_notice(world.holder, notice_data(seller_email="souk@example.ma")).obj
    services.add_filing(arabic_seller, case.id, {"kind": "response", "language": "ar", "text": "لدينا ترخيص."})
    arabic = "يسحب البائع الإعلان ويدفع ثلاثمائة يورو."
    drafted = api(world.holder).post(
        f"/cases/{case.id}/agreement",
        {"authoritative_language": "ar", "texts": {"es": SPANISH, "ar": arabic}, "terms": {"licence": "Lic. 7 S.A."}},
    )
    assert drafted.status_code == 201, drafted.get_json()
    context = agreement_context(case)
    version = next(v for v in context["versions"] if v["language"] == "ar")
    assert "\u2068Flamenco Moda S.L.\u2069" in version["between"]
    assert any("\u2068Lic. 7 S.A.\u2069" in clause for clause in version["clauses"])
    assert "\u2068Flamenco Moda S.L.\u2069" in agreement_html(context)  # what WeasyPrint lays out
    served = [d.statement["text"] for d in Delivery.query.filter_by(case_id=case.id) if d.statement]
    # The forwarded notice (E-Commerce Law Art. 42(2)) names the right holder to the Arabic seller.
    assert any("\u2068Flamenco Moda S.L.\u2069" in t for t in served)
    assert all(t.count("Flamenco Moda S.L.") == t.count("\u2068Flamenco Moda S.L.\u2069") for t in served)
