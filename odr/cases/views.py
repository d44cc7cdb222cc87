"""Case pages: the dashboard, filing a notice, a case with its filings, evidence and timeline."""
from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from odr.accounts.models import Role
from odr.cases import services
from odr.cases.access import case_roles, get_case, visible_cases, visible_filings
from odr.cases.models import Case, FilingKind, RightType
from odr.config import FILING_LANGUAGES
from odr.errors import NotAllowed, NotFound, ValidationFailed
from odr.extensions import db
from odr.i18n import ui_locale_for
from odr.mediation.services import mediators
from odr.models_base import utcnow
from odr.notifications.deliveries import served_on
from odr.procedure import jurisdictions
from odr.procedure.explain import case_procedure_view, deadlines_view
from odr.procedure.models import Deadline, DeadlineStatus
from odr.procedure.notices import counter_notice_elements, element_catalogue
from odr.procedure.services import allowed_transitions, case_day, order_extension, procedure_of
from odr.vocabulary import CaseRole

bp = Blueprint("cases", __name__, template_folder="templates")


def case_page_locale() -> str | None:
    """The language of a case page when the reader's browser names none we have: the case's own,
    and only for a reader who may see the case (a foreign case answers like a missing one)."""
    case_id = (request.view_args or {}).get("case_id")
    if case_id is None or not (current_user and current_user.is_authenticated):
        return None
    try:
        case = get_case(current_user, case_id)
    except NotFound:
        return None
    jurisdiction = jurisdictions.get(case.jurisdiction)
    for language in jurisdiction.official_languages if jurisdiction else ():
        if ui_locale_for(language):
            return ui_locale_for(language)
    return None


def _uploads() -> list[services.Upload]:
    return [services.Upload(f.stream, f.filename) for f in request.files.getlist("evidence") if f.filename]


@bp.get("/")
@login_required
def dashboard():
    # Each case's procedure choice says where its days are counted; load them with the cases, not one by one.
    cases = db.session.scalars(visible_cases(current_user).options(selectinload(Case.procedure_choice))
                               .order_by(Case.updated_at.desc()).limit(200)).all()
    next_due = {}
    if cases:
        rows = db.session.execute(db.select(Deadline.case_id, db.func.min(Deadline.due_at)).where(
            Deadline.case_id.in_([c.id for c in cases]), Deadline.status == DeadlineStatus.PENDING
        ).group_by(Deadline.case_id)).all()
        # min() over a column loses the UTC type decorator on some engines; normalise.
        next_due = {case_id: Deadline.due_at.type.process_result_value(due, None) if due.tzinfo is None else due
                    for case_id, due in rows}
    can_file = current_user.role in services.NOTICE_ROLES
    # What the reader may do next on each case, so the dashboard can lead with it.
    now = utcnow()
    next_steps = {c.id: [t.name for t in allowed_transitions(c, case_roles(current_user, c), now)] for c in cases}
    return render_template("cases/dashboard.html", cases=cases, next_due=next_due, can_file=can_file,
                           next_steps=next_steps)


@bp.route("/cases/new", methods=["GET", "POST"])
@login_required
def new_notice():
    if current_user.role not in services.NOTICE_ROLES:
        abort(403)
    errors: dict = {}
    if request.method == "POST":
        form = request.form
        data = {k: form.get(k) for k in ("jurisdiction", "right_type", "title", "text", "language", "remedy_sought",
                                          "listings")}
        data["respondent"] = {k: form.get(f"respondent_{k}") for k in ("email", "name", "country", "language")}
        data["target_market"] = form.get("target_market")
        data["elements"] = {k.split(".", 1)[1]: v for k, v in form.items() if k.startswith("elements.")}
        try:
            outcome = services.file_notice(current_user, data, _uploads(), key=form.get("submission_key"),
                                           remote_addr=request.remote_addr or "")
        except ValidationFailed as exc:
            errors = exc.fields
            flash(exc.message, "error")
        else:
            if served_on(outcome.obj.id, "notice", CaseRole.RESPONDENT):
                flash(_("Your notice was filed. The seller has been notified."), "success")
            else:  # no account nor address of the seller can receive it: say so, never claim it was sent
                flash(_("Your notice was filed, but the seller could not be notified: no address is known for them."),
                      "error")
            return redirect(url_for("cases.show", case_id=outcome.obj.id))
    return render_template("cases/new_notice.html", errors=errors, form=request.form,
                           jurisdictions=jurisdictions.all_jurisdictions(), right_types=list(RightType),
                           notice_elements=element_catalogue(jurisdictions.all_jurisdictions()),
                           languages=FILING_LANGUAGES, submission_key=uuid.uuid4().hex), 422 if errors else 200


