"""Pages of the settlement ladder: the mediator's desk, appointments, the timeline, bidding,
agreements (HTML and PDF) and neutral evaluation."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, flash, render_template, request, url_for
from flask_login import current_user, login_required

from odr.cases.access import get_case
from odr.cases.pages import has_desk
from odr.cases.views import case_page_response, submit_on_case_page
from odr.extensions import gettext as _
from odr.forms import BLANK, FormState, submit
from odr.mediation import agreement, bidding, evaluation, pages, signing
from odr.mediation.measures import measure_title
from odr.mediation.services import accept_appointment, assign_mediator, declare_affiliation, decline_appointment

bp = Blueprint("mediation", __name__, template_folder="templates")
bp.add_app_template_global(measure_title, "measure_title")  # a label; no query


@bp.post("/cases/<int:case_id>/mediator")
@login_required
def assign(case_id):
    def act():
        assign_mediator(
            current_user, case_id, request.form.get("mediator_id"), automatic=request.form.get("automatic") == "1"
        )
        flash(_("The mediator is assigned and asked to accept."), "success")

    return submit_on_case_page(case_id, act, "assign")


def _desk_filters() -> dict:
    return {k: request.args.get(k, "") for k in ("jurisdiction", "stage", "language")}


def _desk(form: FormState = BLANK):
    # The account itself, not the request's proxy of it: the desk reads it once per case.
    page = pages.desk_page(
        current_user._get_current_object(), _desk_filters(), form, cursor=request.args.get("cursor") or None
    )
    return render_template("mediation/desk.html", page=page, desk=page.desk, form=form)


def _submit_on_desk(action, form: str):
    return submit(action, form=form, page=_desk, done=url_for("mediation.desk_page"))


@bp.get("/mediation")
@login_required
def desk_page():
    if not has_desk(current_user):
        abort(403)
    return _desk()


@bp.post("/mediation/appointments/<int:appointment_id>/accept")
@login_required
def accept(appointment_id):
    def act():
        appointment = accept_appointment(
            current_user, appointment_id, request.form.get("declaration"), request.form.get("disclosures")
        )
        flash(_("You accepted the case %(reference)s.", reference=appointment.case.reference), "success")

    return _submit_on_desk(act, f"accept-{appointment_id}")


@bp.post("/mediation/appointments/<int:appointment_id>/decline")
@login_required
def decline(appointment_id):
    def act():
        decline_appointment(current_user, appointment_id, request.form.get("reason"))
        flash(_("You declined the case."), "success")

    return _submit_on_desk(act, f"decline-{appointment_id}")


@bp.post("/mediation/affiliations")
@login_required
def affiliation():
    def act():
        declare_affiliation(current_user, request.form.get("organisation"))
        flash(_("Your affiliation is recorded."), "success")

    return _submit_on_desk(act, "affiliation")


@bp.get("/cases/<int:case_id>/timeline")
@login_required
def timeline(case_id):
    page = pages.timeline_page(current_user, case_id, printable=request.args.get("print") == "1")
    return render_template("mediation/timeline.html", page=page, case=page.case, form=BLANK)


@bp.post("/cases/<int:case_id>/bidding")
@login_required
def open_bidding(case_id):
    def act():
        bidding.open_bidding(current_user, case_id, request.form)
        flash(_("Blind bidding is open."), "success")

    return submit_on_case_page(case_id, act, "bidding")


@bp.post("/cases/<int:case_id>/bids")
@login_required
def submit_bid(case_id):
    def act():
        bidding.submit_bid(current_user, case_id, request.form.get("amount"), request.form.get("accept_rules"))
        flash(_("Your secret bid is recorded."), "success")

    return submit_on_case_page(case_id, act, "bid")


@bp.get("/cases/<int:case_id>/agreement")
@login_required
def agreement_page(case_id):
    return _agreement_page(case_id, BLANK)


@bp.get("/cases/<int:case_id>/agreement.pdf")
@login_required
def agreement_pdf(case_id):
    context = agreement.agreement_for(current_user, case_id)
    return Response(
        agreement.agreement_pdf(context),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{agreement.pdf_name(context)}"'},
    )


@bp.post("/cases/<int:case_id>/offers/<int:filing_id>/accept")
@login_required
def accept_offer(case_id, filing_id):
    def act():
        signing.accept_offer(current_user, case_id, filing_id)
        flash(_("You accepted the offer: its terms are now the draft agreement, to be signed by both."), "success")

    return submit(
        act,
        form="accept-offer",
        page=lambda state: case_page_response(case_id, state),
        done=url_for("mediation.agreement_page", case_id=case_id),
    )


@bp.post("/cases/<int:case_id>/agreement/approve")
@login_required
def approve_version(case_id):
    def act():
        signing.approve_version(current_user, case_id, request.form.get("language", ""))
        flash(_("The version is approved."), "success")

    return submit(act, form="approve", page=lambda state: _agreement_page(case_id, state), done=_agreement_url(case_id))


@bp.post("/cases/<int:case_id>/agreement/sign")
@login_required
def sign_agreement(case_id):
    def act():
        signing.sign_agreement(current_user, case_id, request.form)
        flash(_("You signed the agreement."), "success")

    return submit(
        act, form="signature", page=lambda state: _agreement_page(case_id, state), done=_agreement_url(case_id)
    )


def _agreement_url(case_id: int) -> str:
    return url_for("mediation.agreement_page", case_id=case_id)


def _agreement_page(case_id: int, form):
    page = pages.agreement_page(current_user, case_id)
    return render_template("mediation/agreement.html", page=page, case=page.case, form=form)


MEASURE_FIELD = re.compile(r"^measures\.(\d+)\.(\w+)$")
MEASURE_INPUTS = {
    "kind": "measure_kind",
    "listing": "measure_listing",
    "element": "measure_detail",
    "instructions": "measure_detail",
    "regions": "measure_regions",
    "security_amount": "measure_security",
}


@bp.post("/cases/<int:case_id>/agreement")
@login_required
def draft_agreement(case_id):
    form = request.form
    case = get_case(current_user, case_id)
    rows = [n for n in range(1, pages.MEASURE_ROWS + 1) if form.get(f"measure_kind_{n}")]
    data = {
        "authoritative_language": form.get("authoritative_language"),
        "texts": {lang: form.get(f"text_{lang}") for lang in agreement.party_languages(case)},
        "terms": {k: form.get(k) for k in ("amount", "currency", "licence")},
        "measures": [_form_measure(form, n) for n in rows],
    }

    def field_of(path: str) -> str:
        # The service counts the measures it was given; the form numbers its rows, empty ones left out.
        match = MEASURE_FIELD.match(path)
        if match and match.group(2) == "currency":
            return "terms.currency"  # every measure's security is in the agreement's one currency
        if match and int(match.group(1)) < len(rows) and match.group(2) in MEASURE_INPUTS:
            return f"{MEASURE_INPUTS[match.group(2)]}_{rows[int(match.group(1))]}"
        return path

    def act():
        agreement.draft_agreement(current_user, case_id, data)
        flash(_("The agreement is proposed; earlier acceptances no longer count."), "success")

    # Refused: the form again on its page, each refusal at its row's field; proposed: the case page.
    return submit(
        act,
        form="agreement",
        page=lambda state: _agreement_draft_page(case_id, state),
        done=url_for("cases.show", case_id=case_id),
        rename=field_of,
    )


@bp.get("/cases/<int:case_id>/agreement/draft")
@login_required
def agreement_draft(case_id):
    return _agreement_draft_page(case_id, BLANK)


def _agreement_draft_page(case_id: int, form):
    page = pages.agreement_draft_page(current_user, case_id)
    return render_template("mediation/agreement_draft.html", page=page, case=page.case, form=form)


def _form_measure(form, n: int) -> dict:
    """The measure of the form's row ``n``."""
    return {
        "kind": form.get(f"measure_kind_{n}"),
        "listing": form.get(f"measure_listing_{n}"),
        "element": form.get(f"measure_detail_{n}"),
        "instructions": form.get(f"measure_detail_{n}"),
        "regions": [r.strip() for r in (form.get(f"measure_regions_{n}") or "").split(",") if r.strip()],
        "security_amount": form.get(f"measure_security_{n}"),
        "currency": form.get("currency"),
    }


