"""The settlement ladder over the API: assignment, the mediator's desk, timeline, blind bidding,
agreements, neutral evaluation, and measures for the platform."""

from __future__ import annotations

from datetime import datetime

from flask import Response, g, jsonify, request

from odr.accounts.models import Role
from odr.api import authenticated, bp, json_body, page_request, paged
from odr.cases.access import get_case
from odr.cases.api import case_json
from odr.errors import Forbidden
from odr.extensions import gettext as _
from odr.mediation import agreement, bidding, desk, evaluation, measures, signing
from odr.mediation.models import Measure
from odr.mediation.services import (
    accept_appointment,
    affiliations,
    appointment_summary,
    assign_mediator,
    declare_affiliation,
    decline_appointment,
    independence_declaration,
    pending_appointments,
)
from odr.pagination import Page, RowId, keyset, keyset_list


def _page() -> dict:
    limit, cursor = page_request()
    return {"limit": limit, "cursor": cursor}


def _mediator():
    if g.api_account.role != Role.MEDIATOR:
        raise Forbidden(_("Only mediators have a desk."))


@bp.post("/cases/<int:case_id>/mediator")
@authenticated
def api_assign_mediator(case_id):
    data = json_body()
    case = assign_mediator(g.api_account, case_id, data.get("mediator_id"), automatic=data.get("automatic") is True)
    return jsonify(case_json(case, g.api_account))


@bp.get("/mediation/desk")
@authenticated
def api_desk():
    _mediator()
    # Health-and-safety cases first, then by the next deadline of any kind of clock.
    view = desk.mediator_desk(
        g.api_account, {k: request.args.get(k) for k in ("jurisdiction", "stage", "language")}, **_page()
    )
    page = Page(view.rows, view.next_cursor)
    return jsonify(
        {
            "counts": view.counts,
            "filters": view.options,
            "appointments": [appointment_summary(a) for a in view.appointments],
            "cases": [
                {
                    "id": r.case.id,
                    "reference": r.case.reference,
                    "jurisdiction": r.case.jurisdiction,
                    "stage": r.case.state,
                    "languages": r.languages,
                    "overdue": r.overdue,
                    "due_this_week": r.due_this_week,
                    "unconfirmed_measures_overdue": r.overdue_measures,
                    "health_safety": r.health_safety,
                    "next_due": None
                    if r.next_due is None
                    else {
                        "at": r.next_due.at.isoformat(),
                        "what": r.next_due.label,
                        "if_nobody_acts": r.next_due.consequence,
                    },
                }
                for r in page.items
            ],
            "next": paged("cases", [], page)["next"],
            "next_cursor": page.next_cursor,
        }
    )


@bp.get("/mediation/appointments")
@authenticated
def api_appointments():
    _mediator()
    page = keyset_list(
        pending_appointments(g.api_account), lambda a: (a.assigned_at, a.id), [datetime, RowId], **_page()
    )
    return jsonify(
        {
            "declaration": independence_declaration(),
            **paged("appointments", [appointment_summary(a) for a in page.items], page),
        }
    )


@bp.post("/mediation/appointments/<int:appointment_id>/accept")
@authenticated
def api_accept_appointment(appointment_id):
    data = json_body()
    appointment = accept_appointment(g.api_account, appointment_id, data.get("declaration"), data.get("disclosures"))
    return jsonify(case_json(appointment.case, g.api_account))


@bp.post("/mediation/appointments/<int:appointment_id>/decline")
@authenticated
def api_decline_appointment(appointment_id):
    appointment = decline_appointment(g.api_account, appointment_id, json_body().get("reason"))
    return jsonify({"appointment_id": appointment.id, "status": appointment.status.value})


@bp.post("/mediation/affiliations")
@authenticated
def api_declare_affiliation():
    declare_affiliation(g.api_account, json_body().get("organisation"))
    return jsonify(
        {
            "affiliations": [
                {"organisation": a.organisation, "declared_at": a.declared_at.isoformat()}
                for a in affiliations(g.api_account)
            ]
        }
    ), 201


@bp.get("/cases/<int:case_id>/timeline")
@authenticated
def api_timeline(case_id):
    case = get_case(g.api_account, case_id)
    return jsonify(
        {
            "entries": [
                {"at": e.at.isoformat(), "future": e.future, "what": e.label, "detail": e.detail, "role": e.role}
                for e in desk.timeline(case)
            ]
        }
    )


@bp.get("/cases/<int:case_id>/bidding")
@authenticated
def api_bidding(case_id):
    case = get_case(g.api_account, case_id)
    return jsonify({"bidding": bidding.bidding_view(g.api_account, case)})


