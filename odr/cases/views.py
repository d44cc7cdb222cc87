"""Case pages: the dashboard, filing a notice, a case with its filings, evidence and timeline."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from odr.cases import csv_upload, drafts, pages, pending, profiles, reports, services, verification
from odr.cases.access import get_case
from odr.errors import NotAllowed, NotFound, ValidationFailed
from odr.evidence.storage import blob_store
from odr.extensions import gettext as _
from odr.forms import BLANK, FormState, refused, submit
from odr.i18n import ui_locale_for
from odr.models_base import utcnow
from odr.notifications.deliveries import served_on
from odr.procedure import jurisdictions, pauses
from odr.procedure.services import order_extension
from odr.vocabulary import CaseRole

bp = Blueprint("cases", __name__, template_folder="templates")


@bp.app_context_processor
def navigation_context():
    """The sections of the top bar the reader has (no query: the signed-in account is loaded already)."""
    signed_in = current_user and current_user.is_authenticated  # no reader outside a request (e-mails)
    return {"nav": pages.navigation(current_user) if signed_in else None}


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


def _uploads(kept: pending.Kept) -> list[services.Upload]:
    """The form's files: those kept from its refusals (less any removed) and the new ones, kept in turn."""
    return kept.take(request.form, request.files.getlist("evidence"))


def _notice_files(kept: pending.Kept, elements: pending.KeptElements):
    """The evidence files and the element files of a notice form, each kept; a problem with any is said at its
    field after every other file is kept."""
    refusals: list[ValidationFailed] = []
    uploads: list[services.Upload] = []
    element_files: dict[str, services.Upload] = {}
    try:
        uploads = _uploads(kept)
    except ValidationFailed as exc:
        refusals.append(exc)
    try:
        element_files = elements.take(request.form, request.files)
    except ValidationFailed as exc:
        refusals.append(exc)
    if refusals:
        fields = {key: message for exc in refusals for key, message in exc.fields.items()}
        raise ValidationFailed(refusals[0].message, fields, code=refusals[0].code)
    return uploads, element_files


@bp.get("/")
@login_required
def dashboard():
    page = pages.dashboard_page(
        current_user._get_current_object(),  # the account itself: the page reads it once per case shown
        filters={k: request.args.get(k) for k in ("state", "jurisdiction")},
        cursor=request.args.get("cursor") or None,
        todo_cursor=request.args.get("todo") or None,
    )
    return render_template("cases/dashboard.html", page=page, form=BLANK)


@bp.route("/cases/new", methods=["GET", "POST"])
@login_required
def new_notice():
    if not pages.may_file_notice(current_user):
        abort(403)
    form, status = BLANK, 0
    if request.method == "POST":
        posted = request.form
        data: dict[str, object] = {
            k: posted.get(k)
            for k in (
                "jurisdiction",
                "right_type",
                "title",
                "text",
                "language",
                "remedy_sought",
                "listings",
                "language_confirmed",
                "product_category",
            )
        }
        data["respondent"] = {k: posted.get(f"respondent_{k}") for k in ("email", "name", "country", "language")}
        data["target_market"] = posted.get("target_market")
        data["elements"] = {k.split(".", 1)[1]: v for k, v in posted.items() if k.startswith("elements.")}
        data["territories"] = posted.get("territories")
        data["measure"] = {k.split(".", 1)[1]: v for k, v in posted.items() if k.startswith("measure.")}
        kept = pending.Kept(current_user, pending.notice_form())
        kept_elements = pending.KeptElements(current_user, pending.notice_form())
        try:
            uploads, element_files = _notice_files(kept, kept_elements)
            outcome = services.file_notice(
                current_user,
                data,
                uploads,
                element_files=element_files,
                key=posted.get("submission_key"),
                remote_addr=request.remote_addr or "",
            )
        except (ValidationFailed, NotAllowed) as exc:
            # A suspension of the notifier's notices (NotAllowed) is said on the page too. Every file stays kept.
            status = exc.status if isinstance(exc, NotAllowed) else 0
            form = replace(
                refused(exc, "notice"),
                attached=pending.shown(kept.rows),
                attached_elements=pending.shown_by_name(kept_elements.rows),
            )
        else:
            kept_elements.discard_unused()
            if served_on(outcome.obj.id, "notice", CaseRole.RESPONDENT):
                flash(_("Your notice was filed. The seller has been notified."), "success")
            else:  # no account nor address of the seller can receive it: say so, never claim it was sent
                flash(
                    _("Your notice was filed, but the seller could not be notified: no address is known for them."),
                    "error",
                )
            return redirect(url_for("cases.show", case_id=outcome.obj.id))
    page = pages.notice_page(current_user, form)
    return render_template("cases/new_notice.html", page=page, form=form), status or (422 if form.errors else 200)


