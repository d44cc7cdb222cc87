"""A seller's security to stay online during the wait (issue 14 item 7, Platform Rule 22).

While the measure taken on the notice stands, the seller offers an amount and a guarantee document; the
reviewer or mediator decides with reasons; accepted, the listings are restored through the measures channel
while the case runs, and the security follows the outcome: forfeited when the notice is upheld, returned when
it fails or is withdrawn.
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from odr.cases import services as cases
from odr.cases.models import Case, EvidenceFile
from odr.errors import Forbidden, NotAllowed, ValidationFailed
from odr.export import court
from odr.extensions import db
from odr.mediation.measures import platform_measures
from odr.mediation.models import Measure
from odr.notifications.models import Delivery
from odr.procedure.services import measures_standing
from odr.securities import services
from odr.securities.models import SecurityStatus, SellerSecurity
from odr.securities.policy import policy
from tests.conftest import notice_data

GUARANTEE = b"%PDF-1.7\n% bank guarantee for CNY 50000\n" + b"0" * 200
DECISION_PDF = b"%PDF-1.7\n% signed decision\n" + b"0" * 200


def offer(world, case_id, document=GUARANTEE, **overrides):
    data = {
        "amount": "50000",
        "currency": "CNY",
        "document_kind": "bank_guarantee",
        "note": "双十一期间请恢复链接，银行保函附后。",
        "language": "zh",
    }
    data.update(overrides)
    upload = cases.Upload(io.BytesIO(document), "保函.pdf") if document is not None else None
    return services.do_offer_security(world.seller, case_id, data, upload).obj


def decide(account, security, decision="accept", **overrides):
    data = {"decision": decision, "reasons": "The guarantee covers the right holder's likely loss.", "language": "en"}
    data.update(overrides)
    return services.do_decide_security(account, security.id, data)


def served(case_id, act) -> set[str]:
    return set(db.session.scalars(db.select(Delivery.role).where(Delivery.case_id == case_id, Delivery.act == act)))


def kinds(case_id) -> list[str]:
    """The measures ordered on the case's listings, in order, one entry per order (each covers every listing)."""
    rows = db.session.scalars(db.select(Measure).where(Measure.case_id == case_id).order_by(Measure.id))
    found: list[str] = []
    for measure in rows:
        if not found or found[-1] != measure.kind.value:
            found.append(measure.kind.value)
    return found


def cn_case(world) -> Case:
    return cases.file_notice(world.holder, notice_data()).obj  # CN: taken down at once (ECL Art. 42(2))


def test_the_terms_come_from_data_with_citation_and_confidence(app):
    rules = policy()
    cn = rules.rules_for("cn-ecl", "CN")
    assert cn.allowed and set(cn.currencies) == {"CNY"}
    assert "法发〔2020〕32号" in cn.citation.instrument and cn.citation.confidence == "unverified"
    assert not rules.rules_for("us-dmca", "US").allowed
    assert "512(g)" in rules.rules_for("us-dmca", "US").citation.instrument
    assert not rules.rules_for("eu-dsa", "EU").allowed
    assert rules.rules_for("gb-ecr", "GB").citation.article.startswith("Rule 22")


