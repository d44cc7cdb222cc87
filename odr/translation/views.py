"""Case page actions on translations: a party flags one, the mediator replaces it with a human translation."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from odr.cases.views import case_page_response
from odr.extensions import gettext as _
from odr.forms import submit
from odr.translation import pages, services  # noqa: F401  (pages registers the case page's readings panel)

bp = Blueprint("translation", __name__, template_folder="templates")


def _filing_on_page(case_id: int, filing_id: int) -> str:
    return url_for("cases.show", case_id=case_id, _anchor=f"filing-{filing_id}")


def _on_case_page(case_id: int, action, form: str, done):
    return submit(action, form=form, page=lambda state: case_page_response(case_id, state), done=done)


@bp.post("/cases/<int:case_id>/translations/<int:translation_id>/flag")
@login_required
def flag(case_id, translation_id):
    def act():
        item = services.flag(current_user, case_id, translation_id, request.form.get("reason"))
        flash(_("Thank you. The mediator will check this translation."), "success")
        return item

    return _on_case_page(
        case_id, act, f"flag-{translation_id}", lambda item: _filing_on_page(case_id, item.translation.filing_id)
    )


@bp.post("/cases/<int:case_id>/filings/<int:filing_id>/translations/human")
@login_required
def human(case_id, filing_id):
    def act():
        services.add_human_translation(
            current_user, case_id, filing_id, request.form.get("language"), request.form.get("text")
        )
        flash(_("Your translation replaces the machine translation."), "success")

    return _on_case_page(case_id, act, f"human-{filing_id}", _filing_on_page(case_id, filing_id))


@bp.get("/admin/translations")
@login_required
def queue():
    overview = services.queue_overview(current_user)
    return render_template("translation/queue.html", **overview, models=services.pipeline().engine.models())


@bp.post("/admin/translations/requeue")
@login_required
def requeue():
    ids = services.do_requeue(current_user)
    flash(_("%(count)s translation(s) queued again.", count=len(ids)), "success")
    return redirect(url_for("translation.queue"))


@bp.app_template_global("status_title")
def status_title(status):
    from odr.translation.models import STATUS_TITLES

    return str(STATUS_TITLES[status])