# -- the guided notice: one step a page, the state between them a draft (odr/cases/drafts.py) --------------


def _guided(step: str, draft_id: int | None = None, form: FormState | None = None, status: int = 200):
    page = pages.guided_page(current_user, step, draft_id, form)
    return render_template("cases/guided_notice.html", page=page, form=page.form), status


def _notice_filed(case_id: int):
    if served_on(case_id, "notice", CaseRole.RESPONDENT):
        flash(_("Your notice was filed. The seller has been notified."), "success")
    else:  # no account nor address of the seller can receive it: say so, never claim it was sent
        flash(_("Your notice was filed, but the seller could not be notified: no address is known for them."), "error")
    return redirect(url_for("cases.show", case_id=case_id))


@bp.route("/notices/new", methods=["GET", "POST"])
@login_required
def guided_notice():
    """The guided notice's first step; sent, it starts a draft (saved even when the step is refused)."""
    if not pages.may_file_notice(current_user):
        abort(403)
    if request.method == "GET":
        return _guided("right")
    draft = drafts.start_draft(current_user, start_key=request.form.get("start_key"))
    return _guided_post(draft.id, "right")


@bp.route("/notices/drafts/<int:draft_id>/<step>", methods=["GET", "POST"])
@login_required
def guided_step(draft_id: int, step: str):
    if step not in drafts.STEPS or not pages.may_file_notice(current_user):
        abort(404)
    draft = drafts.get_draft(current_user, draft_id)  # another's draft answers like a missing one
    if request.method == "POST":
        return _guided_post(draft_id, step)
    if not drafts.reached(draft, step):  # a step after the draft's input: where it stands
        return redirect(url_for("cases.guided_step", draft_id=draft_id, step=draft.step))
    return _guided(step, draft_id)


def _guided_post(draft_id: int, step: str):
    """Save a step's input in the draft, then check it: on to the next step, or the same step with its errors."""
    if request.form.get("go") == "back":
        target = drafts.save_back(current_user, draft_id, step, request.form, request.files)
        return redirect(url_for("cases.guided_step", draft_id=draft_id, step=target), 303)
    if request.form.get("go") == "profile" and step == "elements":  # what was typed is kept, then filled in
        drafts.save_elements(current_user, draft_id, request.form, request.files, check=False)
        if profiles.prefill_draft(current_user, draft_id):
            flash(_("Filled in from your rights profile: check each element before you continue."), "success")
        return redirect(url_for("cases.guided_step", draft_id=draft_id, step=step), 303)
    try:
        if step == "right":
            drafts.save_right(current_user, draft_id, request.form)
        elif step == "procedure":
            drafts.confirm_procedure(current_user, draft_id)
        elif step == "elements":
            drafts.save_elements(current_user, draft_id, request.form, request.files)
        else:
            abort(405)
    except ValidationFailed as exc:
        state = refused(exc, "draft")
        if step == "elements":  # the files sent stay kept with the draft: shown as attached
            state = replace(state, values=MultiDict(request.form))
        return _guided(step, draft_id, state, exc.status)
    following = drafts.STEPS[drafts.STEPS.index(step) + 1]
    return redirect(url_for("cases.guided_step", draft_id=draft_id, step=following), 303)