@bp.post("/cases/<int:case_id>/bidding")
@authenticated
def api_open_bidding(case_id):
    bidding.open_bidding(g.api_account, case_id, json_body())
    return jsonify({"bidding": bidding.bidding_view(g.api_account, get_case(g.api_account, case_id))}), 201


@bp.post("/cases/<int:case_id>/bids")
@authenticated
def api_submit_bid(case_id):
    data = json_body()
    bidding.submit_bid(g.api_account, case_id, data.get("amount"), data.get("accept_rules"))
    return jsonify({"bidding": bidding.bidding_view(g.api_account, get_case(g.api_account, case_id))}), 201


@bp.get("/cases/<int:case_id>/agreement")
@authenticated
def api_agreement(case_id):
    return jsonify(agreement.agreement_json(agreement.agreement_for(g.api_account, case_id)))


@bp.get("/cases/<int:case_id>/agreement.pdf")
@authenticated
def api_agreement_pdf(case_id):
    context = agreement.agreement_for(g.api_account, case_id)
    return Response(
        agreement.agreement_pdf(context),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{agreement.pdf_name(context)}"'},
    )


@bp.post("/cases/<int:case_id>/agreement")
@authenticated
def api_draft_agreement(case_id):
    agreement.draft_agreement(g.api_account, case_id, json_body())
    return jsonify(agreement.agreement_json(agreement.agreement_for(g.api_account, case_id))), 201


@bp.post("/cases/<int:case_id>/offers/<int:filing_id>/accept")
@authenticated
def api_accept_offer(case_id, filing_id):
    signing.accept_offer(g.api_account, case_id, filing_id)
    return jsonify(agreement.agreement_json(agreement.agreement_for(g.api_account, case_id))), 201


@bp.post("/cases/<int:case_id>/agreement/approve")
@authenticated
def api_approve_version(case_id):
    signing.approve_version(g.api_account, case_id, str(json_body().get("language") or ""))
    return jsonify(agreement.agreement_json(agreement.agreement_for(g.api_account, case_id)))


@bp.post("/cases/<int:case_id>/agreement/sign")
@authenticated
def api_sign_agreement(case_id):
    signing.sign_agreement(g.api_account, case_id, json_body())
    case = get_case(g.api_account, case_id)
    return jsonify({"state": case.state, **agreement.agreement_json(agreement.agreement_for(g.api_account, case_id))})


@bp.get("/cases/<int:case_id>/evaluation")
@authenticated
def api_evaluation(case_id):
    found = evaluation.evaluation_of(get_case(g.api_account, case_id))
    return jsonify({"evaluation": None if found is None else evaluation.evaluation_json(found)})


@bp.post("/cases/<int:case_id>/evaluation")
@authenticated
def api_open_evaluation(case_id):
    return jsonify(
        {"evaluation": evaluation.evaluation_json(evaluation.open_evaluation(g.api_account, case_id, json_body()))}
    ), 201


@bp.post("/cases/<int:case_id>/evaluation/deposits")
@authenticated
def api_record_deposit(case_id):
    data = json_body()
    evaluation.record_deposit(g.api_account, case_id, data.get("side"), data.get("reference"))
    return jsonify(
        {"evaluation": evaluation.evaluation_json(evaluation.evaluation_of(get_case(g.api_account, case_id)))}
    ), 201


@bp.post("/cases/<int:case_id>/evaluation/submissions")
@authenticated
def api_evaluation_submission(case_id):
    evaluation.submit(g.api_account, case_id, json_body())
    return jsonify(
        {"evaluation": evaluation.evaluation_json(evaluation.evaluation_of(get_case(g.api_account, case_id)))}
    ), 201


@bp.get("/evaluations/<int:evaluation_id>")
@authenticated
def api_neutral_evaluation(evaluation_id):
    return jsonify(
        {"evaluation": evaluation.evaluation_json(evaluation.neutral_evaluation(g.api_account, evaluation_id))}
    )


@bp.post("/evaluations/<int:evaluation_id>/decision")
@authenticated
def api_decide_evaluation(evaluation_id):
    return jsonify(
        {"evaluation": evaluation.evaluation_json(evaluation.decide(g.api_account, evaluation_id, json_body()))}
    )


@bp.get("/measures")
@authenticated
def api_measures():
    query = measures.platform_measures_query(g.api_account, request.args.get("status", "pending"))
    limit, cursor = page_request()
    page = keyset(query, [Measure.confirm_by, Measure.id], limit=limit, cursor=cursor, descending=False)
    return jsonify(paged("measures", [measures.measure_json(m) for m in page.items], page))


@bp.post("/measures/<int:measure_id>/confirm")
@authenticated
def api_confirm_measure(measure_id):
    measure = measures.confirm_measure(g.api_account, measure_id, json_body().get("reference"))
    return jsonify(measures.measure_json(measure))
