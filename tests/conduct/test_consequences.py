"""Issue 14 items 2 and 3: the forms say what a wrongful or malicious notice (or declaration) costs before
submission, in the filer's language; findings are served on both parties; a notifier whose notices' processing is
suspended (DSA Art. 23(2)) has its complaints suspended too, with the same statement of reasons."""

from __future__ import annotations

from datetime import timedelta

import pytest

from odr.cases import services as cases
from odr.conduct import services
from odr.conduct.models import AccountMeasure
from odr.dsa import services as dsa
from odr.errors import NotAllowed
from odr.extensions import db
from odr.notifications.models import Delivery
from odr.procedure import jurisdictions
from tests.conftest import notice_data
from tests.dsa.test_dsa import T0, decided, file_eu, open_all


def test_cn_notice_and_counter_notice_warnings_are_data_with_citations(app):
    cn = jurisdictions.get("CN")
    (notice,) = cn.notice_rules("trademark").warnings
    assert notice.name == "cn_wrongful_notice" and "Art. 42(3)" in notice.citation.article
    assert "1195(3)" in notice.citation.article and notice.citation.confidence == "secondary"
    (counter,) = cn.notice_rules("trademark", counter=True).warnings
    assert counter.name == "cn_malicious_declaration" and "法释〔2020〕9号" in counter.citation.instrument


@pytest.mark.parametrize(
    ("lang", "notice_text", "declaration_text"),
    [
        ("en", "a notice sent in bad faith makes you liable for double the loss", "punitive damages"),
        ("zh_Hans", "恶意发出的通知", "惩罚性赔偿"),
        ("de", "doppelten Schadens", "Strafschadensersatz"),
    ],
)
def test_the_forms_state_the_consequences_in_the_filers_language_before_submission(
    world, browser, lang, notice_text, declaration_text
):
    form = browser(world.holder).get(f"/cases/new?lang={lang}").get_data(as_text=True)
    assert notice_text in form
    case = cases.file_notice(world.holder, notice_data(jurisdiction="CN")).obj
    shown = browser(world.seller).get(f"/cases/{case.id}?lang={lang}").get_data(as_text=True)
    assert declaration_text in shown  # the counter-notice form on the seller's case page


def test_a_finding_is_served_on_both_parties(world):
    case = cases.file_notice(world.holder, notice_data(jurisdiction="GB")).obj
    claim = services.do_claim_wrongful_notice(
        world.seller, case.id, {"grounds": "Wrong.", "language": "en", "loss_amount": "100", "currency": "GBP"}
    )
    services.do_decide_wrongful_notice(
        world.admin, claim.id, {"finding": "erroneous", "reasons": "Not the holder's mark.", "language": "en"}
    )
    rows = db.session.scalars(
        db.select(Delivery).where(Delivery.case_id == case.id, Delivery.act == "wrongful_notice_finding")
    ).all()
    assert {r.role for r in rows} == {"claimant", "respondent"}
    assert {r.channel for r in rows} == {"inbox", "email"}
    assert all(r.data["finding"] == "erroneous" and r.data["reasons"] == "Not the holder's mark." for r in rows)


def test_a_suspended_notifiers_complaint_is_suspended_with_the_same_statement_of_reasons(world, api):
    case = decided(world, file_eu(world), outcome="no_action")
    open_all(case, world.holder, T0 + timedelta(hours=4))
    at = T0 + timedelta(days=30)
    suspension = AccountMeasure(
        party_id=world.holder.party_id,
        policy="notice_misuse",
        kind="suspend_notice_processing",
        jurisdiction="default",
        case_id=case.id,
        starts_at=at - timedelta(days=1),
        ends_at=at + timedelta(days=29),
        reasons={"policy": "notice_misuse", "unfounded": 5, "malicious": 1, "filed": 7},
    )
    db.session.add(suspension)
    db.session.commit()
    with pytest.raises(NotAllowed) as refused:
        dsa.file_complaint(world.holder, case.id, {"text": "The listing copies our mark."}, at=at)
    assert refused.value.code == "notice_processing_suspended"
    assert "notices and complaints" in refused.value.message
    assert refused.value.details["conduct_measure_id"] == suspension.id
    assert refused.value.details["unfounded"] == 5 and refused.value.details["filed"] == 7
    # The day the suspension ends, the same complaint is received.
    complaint = dsa.file_complaint(
        world.holder, case.id, {"text": "The listing copies our mark."}, at=suspension.ends_at + timedelta(seconds=1)
    )
    assert complaint.role == "claimant"
