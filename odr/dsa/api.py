"""The DSA lane over the API: the reviewers' queue and decisions, statements of reasons, internal complaints,
certified out-of-court bodies."""

from __future__ import annotations

from flask import g, jsonify

from odr.api import authenticated, bp, json_body, page_request, paged
from odr.cases.access import get_case
from odr.dsa import services
from odr.dsa.models import Complaint, NoticeReview, StatementOfReasons
from odr.dsa.pages import statement_view


def review_json(review: NoticeReview, age_days: int | None = None) -> dict:
    return {
        "case_id": review.case_id,
        "reference": review.case.reference,
        "status": review.status.value,
        "priority": review.priority,
        "trusted_flagger": review.trusted_flagger,
        "triage": review.triage,
        "filed_at": review.created_at.isoformat(),
        "age_days": age_days,
        "decision": services.decision_payload(review) if review.outcome else None,
        "decided_at": review.decided_at.isoformat() if review.decided_at else None,
    }


def complaint_json(complaint: Complaint, age_days: int | None = None) -> dict:
    return {
        "id": complaint.id,
        "case_id": complaint.case_id,
        "complainant": complaint.role,
        "against": complaint.against,
        "text": complaint.text,
        "language": complaint.language,
        "filed_at": complaint.filed_at.isoformat(),
        "informed_at": complaint.informed_at.isoformat() if complaint.informed_at else None,
        "window_ends_at": complaint.window_ends_at.isoformat() if complaint.window_ends_at else None,
        "age_days": age_days,
        "status": complaint.status.value,
        "reasons": complaint.reasons,
        "decided_at": complaint.decided_at.isoformat() if complaint.decided_at else None,
    }


def statement_json(statement: StatementOfReasons) -> dict:
    view = statement_view(statement)
    return {
        "id": statement.id,
        "puid": statement.puid,
        "version": statement.version,
        "issued_at": statement.created_at.isoformat(),
        "updated_at": statement.updated_at.isoformat(),
        "content": statement.content,
        "text": {"language": view.language, "sections": [{"title": s.title, "lines": s.lines} for s in view.sections]},
    }


@bp.get("/dsa/reviews")
@authenticated
def api_review_queue():
    rows, page = services.review_queue_page(g.api_account, *page_request())
    return jsonify(
        paged(
            "reviews",
            [
                dict(review_json(r.review, r.age_days), health_safety=r.health_safety, triage_score=r.triage_score)
                for r in rows
            ],
            page,
        )
    )


@bp.post("/cases/<int:case_id>/notice-decision")
@authenticated
def api_decide_notice(case_id: int):
    review = services.decide_notice(g.api_account, case_id, json_body())
    return jsonify(review_json(review)), 201


@bp.get("/cases/<int:case_id>/statements-of-reasons")
@authenticated
def api_statements(case_id: int):
    case = get_case(g.api_account, case_id)
    return jsonify({"statements": [statement_json(s) for s in services.statements(case)]})


@bp.post("/cases/<int:case_id>/complaints")
@authenticated
def api_file_complaint(case_id: int):
    return jsonify(complaint_json(services.file_complaint(g.api_account, case_id, json_body()))), 201


@bp.get("/dsa/complaints")
@authenticated
def api_open_complaints():
    rows, page = services.open_complaints_page(g.api_account, *page_request())
    return jsonify(paged("complaints", [complaint_json(r.complaint, r.age_days) for r in rows], page))


@bp.post("/complaints/<int:complaint_id>/decision")
@authenticated
def api_decide_complaint(complaint_id: int):
    return jsonify(complaint_json(services.decide_complaint(g.api_account, complaint_id, json_body())))


@bp.get("/dsa/out-of-court-bodies")
@authenticated
def api_bodies():
    return jsonify({"bodies": services.out_of_court_bodies()})
