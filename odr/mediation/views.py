"""Pages of the settlement ladder: the mediator's desk, appointments, the timeline, bidding,
agreements (HTML and PDF) and neutral evaluation."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from odr.accounts.models import Role
from odr.cases.access import case_roles, get_case
from odr.cases.services import settlement_transition
from odr.errors import NotAllowed, ValidationFailed
from odr.mediation import agreement, bidding, desk, evaluation, measures
from odr.mediation.models import MeasureKind
from odr.mediation.services import (
    accept_appointment,
    affiliations,
    appointment_summary,
    assign_mediator,
    declare_affiliation,
    decline_appointment,
    independence_declaration,
    roster,
)
from odr.models_base import utcnow

bp = Blueprint("mediation", __name__, template_folder="templates")

MEASURE_ROWS = 5  # the agreement form's optional measure rows (no JavaScript); the API takes any number


@bp.app_context_processor
def ladder_helpers():
    """Helpers the case page's settlement partial calls for the ladder's panels."""
    return {"bidding_view": bidding.bidding_view, "current_bidding": bidding.current_bidding,
            "measure_rows": MEASURE_ROWS, "evaluation_of": evaluation.evaluation_of,
            "case_measures": measures.case_measures, "measure_title": measures.measure_title,
            "mediator_roster": roster, "party_languages": agreement.party_languages,
            "measure_kinds": list(MeasureKind)}


def _flash_errors(action, back: str):
    """Run a form action; show a refusal as a message on the page the form came from."""
    try:
        action()
    except (ValidationFailed, NotAllowed) as exc:
        flash(exc.message, "error")
        for name, message in exc.fields.items():
            flash(f"{name}: {message}", "error")
    return redirect(back)


def _case_page(case_id: int) -> str:
    return url_for("cases.show", case_id=case_id)


@bp.post("/cases/<int:case_id>/mediator")
@login_required
def assign(case_id):
    def act():
        assign_mediator(current_user, case_id, request.form.get("mediator_id"),
                        automatic=request.form.get("automatic") == "1")
        flash(_("The mediator is assigned and asked to accept."), "success")
    return _flash_errors(act, _case_page(case_id))


@bp.get("/mediation")
@login_required
def desk_page():
    if current_user.role != Role.MEDIATOR:
        abort(403)
    filters = {k: request.args.get(k, "") for k in ("jurisdiction", "stage", "language")}
    view = desk.mediator_desk(current_user, filters)
    return render_template("mediation/desk.html", desk=view, filters=filters,
                           summaries=[appointment_summary(a) for a in view.appointments],
                           declaration=independence_declaration(), affiliations=affiliations(current_user),
                           evaluations=evaluation.assigned_evaluations(current_user))


@bp.post("/mediation/appointments/<int:appointment_id>/accept")
@login_required
def accept(appointment_id):
    def act():
        appointment = accept_appointment(current_user, appointment_id, request.form.get("declaration"),
                                         request.form.get("disclosures"))
        flash(_("You accepted the case %(reference)s.", reference=appointment.case.reference), "success")
    return _flash_errors(act, url_for("mediation.desk_page"))


@bp.post("/mediation/appointments/<int:appointment_id>/decline")
@login_required
def decline(appointment_id):
    def act():
        decline_appointment(current_user, appointment_id, request.form.get("reason"))
        flash(_("You declined the case."), "success")
    return _flash_errors(act, url_for("mediation.desk_page"))


@bp.post("/mediation/affiliations")
@login_required
def affiliation():
    def act():
        declare_affiliation(current_user, request.form.get("organisation"))
        flash(_("Your affiliation is recorded."), "success")
    return _flash_errors(act, url_for("mediation.desk_page"))


@bp.get("/cases/<int:case_id>/timeline")
@login_required
def timeline(case_id):
    case = get_case(current_user, case_id)
    return render_template("mediation/timeline.html", case=case, entries=desk.timeline(case),
                           printable=request.args.get("print") == "1")


@bp.post("/cases/<int:case_id>/bidding")
@login_required
def open_bidding(case_id):
    def act():
        bidding.open_bidding(current_user, case_id, request.form)
        flash(_("Blind bidding is open."), "success")
    return _flash_errors(act, _case_page(case_id))


@bp.post("/cases/<int:case_id>/bids")
@login_required
def submit_bid(case_id):
    def act():
        bidding.submit_bid(current_user, case_id, request.form.get("amount"), request.form.get("accept_rules"))
        flash(_("Your secret bid is recorded."), "success")
    return _flash_errors(act, _case_page(case_id))


@bp.get("/cases/<int:case_id>/agreement")
@login_required
def agreement_page(case_id):
    context = agreement.agreement_for(current_user, case_id)
    settling = settlement_transition(context["case"], utcnow()) is not None
    return render_template("mediation/agreement.html", roles=case_roles(current_user, context["case"]),
                           settling=settling, **context)


@bp.get("/cases/<int:case_id>/agreement.pdf")
@login_required
def agreement_pdf(case_id):
    context = agreement.agreement_for(current_user, case_id)
    return Response(agreement.agreement_pdf(context), mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{agreement.pdf_name(context)}"'})


@bp.post("/cases/<int:case_id>/agreement")
@login_required
def draft_agreement(case_id):
    form = request.form
    case = get_case(current_user, case_id)
    data = {"authoritative_language": form.get("authoritative_language"),
            "texts": {lang: form.get(f"text_{lang}") for lang in agreement.party_languages(case)},
            "terms": {k: form.get(k) for k in ("amount", "currency", "licence")},
            "measures": _form_measures(form)}

    def act():
        agreement.draft_agreement(current_user, case_id, data)
        flash(_("The agreement is proposed; earlier acceptances no longer count."), "success")
    return _flash_errors(act, _case_page(case_id))


def _form_measures(form) -> list[dict]:
    """The measures of the form's numbered rows; a row without a kind is left out."""
    return [{"kind": form.get(f"measure_kind_{n}"), "listing": form.get(f"measure_listing_{n}"),
             "element": form.get(f"measure_detail_{n}"), "instructions": form.get(f"measure_detail_{n}"),
             "regions": [r.strip() for r in (form.get(f"measure_regions_{n}") or "").split(",") if r.strip()],
             "security_amount": form.get(f"measure_security_{n}"), "currency": form.get("currency")}
            for n in range(1, MEASURE_ROWS + 1) if form.get(f"measure_kind_{n}")]


