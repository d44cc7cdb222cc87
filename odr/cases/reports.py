"""Reports to the platform that a complaint or lawsuit is pending, or that it ended (China: E-Commerce Law
Art. 43(2)): the platform must *receive notice* of the complaint to the competent authority or of the suit, so a
report names the authority or court and its case number and carries the document that proves it (the acceptance
notice; for the end of the matter, the decision or ruling). Which step a report takes, and what it then does
(the measures stay, are lifted, or the case goes to the court), is the procedure's data (``report:`` steps).
"""

from __future__ import annotations

from datetime import datetime

from odr.accounts.models import Account
from odr.cases.access import case_roles, get_case
from odr.cases.filings import record_filing
from odr.cases.models import Case, Filing, FilingKind
from odr.cases.services import Upload, discard, store_evidence, submission
from odr.errors import NotAllowed, ValidationFailed
from odr.evidence import storage
from odr.extensions import db
from odr.extensions import gettext as _
from odr.idempotency import Outcome
from odr.models_base import utcnow
from odr.procedure.engine import Transition
from odr.procedure.jurisdictions import DOCUMENT_TYPES
from odr.procedure.notices import placeholder_refusal, says_enough
from odr.procedure.services import case_day, procedure_of, take_transition
from odr.procedure.titles import report_field_label
from odr.validation import check_language, clean_text
from odr.vocabulary import CaseRole

# At least this many letters or digits (a CJK character counts as two): the shortest authority or court name
# ("某某法院" is 8) and case number ("(2026)浙01" is 8) that can still identify the matter.
MIN_BODY = 6
MIN_CASE_NUMBER = 4


def report_steps(case: Case, roles: set[str], at: datetime) -> list[Transition]:
    """The steps these roles may take now by a report (none outside the procedures that have them)."""
    procedure = procedure_of(case)
    return [t for t in procedure.transitions_from(case.state, case_day(case, at)) if t.report and t.roles & roles]


def file_report(
    account: Account,
    case_id: int,
    data: dict,
    document: Upload | None,
    *,
    key: str | None = None,
    remote_addr: str = "",
    at: datetime | None = None,
) -> Outcome:
    """Record a report with its document and take the procedure's step for it, in one transaction."""
    case = get_case(account, case_id, for_update=True)
    uploads = [document] if document is not None else []
    sub = submission(account, key, {"case": case_id, "report": data}, uploads)
    replay = sub.replayed(Filing)
    if replay is not None:
        return Outcome(replay, False)
    at = at or utcnow()
    roles = case_roles(account, case)
    steps = {t.name: t for t in report_steps(case, roles, at)}
    step = data.get("step")
    transition = steps.get(step) if isinstance(step, str) else None
    if transition is None or transition.report is None:
        if not steps:
            raise NotAllowed(_("There is nothing you can report in this case now."), code="wrong_state")
        raise ValidationFailed(
            _("Please correct the marked fields."),
            {"step": _("Choose what you report: %(steps)s.", steps=", ".join(sorted(steps)))},
        )
    report = transition.report
    fields: dict[str, str] = {}
    body = clean_text(data.get("body"), fields, "body", max_length=300)
    if body and "body" not in fields and not says_enough(body, MIN_BODY):
        fields["body"] = placeholder_refusal(
            report_field_label("body", report.forum), MIN_BODY, str(transition.citation)
        )
    number = clean_text(data.get("case_number"), fields, "case_number", max_length=100)
    if number and "case_number" not in fields and not says_enough(number, MIN_CASE_NUMBER):
        fields["case_number"] = placeholder_refusal(
            report_field_label("case_number", report.forum), MIN_CASE_NUMBER, str(transition.citation)
        )
    outcome = data.get("outcome") or ""
    if report.outcomes and outcome not in report.outcomes:
        fields["outcome"] = _("Choose how the matter ended: %(outcomes)s.", outcomes=", ".join(report.outcomes))
    elif not report.outcomes and outcome:
        fields["outcome"] = _("A complaint or lawsuit just brought has no outcome yet: leave it empty.")
    text = clean_text(data.get("text"), fields, "text", required=False, max_length=5000)
    language = check_language(data.get("language") or account.reading_languages[0], fields)
    if document is None:
        fields["document"] = _(
            "Attach %(document)s (PDF, PNG, JPEG or WebP). Required by %(rule)s.",
            document=report_field_label(report.document, report.forum),
            rule=str(transition.citation),
        )
    elif storage.peek_media_type(document.stream) not in DOCUMENT_TYPES:
        fields["document"] = _(
            "The file sent is not a PDF, PNG, JPEG or WebP document (its content was checked, not its name)."
        )
    if fields:
        raise ValidationFailed(_("The report is incomplete. Please correct the marked fields."), fields)

    role = CaseRole(sorted(transition.roles & roles)[0])
    terms = {
        "step": transition.name,
        "forum": report.forum,
        "body": body,
        "case_number": number,
        "document": report.document,
        "outcome": outcome,
    }
    stored: list[storage.StoredFile] = []
    try:
        filing = record_filing(
            case,
            FilingKind.REPORT,
            author=account,
            role=role,
            language=language,
            text=text,
            at=at,
            terms=terms,
            event_details={"terms": terms},
        )
        store_evidence(case, filing, account, uploads, remote_addr, stored, element=report.document)
        take_transition(case, transition.name, account, {role}, at, by_filing=True)
        return sub.commit(filing, on_lost_race=lambda: discard(stored))
    except BaseException:
        db.session.rollback()
        discard(stored)
        raise
