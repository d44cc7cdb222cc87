"""Issue 12 item 4 through the API and the case page: the right holder asks for a notarization pause with proof;
the platform decides with reasons. The boundaries (19, 20, 21 working days, across holidays) are rule cases in
tests/rules/cn_pause.yaml."""

import io
import json
from datetime import date, timedelta

from odr.cases import services
from odr.extensions import db
from odr.procedure.models import Deadline, DeadlineStatus, PauseRequest
from tests.conftest import COUNTER_NOTICE_ELEMENTS, PDF, notice_data


def restore_period(world):
    case = services.file_notice(world.holder, notice_data()).obj
    services.add_filing(
        world.seller,
        case.id,
        {"kind": "counter_notice", "language": "zh", "text": "我们有权销售。", "elements": COUNTER_NOTICE_ELEMENTS},
    )
    # The period runs from the right holder's receipt of the declaration (jurisdictions/CN.yaml, receipt).
    from tests.rules.test_rule_cases import received_at_once

    received_at_once(case, case.state_entered_at)
    deadline = db.session.scalar(
        db.select(Deadline).where(Deadline.case_id == case.id, Deadline.status == DeadlineStatus.PENDING)
    )
    return case, deadline


def test_the_right_holder_asks_with_proof_and_the_platform_grants_with_reasons_through_the_api(world, api):
    case, deadline = restore_period(world)
    due = deadline.due_at
    holder, admin = api(world.holder), api(world.admin)
    url = f"/api/v1/cases/{case.id}/deadlines/{deadline.id}/pause-requests"
    data = {"count": 5, "reason": "The notary office delayed the certificate over the Spring Festival closure."}
    without_proof = holder.client.post(
        url, data={"data": json.dumps(data)}, headers=holder.headers, content_type="multipart/form-data"
    )
    assert without_proof.status_code == 422 and "proof" in without_proof.get_json()["error"]["fields"]
    asked = holder.client.post(
        url,
        data={"data": json.dumps(data), "proof": (io.BytesIO(PDF), "notary-letter.pdf")},
        headers=holder.headers,
        content_type="multipart/form-data",
    )
    assert asked.status_code == 201, asked.get_json()
    request_id = asked.get_json()["id"]
    decide = f"/cases/{case.id}/pause-requests/{request_id}/decision"
    assert holder.post(decide, {"decision": "grant", "reasons": "x"}).status_code == 409, "not the right holder's call"
    granted = admin.post(decide, {"decision": "grant", "reasons": "The notary's letter dates the delay; granted."})
    assert granted.status_code == 200, granted.get_json()
    assert granted.get_json()["granted_count"] == 5
    db.session.expire_all()
    extended = db.session.get(Deadline, deadline.id)
    # The 15 calendar days run first; the 5 working days paused are added after the 15th day, not after the day it
    # rolled forward to (rules/cn-ecl.yaml): among the days after the 15th up to the new last day, every day the
    # count did not skip (weekend, holiday) is a working day, and there are 5. Whatever weekday the case opens on.
    fifteenth = date.fromisoformat(extended.computation["first_day"]) + timedelta(days=14)
    last = date.fromisoformat(extended.computation["last_day"])
    skipped = {date.fromisoformat(day["date"]) for day in extended.computation["skipped"]}
    added = [fifteenth + timedelta(days=n) for n in range(1, (last - fifteenth).days + 1)]
    assert len([day for day in added if day not in skipped]) == 5 and last not in skipped
    assert extended.due_at > due
    case_json = holder.get(f"/cases/{case.id}").get_json()
    extension = case_json["deadlines"][0]["extension"]
    assert extension["requested_by"] == ["claimant"]
    assert extension["combination"]["confidence"] == "secondary"


def test_the_case_page_offers_the_request_and_the_platform_refuses_it_with_reasons(world, browser):
    case, deadline = restore_period(world)
    due = deadline.due_at
    holder = browser(world.holder)
    page = holder.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f"/cases/{case.id}/deadlines/{deadline.id}/pause-requests" in page
    assert "confidence: secondary" in page
    asked = holder.post(
        f"/cases/{case.id}/deadlines/{deadline.id}/pause-requests",
        {
            "count": "3",
            "reason": "The consulate's authentication of the power of attorney took three weeks.",
            "proof": (io.BytesIO(PDF), "consulate.pdf"),
        },
        form_page=f"/cases/{case.id}",
        content_type="multipart/form-data",
    )
    assert asked.status_code == 302, asked.get_data(as_text=True)
    pause = db.session.scalar(db.select(PauseRequest))
    admin = browser(world.admin)
    assert f"/pause-requests/{pause.id}/decision" in admin.get(f"/cases/{case.id}").get_data(as_text=True)
    refused = admin.post(
        f"/cases/{case.id}/pause-requests/{pause.id}/decision",
        {"decision": "refuse", "reasons": "The authentication was requested after the period had started."},
        form_page=f"/cases/{case.id}",
    )
    assert refused.status_code == 302, refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PauseRequest, pause.id).status.value == "refused"
    assert db.session.get(Deadline, deadline.id).due_at == due, "refused: nothing changes"