@bp.post("/cases/<int:case_id>/evaluation")
@login_required
def open_evaluation(case_id):
    form = request.form
    data = {k: form.get(k) for k in ("claim", "neutral_id", "word_limit", "submission_days", "decision_days",
                                     "deposit_amount", "deposit_currency")}
    data["listings"] = form.getlist("listings")

    def act():
        evaluation.open_evaluation(current_user, case_id, data)
        flash(_("The neutral evaluation has started."), "success")
    return _flash_errors(act, _case_page(case_id))


@bp.post("/cases/<int:case_id>/evaluation/deposits")
@login_required
def record_deposit(case_id):
    def act():
        evaluation.record_deposit(current_user, case_id, request.form.get("side"), request.form.get("reference"))
        flash(_("The deposit is recorded."), "success")
    return _flash_errors(act, _case_page(case_id))


@bp.post("/cases/<int:case_id>/evaluation/submissions")
@login_required
def evaluation_submission(case_id):
    def act():
        evaluation.submit(current_user, case_id, request.form)
        flash(_("Your submission is recorded."), "success")
    return _flash_errors(act, _case_page(case_id))


@bp.get("/evaluations/<int:evaluation_id>")
@login_required
def neutral_page(evaluation_id):
    found = evaluation.neutral_evaluation(current_user, evaluation_id)
    return render_template("mediation/evaluation.html", evaluation=found)


@bp.post("/evaluations/<int:evaluation_id>/decision")
@login_required
def decide(evaluation_id):
    def act():
        evaluation.decide(current_user, evaluation_id, request.form)
        flash(_("Your decision is recorded."), "success")
    return _flash_errors(act, url_for("mediation.neutral_page", evaluation_id=evaluation_id))