def test_accepted_the_listings_are_restored_then_forfeited_when_the_court_upholds_the_notice(world, api, platform):
    case = cn_case(world)
    assert measures_standing(case) and kinds(case.id) == ["take_down"]
    security = offer(world, case.id)
    assert security.status == SecurityStatus.OFFERED
    assert served(case.id, "security_offer") == {"claimant"}  # no mediator assigned yet
    document = db.session.get(EvidenceFile, security.evidence_id)
    assert document.case_id == case.id and document.original_name == "保函.pdf"

    decide(world.admin, security)
    assert security.status == SecurityStatus.ACCEPTED and security.decider_role == "admin"
    assert kinds(case.id) == ["take_down", "restore_against_security"]
    orders = [m for m in platform_measures(platform) if m.kind.value == "restore_against_security"]
    assert {m.listing for m in orders} == {item.locator for item in case.listings}
    order = orders[0]
    assert order.details["security_amount"] == "50000.00" and order.details["currency"] == "CNY"
    assert served(case.id, "security_decision") == {"claimant", "respondent"}
    assert not measures_standing(case)

    cases.add_filing(world.seller, case.id, {"kind": "response", "language": "zh", "text": "我们的产品是正品。"})
    cases.take_action(world.holder, case.id, "escalate")
    decision = {"outcome": "upheld", "listing_measure": "keep_in_force", "language": "en", "text": "Infringement."}
    court.decide(world.court, case.id, decision, court.Upload(io.BytesIO(DECISION_PDF), "decision.pdf"))
    db.session.expire_all()
    security = db.session.get(SellerSecurity, security.id)
    assert (security.status, security.release_ground) == (SecurityStatus.FORFEITED, "court_upheld")
    # The restoration lasted only while the case ran: with "keep in force" the listings come down again.
    assert kinds(case.id)[-1] == "take_down"
    assert served(case.id, "security_release") == {"claimant", "respondent"}
    released = db.session.scalars(
        db.select(Delivery).where(Delivery.case_id == case.id, Delivery.act == "security_release")
    ).first()
    assert released.data["ground"] == "court_upheld" and released.data["status"] == "forfeited"

    # The court bundle carries the offer, the decision, the outcome and the guarantee document.
    response = api(world.court).get(f"/cases/{case.id}/export")
    bundle = zipfile.ZipFile(io.BytesIO(response.get_data()))
    response.close()
    case_json = json.loads(next(bundle.read(n) for n in bundle.namelist() if n.endswith("data/case.json")))
    (entry,) = case_json["seller_security"]
    assert entry["status"] == "forfeited" and entry["release_ground"] == "court_upheld"
    assert entry["document"]["sha256"] in {e["sha256"] for e in case_json["evidence"]}
    kinds_on_chain = {e["kind"] for e in services_events(case.id)}
    assert {"security_offered", "security_decided", "security_released"} <= kinds_on_chain


def services_events(case_id):
    from odr.cases.models import Event

    return [{"kind": e.kind} for e in db.session.scalars(db.select(Event).where(Event.case_id == case_id))]


def test_accepted_then_returned_when_the_notice_is_withdrawn(world):
    case = cn_case(world)
    security = decide(world.admin, offer(world, case.id))
    before = kinds(case.id)
    cases.take_action(world.holder, case.id, "withdraw")
    db.session.expire_all()
    security = db.session.get(SellerSecurity, security.id)
    assert (security.status, security.release_ground) == (SecurityStatus.RETURNED, "withdrawn")
    # The listings were already online: the withdrawal lifts nothing more, and takes nothing down.
    assert kinds(case.id) == before
    assert served(case.id, "security_release") == {"claimant", "respondent"}


def test_refused_the_measure_stands_and_the_seller_may_offer_again(world, api):
    case = cn_case(world)
    security = decide(world.admin, offer(world, case.id, amount="1000"), "refuse", reasons="Too low for the case.")
    assert security.status == SecurityStatus.REFUSED
    assert kinds(case.id) == ["take_down"] and measures_standing(case)
    assert served(case.id, "security_decision") == {"claimant", "respondent"}
    body = api(world.seller).get(f"/cases/{case.id}/security").get_json()
    assert body["may_offer_now"] is True and body["securities"][0]["reasons"] == "Too low for the case."
    again = offer(world, case.id, amount="80000")
    assert again.id != security.id and again.status == SecurityStatus.OFFERED


def test_bad_input_is_refused_with_the_fields_and_changes_nothing(world):
    case = cn_case(world)
    files_of_the_notice = db.session.scalars(db.select(EvidenceFile).where(EvidenceFile.case_id == case.id)).all()
    with pytest.raises(Forbidden):
        services.do_offer_security(world.holder, case.id, {}, None)
    with pytest.raises(ValidationFailed) as refused:
        offer(world, case.id, document=None, amount="lots", currency="EUR", document_kind="promise", language="xx")
    assert set(refused.value.fields) == {"amount", "currency", "document_kind", "document", "language"}
    with pytest.raises(ValidationFailed) as refused:
        offer(world, case.id, amount="999.99")  # one cent below the CNY minimum
    assert "1000.00" in refused.value.fields["amount"]
    with pytest.raises(ValidationFailed):
        offer(world, case.id, amount="5000000.01")  # one cent above the maximum
    with pytest.raises(ValidationFailed):
        offer(world, case.id, amount="1000.001")
    assert db.session.scalar(db.select(SellerSecurity)) is None
    # No guarantee document was kept: the case holds only the files its (Chinese) notice came with.
    assert (
        db.session.scalars(db.select(EvidenceFile).where(EvidenceFile.case_id == case.id)).all() == files_of_the_notice
    )
    at_minimum = offer(world, case.id, amount="1000")
    with pytest.raises(NotAllowed):
        offer(world, case.id)  # one open offer at a time
    with pytest.raises(Forbidden):
        decide(world.holder, at_minimum)
    with pytest.raises(ValidationFailed) as refused:
        decide(world.admin, at_minimum, decision="maybe", reasons="")
    assert set(refused.value.fields) == {"decision", "reasons"}
    assert db.session.get(SellerSecurity, at_minimum.id).status == SecurityStatus.OFFERED


