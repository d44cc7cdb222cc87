"""Case page actions on translations: a party flags one, the mediator replaces it with a human translation."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from odr.errors import NotAllowed, ValidationFailed
from odr.translation import services

bp = Blueprint("translation", __name__, template_folder="templates")


def _back(case_id: int, filing_id: int | None = None):
    anchor = f"filing-{filing_id}" if filing_id else None
    return redirect(url_for("cases.show", case_id=case_id, _anchor=anchor))


@bp.post("/cases/<int:case_id>/translations/<int:translation_id>/flag")
@login_required
def flag(case_id, translation_id):
    try:
        item = services.flag(current_user, case_id, translation_id, request.form.get("reason"))
    except (ValidationFailed, NotAllowed) as exc:
        flash(exc.message, "error")
        return _back(case_id)
    flash(_("Thank you. The mediator will check this translation."), "success")
    return _back(case_id, item.translation.filing_id)


@bp.post("/cases/<int:case_id>/filings/<int:filing_id>/translations/human")
@login_required
def human(case_id, filing_id):
    try:
        services.add_human_translation(current_user, case_id, filing_id, request.form.get("language"),
                                       request.form.get("text"))
    except (ValidationFailed, NotAllowed) as exc:
        flash(exc.message, "error")
    else:
        flash(_("Your translation replaces the machine translation."), "success")
    return _back(case_id, filing_id)


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


@bp.app_template_global("filing_reading")
def filing_reading(filing):
    """For the case page: the reader's view of one filing (see services.for_reader)."""
    return services.for_reader(current_user, filing)


@bp.app_template_global("filing_translations_of")
def filing_translations_of(filing):
    return services.translations_of(filing)