@bp.post("/notices/drafts/<int:draft_id>/file")
@login_required
def guided_file(draft_id: int):
    """File the draft's notice from its summary; a second submission answers the case the first one opened."""
    if not pages.may_file_notice(current_user):
        abort(403)
    try:
        outcome = drafts.file_draft(current_user, draft_id, remote_addr=request.remote_addr or "")
    except NotFound:
        filed = drafts.filed_case(current_user, request.form.get("submission_key"))
        if filed is None:
            raise
        return redirect(url_for("cases.show", case_id=filed.id), 303)
    except (ValidationFailed, NotAllowed) as exc:
        filed = drafts.filed_case(current_user, request.form.get("submission_key"))
        if filed is not None:  # the first of two submissions filed it meanwhile
            return redirect(url_for("cases.show", case_id=filed.id), 303)
        return _guided("summary", draft_id, replace(refused(exc, "draft"), values=MultiDict()), exc.status)
    return _notice_filed(outcome.obj.id)


@bp.post("/notices/drafts/<int:draft_id>/delete")
@login_required
def guided_discard(draft_id: int):
    drafts.discard_draft(current_user, draft_id)
    flash(_("The draft was deleted."), "success")
    return redirect(url_for("cases.guided_notice"), 303)


@bp.route("/rights-profile", methods=["GET", "POST"])
@login_required
def rights_profile():
    """The right holder's identity, registrations and documents, written once and offered on each notice."""
    if not pages.may_file_notice(current_user):
        abort(403)
    form, status = BLANK, 200
    if request.method == "POST":
        try:
            profiles.save_profile(
                current_user,
                {k: request.form.get(k) for k in profiles.TEXT_FIELDS},
                request.files,
                remove=request.form.getlist("remove_document"),
            )
        except ValidationFailed as exc:
            form, status = refused(exc, "profile"), exc.status
        else:
            flash(_("Your rights profile is saved."), "success")
            return redirect(url_for("cases.rights_profile"), 303)
    page = pages.rights_profile_page(current_user, form)
    return render_template("cases/rights_profile.html", page=page, form=page.form), status


@bp.get("/admin/rights-profiles")
@login_required
def profile_reviews():
    """The rights profiles waiting for the platform's check, the longest waiting first (paged)."""
    page = pages.profile_review_list(current_user, request.args.get("cursor"))
    return render_template("cases/profile_reviews.html", page=page)


@bp.route("/admin/rights-profiles/<int:profile_id>", methods=["GET", "POST"])
@login_required
def profile_review(profile_id: int):
    """An administrator reads a rights profile with its documents, then verifies it or refuses it with a reason."""
    form, status = BLANK, 200
    if request.method == "POST":
        decision = request.form.get("decision") or ""
        try:
            verification.do_decide(
                current_user, profile_id, decision, request.form.get("reason"), seen=request.form.get("seen", "")
            )
        except (ValidationFailed, NotAllowed) as exc:
            form, status = refused(exc, "review"), exc.status
        else:
            if decision == verification.VERIFIED:
                flash(_("The rights profile is verified."), "success")
            else:
                flash(_("The rights profile is refused; the right holder reads your reason."), "success")
            return redirect(url_for("cases.profile_reviews"), 303)
    page = pages.profile_review_page(current_user, profile_id, form)
    return render_template("cases/profile_review.html", page=page, form=page.form), status


@bp.get("/admin/rights-profiles/<int:profile_id>/documents/<kind>")
@login_required
def profile_document(profile_id: int, kind: str):
    """A profile's document for the reviewing administrator: always an attachment, never rendered, its uploaded
    name only as the suggested download name."""
    document = verification.review_document(current_user, profile_id, kind)
    return blob_store().send(
        "evidence",
        document.stored_name,
        mimetype="application/octet-stream",
        as_attachment=True,
        download_name=document.original_name,
        max_age=0,
    )


@bp.route("/notices/upload", methods=["GET", "POST"])
@login_required
def upload_notices():
    """A CSV of listings: uploaded, kept server-side, and previewed before anything is filed."""
    if not pages.may_file_notice(current_user):
        abort(403)
    form = BLANK
    if request.method == "POST":
        upload = request.files.get("csv")
        try:
            kept = csv_upload.stash(
                current_user,
                upload.stream if upload else None,
                upload.filename if upload else None,
                request.files.getlist("files"),
            )
        except ValidationFailed as exc:
            form = refused(exc, "csv")
        else:
            return redirect(url_for("cases.preview_upload", token=kept.token))
    page = pages.csv_upload_page(current_user, form)
    return render_template("cases/upload_csv.html", page=page, form=form), 422 if form.errors else 200