@bp.get("/cases/<int:case_id>")
@login_required
def show(case_id):
    case = get_case(current_user, case_id)
    return _render_case(case)


def _render_case(case: Case, errors: dict | None = None, status: int = 200):
    roles = case_roles(current_user, case)
    procedure = procedure_of(case)
    now = utcnow()
    filing_kinds = [k for k in FilingKind if k != FilingKind.NOTICE and _may_file(procedure, case, k, roles, now)]
    return render_template(
        "cases/show.html", case=case, roles=roles, procedure=procedure, errors=errors or {},
        deadlines=deadlines_view(case, instants=True), procedure_view=case_procedure_view(case),
        actions=allowed_transitions(case, roles, now),
        filing_kinds=filing_kinds, proposal=services.current_settlement(case),
        counter_notice_elements=counter_notice_elements(case) if FilingKind.COUNTER_NOTICE in filing_kinds else [],
        filings=visible_filings(current_user, case),
        text_sha256=services.text_sha256, languages=FILING_LANGUAGES, submission_key=uuid.uuid4().hex,
        mediators=mediators() if current_user.role == Role.ADMIN else [],
        is_final=procedure.state(case.state).final,
        settling=services.settlement_transition(case, now) is not None), status


def _may_file(procedure, case, kind, roles, now) -> bool:
    if kind == FilingKind.DECISION:
        return False  # the court's decision has its own form (odr/export/templates/export/_court_actions.html)
    transition = procedure.transition_for_filing(case.state, kind.value, case_day(case, now))
    if transition is not None:
        return bool(transition.roles & roles)
    return kind.value in procedure.filings_allowed(case.state) and bool(roles & services.FILER_ROLES)


def _with_case_errors(case_id: int, action):
    try:
        action()
    except ValidationFailed as exc:
        flash(exc.message, "error")
        return _render_case(get_case(current_user, case_id), exc.fields, exc.status)
    except NotAllowed as exc:
        flash(exc.message, "error")
        return _render_case(get_case(current_user, case_id), status=exc.status)
    return redirect(url_for("cases.show", case_id=case_id))


@bp.post("/cases/<int:case_id>/filings")
@login_required
def add_filing(case_id):
    form = request.form
    data = {"kind": form.get("kind"), "text": form.get("text"), "language": form.get("language"),
            "caucus": form.get("caucus")}
    if form.get("kind") in {"offer", "settlement"}:
        data["terms"] = {k: form.get(k) for k in ("amount", "currency", "listing_measure", "licence")}
    if form.get("kind") == "counter_notice":
        data["elements"] = {k.split(".", 1)[1]: v for k, v in form.items() if k.startswith("elements.")}

    def act():
        services.add_filing(current_user, case_id, data, _uploads(), key=form.get("submission_key"),
                            remote_addr=request.remote_addr or "")
        flash(_("Filed."), "success")
    return _with_case_errors(case_id, act)


@bp.post("/cases/<int:case_id>/settlements/<int:filing_id>/accept")
@login_required
def accept_settlement(case_id, filing_id):
    def act():
        services.accept_settlement(current_user, case_id, filing_id, request.form.get("text_sha256"))
        flash(_("Your acceptance is recorded."), "success")
    return _with_case_errors(case_id, act)


@bp.post("/cases/<int:case_id>/deadlines/<int:deadline_id>/extensions")
@login_required
def extend_deadline(case_id, deadline_id):
    def act():
        order_extension(current_user, case_id, deadline_id,
                        {"count": request.form.get("count"), "reason": request.form.get("reason")})
        flash(_("The deadline was extended."), "success")
    return _with_case_errors(case_id, act)


@bp.post("/cases/<int:case_id>/actions/<action>")
@login_required
def take_action(case_id, action):
    def act():
        services.take_action(current_user, case_id, action)
        flash(_("Done."), "success")
    return _with_case_errors(case_id, act)


@bp.get("/cases/<int:case_id>/evidence/<int:evidence_id>")
@login_required
def evidence(case_id, evidence_id):
    path, item = services.evidence_file(current_user, case_id, evidence_id)
    return send_file(path, mimetype="application/octet-stream", as_attachment=True,
                     download_name=item.original_name, max_age=0)


