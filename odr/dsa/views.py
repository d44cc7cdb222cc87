"""Pages of the DSA lane: the statement of reasons of a case (in the reader's language), the seller's or
notifier's internal complaint, and the reviewers' queue of notices and complaints with their decision forms."""

from __future__ import annotations

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_login import current_user, login_required

from odr.dsa import pages, services
from odr.extensions import gettext as _
from odr.forms import BLANK, FormState, submit

bp = Blueprint("dsa", __name__, template_folder="templates")


def _statement(case_id: int, form: FormState = BLANK):
    return render_template("dsa/statement.html", page=pages.statement_page(current_user, case_id), form=form)


@bp.get("/cases/<int:case_id>/statement-of-reasons")
@login_required
def statement(case_id: int):
    return _statement(case_id)


@bp.post("/cases/<int:case_id>/complaints")
@login_required
def complain(case_id: int):
    def act():
        services.file_complaint(current_user, case_id, {"text": request.form.get("text", "")})
        flash(_("Your complaint was filed. A member of the platform's staff will decide it with reasons."), "success")

    return submit(
        act,
        form="complaint",
        page=lambda form: _statement(case_id, form),
        done=url_for("dsa.statement", case_id=case_id),
    )


def _reviewer() -> None:
    if not pages.is_reviewer(current_user):
        abort(404)


def _queue(form: FormState = BLANK):
    return render_template("dsa/queue.html", page=pages.queue_page(current_user), form=form)


@bp.get("/dsa/reviews")
@login_required
def queue():
    _reviewer()
    return _queue()


def _decision(case_id: int, form: FormState = BLANK):
    return render_template("dsa/decide.html", page=pages.decision_page(current_user, case_id), form=form)


@bp.route("/cases/<int:case_id>/notice-decision", methods=["GET", "POST"])
@login_required
def decide(case_id: int):
    _reviewer()
    if request.method == "GET":
        return _decision(case_id)

    def act():
        data: dict[str, object] = {
            k: request.form.get(k, "") for k in ("outcome", "ground", "legal_ground", "explanation", "facts")
        }
        data["used_suggestion"] = bool(request.form.get("used_suggestion"))
        services.decide_notice(current_user, case_id, data)
        flash(_("The decision is recorded and served on the notifier and the seller."), "success")

    return submit(
        act, form="decision", page=lambda form: _decision(case_id, form), done=url_for("cases.show", case_id=case_id)
    )


@bp.post("/complaints/<int:complaint_id>/decision")
@login_required
def decide_complaint(complaint_id: int):
    _reviewer()

    def act():
        services.decide_complaint(
            current_user,
            complaint_id,
            {"outcome": request.form.get("outcome", ""), "reasons": request.form.get("reasons", "")},
        )
        flash(_("The decision on the complaint is recorded and served on both parties."), "success")

    return submit(
        act,
        form=f"complaint-{complaint_id}",
        page=_queue,
        done=url_for("dsa.queue"),
        rename=lambda key: key,
    )