@bp.route("/notices/upload/<token>", methods=["GET", "POST"])
@login_required
def preview_upload(token):
    """The preview of an uploaded CSV (nothing written); confirmed, its rows are filed once."""
    if not pages.may_file_notice(current_user):
        abort(403)
    if request.method == "POST":
        batch = csv_upload.confirm(current_user, token)
        created = [r for r in batch.results if r.status == "created"]
        if created:
            flash(
                _(
                    "Filed: %(rows)s listings in %(cases)s new cases.",
                    rows=len(created),
                    cases=len({r.case_id for r in created}),
                ),
                "success",
            )
        else:
            flash(_("Nothing new was filed: each row was filed already or has errors."), "error")
        return redirect(url_for("cases.preview_upload", token=token))
    page = pages.csv_preview_page(current_user, token)
    return render_template("cases/upload_preview.html", page=page, form=BLANK)


@bp.get("/cases/<int:case_id>")
@login_required
def show(case_id):
    # ?kind=: the filing chosen in "What to do next" (a link, so no script is needed to preselect it).
    # ?filings_before= and the like: which window of the filings and of the timeline (links of the page).
    return case_page_response(
        case_id,
        kind=request.args.get("kind", ""),
        cursors={name: request.args.get(name, "") for name in pages.WINDOW_CURSORS},
    )


def case_page_response(case_id: int, form: FormState = BLANK, kind: str = "", cursors: dict[str, str] | None = None):
    """The case page for the signed-in reader; a refused form of the page comes back with its state."""
    page = pages.case_page(current_user._get_current_object(), case_id, form, kind=kind, cursors=cursors)
    return render_template("cases/show.html", page=page, case=page.case, form=form)


def submit_on_case_page(case_id: int, action, form: str, rename=None):
    """Run a form of the case page: back to the page on success, the page with the refused form otherwise."""
    return submit(
        action,
        form=form,
        page=lambda state: case_page_response(case_id, state),
        done=url_for("cases.show", case_id=case_id),
        rename=rename,
    )


@bp.post("/cases/<int:case_id>/reports")
@login_required
def file_report(case_id):
    form = request.form
    data = {k: form.get(k) for k in ("step", "body", "case_number", "outcome", "text", "language")}
    upload = request.files.get("document")
    document = services.Upload(upload.stream, upload.filename) if upload and upload.filename else None

    def act():
        reports.file_report(
            current_user, case_id, data, document, key=form.get("submission_key"), remote_addr=request.remote_addr or ""
        )
        flash(_("Reported."), "success")

    return submit_on_case_page(case_id, act, "report")


@bp.post("/cases/<int:case_id>/filings")
@login_required
def add_filing(case_id):
    form = request.form
    data: dict[str, object] = {
        "kind": form.get("kind"),
        "text": form.get("text"),
        "language": form.get("language"),
        "language_confirmed": form.get("language_confirmed"),
        "caucus": form.get("caucus"),
    }
    # Whatever was typed goes to the service, which refuses terms or elements that do not fit the kind: never
    # dropped silently. (With the script, the boxes of other kinds are disabled and send nothing.)
    terms = {k: form.get(k) for k in ("amount", "currency", "listing_measure", "regions", "licence") if form.get(k)}
    if terms or form.get("kind") in {"offer", "settlement"}:
        data["terms"] = terms
    data["elements"] = {k.split(".", 1)[1]: v for k, v in form.items() if k.startswith("elements.")}

    kept = pending.Kept(current_user, pending.filing_form(case_id))
    # A counter-notice takes effect at once: the form's first submission shows what it will do (below).
    unconfirmed = form.get("kind") == "counter_notice" and not form.get("caucus") and form.get("confirmed") != "1"
    if form.get("edit"):  # "change it" on the confirmation page: the form again, as typed, files kept
        get_case(current_user, case_id)
        return case_page_response(case_id, FormState("filing", MultiDict(form), {}, pending.shown(kept.keep(form))))

    def act():
        get_case(current_user, case_id)  # nothing is kept for a case the reader may not see
        services.add_filing(
            current_user,
            case_id,
            data,
            _uploads(kept),
            key=form.get("submission_key"),
            remote_addr=request.remote_addr or "",
            confirmed=not unconfirmed,
        )
        flash(_("Filed."), "success")

    # The caucus panel posts here too; its refusal belongs to its own form. Files of a refused form stay attached.
    try:
        return submit(
            act,
            form="caucus" if form.get("caucus") else "filing",
            page=lambda state: case_page_response(case_id, replace(state, attached=pending.shown(kept.rows))),
            done=url_for("cases.show", case_id=case_id),
        )
    except services.ConfirmFirst as exc:
        page = pages.counter_notice_confirm_page(
            current_user,
            case_id,
            form,
            pending.shown(kept.rows),
            exc.transition,
            url_for("cases.add_filing", case_id=case_id),
        )
        return render_template("cases/confirm_submission.html", page=page, case=page.case, form=BLANK)