def test_a_us_dmca_notice_offers_no_security_and_says_why(world):
    case = cases.file_notice(world.holder, notice_data(jurisdiction="US", right_type="copyright")).obj
    if case.procedure_code != "us-dmca":
        pytest.skip("the US copyright notice runs under another procedure here")
    with pytest.raises(NotAllowed) as refused:
        offer(world, case.id, currency="USD")
    assert "512(g)" in refused.value.message


def test_the_api_and_the_page(world, api, browser):
    case = cn_case(world)
    seller = api(world.seller)
    data = {"amount": "60000", "currency": "CNY", "document_kind": "bank_guarantee", "language": "zh"}
    bad = seller.upload(f"/cases/{case.id}/security", dict(data, amount="-1"), [("g.pdf", GUARANTEE)], field="document")
    assert bad.status_code == 422 and "amount" in bad.get_json()["error"]["fields"]
    made = seller.upload(f"/cases/{case.id}/security", data, [("g.pdf", GUARANTEE)], field="document")
    assert made.status_code == 201, made.get_json()
    security_id = made.get_json()["id"]
    assert api(world.stranger_holder).get(f"/cases/{case.id}/security").status_code == 404
    assert api(world.holder).post(f"/securities/{security_id}/decision", {"decision": "accept"}).status_code == 403
    decided = api(world.admin).post(
        f"/securities/{security_id}/decision",
        {"decision": "accept", "reasons": "Garantía bancaria suficiente.", "language": "es"},
    )
    assert decided.status_code == 200 and decided.get_json()["status"] == "accepted"

    page = browser(world.holder).get(f"/cases/{case.id}/security").get_data(as_text=True)
    assert "60000.00 CNY" in page and "Garantía bancaria suficiente." in page
    seller_page = browser(world.seller)
    html = seller_page.get(f"/cases/{case.id}/security").get_data(as_text=True)
    assert "法发〔2020〕32号" in html and 'name="amount"' not in html  # an accepted offer: nothing more to offer


def test_no_security_on_the_health_and_safety_fast_track_until_the_match_is_cleared(world):
    from odr.conduct import health_safety

    case = cases.file_notice(world.holder, notice_data(title="KN95 口罩 FLAMENCO")).obj
    assert health_safety.on_fast_track(case) and measures_standing(case)
    with pytest.raises(NotAllowed) as refused:
        offer(world, case.id)
    assert "fast track" in refused.value.message
    health_safety.do_clear(world.admin, case.id, {"reason": "Bags, not masks: the title names a brand."})
    assert offer(world, case.id).status == SecurityStatus.OFFERED


def test_forfeited_by_a_settlement_that_removes_the_listings_the_agreed_takedown_is_the_only_one(world):
    from odr.mediation import signing
    from tests.conftest import PASSWORD

    case = cn_case(world)
    security = decide(world.admin, offer(world, case.id))
    cases.add_filing(world.seller, case.id, {"kind": "response", "language": "zh", "text": "我们的产品是正品。"})
    proposal = cases.add_filing(
        world.holder,
        case.id,
        {"kind": "offer", "language": "es", "text": "Retiren el anuncio.", "terms": {"listing_measure": "remove"}},
    ).obj
    signing.accept_offer(world.seller, case.id, proposal.id)
    signing.approve_version(world.seller, case.id, "zh")
    for party in (world.holder, world.seller):
        signing.sign_agreement(
            party,
            case.id,
            {"signed_name": party.display_name, "capacity": "director", "place": "Madrid", "password": PASSWORD},
        )
    db.session.expire_all()
    security = db.session.get(SellerSecurity, security.id)
    assert (security.status, security.release_ground) == (SecurityStatus.FORFEITED, "settlement_upheld")
    # The settlement names its measure: the listings come down once, on the agreement, not again on the security.
    assert kinds(case.id) == ["take_down", "restore_against_security", "take_down"]
    last = db.session.scalars(db.select(Measure).where(Measure.case_id == case.id).order_by(Measure.id)).all()
    assert [m.ground for m in last if m.kind.value == "take_down"][len(case.listings) :] == ["settlement"] * len(
        case.listings
    )
