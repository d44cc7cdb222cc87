"""Negotiation that ends in a signature: an offer accepted becomes a draft agreement in both parties' languages,
a machine-translated version waits for a person's approval, and each party signs at its own time with its
password (or one-time code); the agreement is concluded only when both have signed the same text."""

from datetime import timedelta

import pytest

from odr.cases import services
from odr.cases.models import SettlementAcceptance
from odr.errors import NotAllowed, ValidationFailed
from odr.mediation import signing
from odr.models_base import utcnow
from tests.conftest import PASSWORD, sign
from tests.mediation.conftest import open_case

pytestmark = pytest.mark.e2e

OFFER = "Retiramos el anuncio y pagamos 300 EUR."


def _offer(world, case_id, **terms):
    return services.add_filing(
        world.holder,
        case_id,
        {
            "kind": "offer",
            "language": "es",
            "text": OFFER,
            "terms": {"amount": "300", "currency": "EUR", "listing_measure": "remove", **terms},
        },
    ).obj


def _signature(account, **overrides):
    return {
        "signed_name": account.display_name,
        "capacity": "director",
        "place": "Madrid",
        "password": PASSWORD,
    } | overrides


def test_an_accepted_offer_becomes_a_draft_in_both_languages_approved_then_signed_by_each_at_its_own_time(world, api):
    case_id = open_case(world)
    offer = _offer(world, case_id, licence="Licencia de marca por un año")
    accepted = api(world.seller).post(f"/cases/{case_id}/offers/{offer.id}/accept")
    assert accepted.status_code == 201, accepted.get_json()
    draft = accepted.get_json()
    versions = {v["language"]: v for v in draft["versions"]}
    assert set(versions) == {"es", "zh"}
    assert versions["es"]["text"] == OFFER and not versions["es"]["machine_translated"]
    assert versions["zh"]["machine_translated"] and versions["zh"]["awaiting_approval"]
    assert draft["awaiting_approval"] == ["zh"] and draft["authoritative_language"] == "es"
    # The terms are clauses of each version, each in its own language.
    assert any("300.00 EUR" in c for c in versions["es"]["clauses"])
    assert any("300.00 EUR" in c for c in versions["zh"]["clauses"])
    assert len(versions["zh"]["clauses"]) == 3  # amount, licence, listings
    assert draft["terms"]["offer_id"] == offer.id and draft["terms"]["listing_measure"] == "remove"
    # Nobody signs a text a machine wrote until a party or the mediator has approved it.
    refused = sign(api(world.holder), case_id, draft)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "translation_not_approved"
    approved = api(world.seller).post(f"/cases/{case_id}/agreement/approve", {"language": "zh"})
    assert approved.status_code == 200 and approved.get_json()["awaiting_approval"] == []
    kinds = [e["kind"] for e in api(world.holder).get(f"/cases/{case_id}/events").get_json()["events"]]
    assert "agreement_version_approved" in kinds
    # The right holder signs now; the seller a day later: one signature does not conclude it.
    first = sign(api(world.holder), case_id, draft)
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["state"] != "settled" and not first.get_json()["concluded"]
    later = utcnow() + timedelta(days=1)
    signing.sign_agreement(
        world.seller, case_id, _signature(world.seller, place="深圳", capacity="法定代表人"), at=later
    )
    agreement = api(world.holder).get(f"/cases/{case_id}/agreement").get_json()
    assert agreement["concluded"]
    acts = agreement["acceptances"]
    assert [(a["signed_name"], a["capacity"], a["place"]) for a in acts] == [
        ("holder", "director", "Madrid"),
        ("seller", "法定代表人", "深圳"),
    ]
    assert acts[0]["accepted_at"] != acts[1]["accepted_at"]
    assert {a["text_sha256"] for a in acts} == {draft["text_sha256"]}
    assert api(world.holder).get(f"/cases/{case_id}").get_json()["state"] == "settled"
    events = api(world.holder).get(f"/cases/{case_id}/events").get_json()["events"]
    signed = [e for e in events if e["kind"] == "settlement_accepted"]
    assert [e["payload"]["text_sha256"] for e in signed] == [draft["text_sha256"]] * 2


def test_a_wrong_password_or_a_name_not_the_signers_is_refused_and_refusals_are_rate_limited(world, api):
    case_id = open_case(world)
    offer = _offer(world, case_id)
    draft = api(world.seller).post(f"/cases/{case_id}/offers/{offer.id}/accept").get_json()
    api(world.holder).post(f"/cases/{case_id}/agreement/approve", {"language": "zh"})
    holder = api(world.holder)
    wrong = sign(holder, case_id, draft, password="guess")
    assert wrong.status_code == 422 and "password" in wrong.get_json()["error"]["fields"]
    other_name = sign(holder, case_id, draft, signed_name="Someone Else")
    assert other_name.status_code == 422 and "signed_name" in other_name.get_json()["error"]["fields"]
    assert SettlementAcceptance.query.count() == 0
    statuses = [sign(holder, case_id, draft, password="guess").status_code for _n in range(5)]
    assert statuses[-1] == 429  # five refusals per 15 minutes, as wrong sign-ins are limited
    # The right password is held up too while the limit lasts: a guesser gains nothing by the right one.
    assert sign(holder, case_id, draft).status_code == 429