@bp.post("/cases/<int:case_id>/settlements/<int:filing_id>/accept")
@login_required
def accept_settlement(case_id, filing_id):
    def act():
        services.accept_settlement(current_user, case_id, filing_id, request.form.get("text_sha256"))
        flash(_("Your acceptance is recorded."), "success")

    return submit_on_case_page(case_id, act, "accept-settlement")


@bp.post("/cases/<int:case_id>/deadlines/<int:deadline_id>/extensions")
@login_required
def extend_deadline(case_id, deadline_id):
    def act():
        order_extension(
            current_user,
            case_id,
            deadline_id,
            {"count": request.form.get("count"), "reason": request.form.get("reason")},
        )
        flash(_("The deadline was extended."), "success")

    # Errors of a refused extension belong to the form of the deadline it was asked for.
    return submit_on_case_page(case_id, act, f"extension-{deadline_id}")


@bp.post("/cases/<int:case_id>/deadlines/<int:deadline_id>/pause-requests")
@login_required
def request_pause(case_id, deadline_id):
    upload = request.files.get("proof")
    proof = services.Upload(upload.stream, upload.filename) if upload and upload.filename else None

    def act():
        pauses.request_pause(
            current_user,
            case_id,
            deadline_id,
            {"count": request.form.get("count"), "reason": request.form.get("reason")},
            proof,
            remote_addr=request.remote_addr or "",
            at=utcnow(),
        )
        flash(_("Your request was sent; the platform decides it, with reasons."), "success")

    return submit_on_case_page(case_id, act, f"pause-{deadline_id}")


@bp.post("/cases/<int:case_id>/pause-requests/<int:request_id>/decision")
@login_required
def decide_pause(case_id, request_id):
    def act():
        pauses.decide_pause(
            current_user,
            case_id,
            request_id,
            {k: request.form.get(k) for k in ("decision", "count", "reasons")},
            at=utcnow(),
        )
        flash(_("Decided."), "success")

    return submit_on_case_page(case_id, act, f"pause-decision-{request_id}")


@bp.get("/cases/<int:case_id>/actions/<action>")
@login_required
def confirm_action(case_id, action):
    """Every step on request is confirmed on its own page first, which says what it will do (no script needed)."""
    page = pages.confirm_step_page(current_user, case_id, action)
    return render_template("cases/confirm_step.html", page=page, case=page.case, form=BLANK)


@bp.post("/cases/<int:case_id>/actions/<action>")
@login_required
def take_action(case_id, action):
    if request.form.get("confirmed") != "1":
        # Not from the confirmation page (an old page, a double submit): ask there first, take nothing.
        get_case(current_user, case_id)  # a case the reader may not see answers like a missing one
        return redirect(url_for("cases.confirm_action", case_id=case_id, action=action), 303)

    def act():
        services.take_action(current_user, case_id, action)
        flash(_("Done."), "success")

    return submit_on_case_page(case_id, act, "action")


@bp.get("/cases/<int:case_id>/evidence/<int:evidence_id>")
@login_required
def evidence(case_id, evidence_id):
    return evidence_download(current_user, case_id, evidence_id)


def evidence_download(account, case_id: int, evidence_id: int):
    """An evidence file for a reader of the case (pages and API): always an attachment, never rendered, its
    uploaded name only as the suggested download name."""
    item = services.evidence_file(account, case_id, evidence_id)
    return blob_store().send(
        "evidence",
        item.stored_name,
        mimetype="application/octet-stream",
        as_attachment=True,
        download_name=item.original_name,
        max_age=0,
    )
