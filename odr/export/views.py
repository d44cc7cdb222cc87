"""The court portal: the court's inbox, bundle download, receipt, and the decision form."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, Response, abort, flash, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from odr.cases import pending
from odr.cases.access import get_case
from odr.cases.pages import has_court_inbox
from odr.cases.services import ConfirmFirst
from odr.cases.views import case_page_response, submit_on_case_page
from odr.evidence.storage import blob_store
from odr.export import court, pages
from odr.export.services import acknowledge, latest_export
from odr.extensions import gettext as _
from odr.forms import BLANK, FormState, submit
from odr.integrity.keys import key_log_bytes

bp = Blueprint("export", __name__, template_folder="templates")


@bp.get("/court")
@login_required
def inbox():
    if not has_court_inbox(current_user):
        abort(404)
    return render_template("export/inbox.html", page=pages.inbox_page(current_user), form=BLANK)


@bp.get("/.well-known/odr-key-log.json")
def key_log():
    """The platform's signing keys and their history, each entry signed by the key before it (public)."""
    return Response(key_log_bytes(), mimetype="application/json", headers={"Cache-Control": "max-age=300"})


@bp.get("/cases/<int:case_id>/export")
@login_required
def download(case_id):
    export = latest_export(current_user, case_id)
    response = blob_store().send(
        "exports",
        export.stored_name,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"{export.bundle_name}.zip",
        max_age=0,
    )
    response.headers["X-Content-SHA256"] = export.sha256
    return response


@bp.post("/cases/<int:case_id>/export/acknowledge")
@login_required
def acknowledge_receipt(case_id):
    def act():
        acknowledge(current_user, case_id, request.form.get("sha256") or None)
        flash(_("Receipt of the bundle is recorded."), "success")

    return submit_on_case_page(case_id, act, "acknowledge")


@bp.post("/cases/<int:case_id>/decision")
@login_required
def decide(case_id):
    form = request.form
    amounts = []
    if form.get("amount"):
        amounts.append(
            {
                "payer": form.get("payer"),
                "amount": form.get("amount"),
                "currency": form.get("currency"),
                "reason": form.get("reason"),
            }
        )
    data = {
        "outcome": form.get("outcome"),
        "listing_measure": form.get("listing_measure"),
        "regions": form.get("regions"),
        "element": form.get("element"),
        "instructions": form.get("instructions"),
        "amounts": amounts,
        "text": form.get("text"),
        "language": form.get("language"),
        "court_reference": form.get("court_reference"),
    }
    # The signed document is kept across a refusal and the confirmation page (odr/cases/pending.py).
    kept = pending.Kept(current_user, pending.decision_form(case_id), field="document")
    if form.get("edit"):  # "change it" on the confirmation page: the form again, as typed, the document kept
        get_case(current_user, case_id)
        return case_page_response(case_id, FormState("decision", MultiDict(form), {}, pending.shown(kept.keep(form))))

    def act():
        get_case(current_user, case_id)  # nothing is kept for a case the reader may not see
        uploads = kept.take(form, [request.files.get("document")], single=True)
        court.decide(
            current_user,
            case_id,
            data,
            uploads[-1] if uploads else None,
            key=form.get("submission_key"),
            remote_addr=request.remote_addr or "",
            confirmed=form.get("confirmed") == "1",
        )
        flash(_("The decision is recorded and carried out; the case is closed."), "success")

    try:
        return submit(
            act,
            form="decision",
            page=lambda state: case_page_response(case_id, replace(state, attached=pending.shown(kept.rows))),
            done=url_for("cases.show", case_id=case_id),
        )
    except ConfirmFirst as exc:
        page = pages.decision_confirm_page(
            current_user,
            case_id,
            data,
            form,
            pending.shown(kept.rows),
            exc.transition,
            url_for("export.decide", case_id=case_id),
        )
        return render_template("cases/confirm_submission.html", page=page, case=page.case, form=BLANK)