def test_with_two_step_sign_in_the_signer_gives_its_current_code(world, api, app):
    import pyotp

    from odr.accounts import second_factor

    case_id = open_case(world)
    offer = _offer(world, case_id)
    signing.accept_offer(world.seller, case_id, offer.id)
    signing.approve_version(world.seller, case_id, "zh")
    secret = second_factor.begin_enrolment(world.holder)
    second_factor.confirm_enrolment(world.holder, pyotp.TOTP(secret).now())
    with pytest.raises(ValidationFailed) as refused:
        signing.sign_agreement(world.holder, case_id, _signature(world.holder))  # the password is not the code
    assert "password" in refused.value.fields
    world.holder.totp_last_step = None  # the enrolment took this step's code; a new one is due
    code = pyotp.TOTP(secret).now()
    assert signing.sign_agreement(world.holder, case_id, _signature(world.holder, password=code)).capacity == "director"


def test_a_change_after_one_signature_voids_it(world, api):
    case_id = open_case(world)
    offer = _offer(world, case_id)
    draft = api(world.seller).post(f"/cases/{case_id}/offers/{offer.id}/accept").get_json()
    api(world.holder).post(f"/cases/{case_id}/agreement/approve", {"language": "zh"})
    assert sign(api(world.holder), case_id, draft).status_code == 200
    changed = api(world.seller).post(
        f"/cases/{case_id}/agreement",
        {"authoritative_language": "es", "texts": {"es": OFFER + " Sin más.", "zh": "我们删除商品并支付300欧元。"}},
    )
    assert changed.status_code == 201
    agreement = changed.get_json()
    assert agreement["acceptances"] == [] and len(agreement["voided_acceptances"]) == 1
    # The seller's signature on the new text alone does not conclude it; the old signature does not count.
    assert sign(api(world.seller), case_id, draft).status_code == 409  # signed against the old digest
    assert sign(api(world.seller), case_id, agreement).get_json()["state"] != "settled"
    assert sign(api(world.holder), case_id, agreement).get_json()["state"] == "settled"


def test_only_the_party_the_offer_was_made_to_accepts_it_and_only_parties_sign(world, api):
    case_id = open_case(world)
    offer = _offer(world, case_id)
    assert api(world.holder).post(f"/cases/{case_id}/offers/{offer.id}/accept").status_code == 409  # its own
    assert api(world.stranger_holder).post(f"/cases/{case_id}/offers/{offer.id}/accept").status_code == 404
    draft = api(world.seller).post(f"/cases/{case_id}/offers/{offer.id}/accept").get_json()
    # Accepting again gives the same draft, not a second one.
    again = api(world.seller).post(f"/cases/{case_id}/offers/{offer.id}/accept").get_json()
    assert again["filing_id"] == draft["filing_id"]
    api(world.holder).post(f"/cases/{case_id}/agreement/approve", {"language": "zh"})
    assert sign(api(world.stranger_holder), case_id, draft).status_code == 404
    with pytest.raises(NotAllowed):
        services.accept_settlement(world.holder, case_id, draft["filing_id"], draft["text_sha256"])  # one click


def test_the_case_page_offers_accept_and_the_agreement_page_signs(world, browser, api):
    case_id = open_case(world)
    offer = _offer(world, case_id)
    seller = browser(world.seller)
    page = seller.get(f"/cases/{case_id}").get_data(as_text=True)
    assert f"/cases/{case_id}/offers/{offer.id}/accept" in page
    holder_page = browser(world.holder).get(f"/cases/{case_id}").get_data(as_text=True)
    assert f"/offers/{offer.id}/accept" not in holder_page  # not one's own offer
    done = seller.post(f"/cases/{case_id}/offers/{offer.id}/accept", {}, form_page=f"/cases/{case_id}")
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/cases/{case_id}/agreement")
    page = seller.get(f"/cases/{case_id}/agreement").get_data(as_text=True)
    assert "/agreement/approve" in page and "/agreement/sign" not in page
    seller.post(f"/cases/{case_id}/agreement/approve", {"language": "zh"}, form_page=f"/cases/{case_id}/agreement")
    page = seller.get(f"/cases/{case_id}/agreement").get_data(as_text=True)
    assert 'name="capacity"' in page and 'type="password"' in page
    refused = seller.post(
        f"/cases/{case_id}/agreement/sign",
        {"signed_name": "seller", "capacity": "经理", "place": "深圳", "password": "wrong"},
        form_page=f"/cases/{case_id}/agreement",
    )
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert 'value="经理"' in body and "wrong" not in body  # kept what was typed, never the password
    signed = seller.post(
        f"/cases/{case_id}/agreement/sign",
        {"signed_name": "seller", "capacity": "经理", "place": "深圳", "password": PASSWORD},
        form_page=f"/cases/{case_id}/agreement",
    )
    assert signed.status_code == 302
    page = seller.get(f"/cases/{case_id}/agreement").get_data(as_text=True)
    assert "经理" in page and "深圳" in page and 'name="capacity"' not in page


def test_the_pdf_shows_the_signature_acts(world, api):
    import io

    from pypdf import PdfReader

    case_id = open_case(world)
    offer = _offer(world, case_id)
    draft = api(world.seller).post(f"/cases/{case_id}/offers/{offer.id}/accept").get_json()
    api(world.seller).post(f"/cases/{case_id}/agreement/approve", {"language": "zh"})
    sign(api(world.holder), case_id, draft, capacity="administradora única", place="Valencia")
    pdf = api(world.holder).get(f"/cases/{case_id}/agreement.pdf")
    assert pdf.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.get_data())).pages)
    assert "administradora única" in text and "Valencia" in text and draft["text_sha256"] in text.replace("\n", "")