@bp.post("/cases/<int:case_id>/evaluation")
@login_required
def open_evaluation(case_id):
    form = request.form
    data = {
        k: form.get(k)
        for k in (
            "claim",
            "neutral_id",
            "word_limit",
            "submission_days",
            "decision_days",
            "deposit_amount",
            "deposit_currency",
        )
    }
    data["listings"] = form.getlist("listings")

    def act():
        evaluation.open_evaluation(current_user, case_id, data)
        flash(_("The neutral evaluation has started."), "success")

    return submit_on_case_page(case_id, act, "evaluation")


@bp.post("/cases/<int:case_id>/evaluation/deposits")
@login_required
def record_deposit(case_id):
    def act():
        evaluation.record_deposit(current_user, case_id, request.form.get("side"), request.form.get("reference"))
        flash(_("The deposit is recorded."), "success")

    return submit_on_case_page(case_id, act, "evaluation-deposit")


@bp.post("/cases/<int:case_id>/evaluation/submissions")
@login_required
def evaluation_submission(case_id):
    def act():
        evaluation.submit(current_user, case_id, request.form)
        flash(_("Your submission is recorded."), "success")

    return submit_on_case_page(case_id, act, "evaluation-submission")


def _neutral(evaluation_id: int, form: FormState = BLANK):
    page = pages.neutral_page(current_user, evaluation_id)
    return render_template("mediation/evaluation.html", page=page, evaluation=page.evaluation, form=form)


@bp.get("/evaluations/<int:evaluation_id>")
@login_required
def neutral_page(evaluation_id):
    return _neutral(evaluation_id)


@bp.post("/evaluations/<int:evaluation_id>/decision")
@login_required
def decide(evaluation_id):
    def act():
        evaluation.decide(current_user, evaluation_id, request.form)
        flash(_("Your decision is recorded."), "success")

    return submit(
        act,
        form="decision",
        page=lambda state: _neutral(evaluation_id, state),
        done=url_for("mediation.neutral_page", evaluation_id=evaluation_id),
    )
