"""Neutral evaluation, after Amazon APEX but with reasons: one claim, capped listings,
word-limited written submissions with a deadline, and a neutral's reasoned decision.

Each side lodges a deposit; the prevailing side's is refunded and the losing side's pays
the neutral (loser pays). The neutral is a mediator other than the case's own (who may
have heard caucuses) and sees only the claim, the listings and the two submissions.

As in APEX, the decision settles what the platform does with the evaluated listings: it is
proposed as the case's settlement (take down if the right holder prevails, restore if the
seller does), which settles the case once both parties accept it. A party that rejects
it escalates the case to the court; if nobody acts, the stage's own timer runs on.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import force_locale
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from odr.accounts.models import Account, Role
from odr.cases import events
from odr.cases.access import case_roles, get_case
from odr.cases.filings import record_filing
from odr.cases.models import Case, FilingKind
from odr.cases.services import void_superseded_acceptances
from odr.domain_events import commit
from odr.errors import NotAllowed, NotFound, ValidationFailed
from odr.extensions import db
from odr.extensions import gettext as _
from odr.mediation.agreement import party_languages, ui_locale
from odr.mediation.models import (
    DepositStatus,
    EvaluationDeposit,
    EvaluationStatus,
    EvaluationSubmission,
    MeasureKind,
    NeutralEvaluation,
)
from odr.mediation.services import fitness
from odr.models_base import utcnow
from odr.procedure.services import procedure_of
from odr.validation import check_language, clean_text
from odr.vocabulary import CaseRole, EventKind

MAX_LISTINGS = 20  # APEX: up to 20 ASINs per evaluation
WORD_LIMITS = (100, 5000)
SIDES = (CaseRole.CLAIMANT.value, CaseRole.RESPONDENT.value)


def word_count(text: str) -> int:
    """Words for the limit; CJK text has no spaces, so each CJK character counts as a word."""
    words = 0
    in_word = False
    for ch in text:
        if "\u3040" <= ch <= "\u30ff" or "\u3400" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af":
            words += 1
            in_word = False
        elif ch.isspace():
            in_word = False
        elif not in_word:
            words += 1
            in_word = True
    return words


# Built once: the case page reads it at every view.
_EVALUATION_OF = select(NeutralEvaluation).where(NeutralEvaluation.case_id == bindparam("case_id"))


def evaluation_of(case: Case) -> NeutralEvaluation | None:
    return db.session.scalar(_EVALUATION_OF, {"case_id": case.id})


def _int(raw, low, high, default, name, fields) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
        if isinstance(raw, bool) or not low <= value <= high:
            raise ValueError
    except (TypeError, ValueError):
        fields[name] = _("Enter a whole number from %(low)s to %(high)s.", low=low, high=high)
        return default
    return value


def check_may_open(case: Case, existing: NeutralEvaluation | None, roles: set[str]) -> None:
    """Raises NotAllowed unless one of these case roles may refer a claim of this case to a neutral now
    (``existing``: its ``evaluation_of``)."""
    if not roles & {CaseRole.MEDIATOR, CaseRole.ADMIN}:
        raise NotAllowed(_("Only the mediator or an administrator can start a neutral evaluation."), code="wrong_role")
    if procedure_of(case).state(case.state).final:
        raise NotAllowed(_("This case is closed."), code="case_closed")
    if existing is not None:
        raise NotAllowed(
            _("This case already has a neutral evaluation (one claim per case)."), code="evaluation_exists"
        )


def open_evaluation(account: Account, case_id: int, data: dict, at: datetime | None = None) -> NeutralEvaluation:
    """The case's mediator (or an administrator) refers one claim to a neutral evaluator."""
    case = get_case(account, case_id, for_update=True)
    roles = case_roles(account, case) & {CaseRole.MEDIATOR, CaseRole.ADMIN}
    check_may_open(case, evaluation_of(case), roles)
    fields: dict[str, str] = {}
    claim = clean_text(data.get("claim"), fields, "claim", max_length=2000)
    listings = data.get("listings")
    known = {item.locator for item in case.listings}
    if not isinstance(listings, list) or not listings or not all(isinstance(x, str) for x in listings):
        fields["listings"] = _("Name the listings to evaluate.")
    elif len(set(listings)) > MAX_LISTINGS:
        fields["listings"] = _("At most %(n)s listings per evaluation.", n=MAX_LISTINGS)
    elif not set(listings) <= known:
        fields["listings"] = _("Name only listings of this case.")
    word_limit = _int(data.get("word_limit"), *WORD_LIMITS, 1000, "word_limit", fields)
    days = _int(data.get("submission_days"), 1, 60, 14, "submission_days", fields)
    decision_days = _int(data.get("decision_days"), 1, 60, 14, "decision_days", fields)
    try:
        deposit = Decimal(str(data.get("deposit_amount")))
        if not deposit.is_finite() or deposit < 0:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        fields["deposit_amount"] = _("Enter each side's deposit as an amount (0 for none).")
        deposit = Decimal(0)
    currency = str(data.get("deposit_currency") or "").upper()
    if len(currency) != 3 or not currency.isalpha():
        fields["deposit_currency"] = _("Enter a three-letter currency code such as EUR.")
    neutral = None
    try:
        neutral = db.session.get(Account, int(data.get("neutral_id")))
    except (TypeError, ValueError):
        pass
    if neutral is None or neutral.role != Role.MEDIATOR or not neutral.active:
        fields["neutral_id"] = _("Choose an active neutral from the roster.")
    elif neutral.id == case.mediator_id:
        fields["neutral_id"] = _("The neutral must not be the case's mediator, who may have heard caucuses.")
    else:
        problems = fitness(neutral, case, {}).problems
        if problems:
            fields["neutral_id"] = _("This neutral cannot take the case: %(reasons)s.", reasons="; ".join(problems))
    if fields:
        raise ValidationFailed(_("The evaluation was not started. Please correct the marked fields."), fields)
    at = at or utcnow()
    evaluation = NeutralEvaluation(
        case_id=case.id,
        neutral_id=neutral.id,
        claim=claim,
        listing_ids=sorted(set(listings)),
        word_limit=word_limit,
        submissions_due_at=at + timedelta(days=days),
        decision_due_at=at + timedelta(days=days + decision_days),
        deposit_amount=str(deposit.quantize(Decimal("0.01"))),
        deposit_currency=currency,
        opened_at=at,
    )
    db.session.add(evaluation)
    db.session.flush()
    events.record(
        case,
        EventKind.EVALUATION_OPENED,
        at,
        actor=account,
        role=sorted(roles)[0],
        payload={
            "evaluation_id": evaluation.id,
            "neutral_id": neutral.id,
            "listings": len(evaluation.listing_ids),
            "word_limit": word_limit,
            "submissions_due_at": evaluation.submissions_due_at.isoformat(),
            "decision_due_at": evaluation.decision_due_at.isoformat(),
            "deposit": f"{evaluation.deposit_amount} {currency}",
        },
    )
    commit()
    return evaluation


def _case_evaluation(account: Account, case_id: int) -> tuple[Case, NeutralEvaluation]:
    case = get_case(account, case_id, for_update=True)
    evaluation = evaluation_of(case)
    if evaluation is None:
        raise NotFound(_("This case has no neutral evaluation."))
    return case, evaluation


def record_deposit(account: Account, case_id: int, side, reference=None, at: datetime | None = None):
    """An administrator records that one side's deposit was received."""
    case, evaluation = _case_evaluation(account, case_id)
    if account.role != Role.ADMIN:
        raise NotAllowed(_("Only an administrator records deposits."), code="wrong_role")
    if side not in SIDES:
        raise ValidationFailed(_("Choose claimant or respondent."), {"side": _("Choose claimant or respondent.")})
    if any(d.side == side for d in evaluation.deposits):
        raise NotAllowed(_("This side's deposit is already recorded."), code="already_recorded")
    fields: dict[str, str] = {}
    ref = clean_text(reference, fields, "reference", required=False, max_length=200)
    if fields:
        raise ValidationFailed(_("Please correct the marked fields."), fields)
    at = at or utcnow()
    deposit = EvaluationDeposit(
        evaluation_id=evaluation.id,
        side=side,
        amount=evaluation.deposit_amount,
        currency=evaluation.deposit_currency,
        reference=ref,
        recorded_by_id=account.id,
        recorded_at=at,
    )
    evaluation.deposits.append(deposit)
    events.record(
        case,
        EventKind.EVALUATION_DEPOSIT_RECORDED,
        at,
        actor=account,
        role=CaseRole.ADMIN,
        payload={"evaluation_id": evaluation.id, "side": side},
    )
    commit()
    return deposit


def check_may_submit(evaluation: NeutralEvaluation, roles: set[str], at: datetime) -> None:
    """Raises NotAllowed unless a side in these case roles may make its one submission now."""
    sides = roles & set(SIDES)
    if not sides:
        raise NotAllowed(_("Only the parties make submissions."), code="wrong_role")
    side = sorted(sides)[0]
    if evaluation.status != EvaluationStatus.OPEN or at > evaluation.submissions_due_at:
        raise NotAllowed(_("The time for submissions has ended."), code="deadline_passed")
    if any(s.side == side for s in evaluation.submissions):
        raise NotAllowed(_("Your side has already made its submission."), code="already_submitted")
    if not any(d.side == side for d in evaluation.deposits):
        raise NotAllowed(_("Your side's deposit has not been recorded yet."), code="deposit_missing")


def submit(account: Account, case_id: int, data: dict, at: datetime | None = None) -> EvaluationSubmission:
    """A side's one written submission, within the word limit and before the deadline."""
    case, evaluation = _case_evaluation(account, case_id)
    roles = case_roles(account, case)
    at = at or utcnow()
    check_may_submit(evaluation, roles, at)
    side = sorted(roles & set(SIDES))[0]
    fields: dict[str, str] = {}
    text = clean_text(data.get("text"), fields, "text", max_length=100000)
    language = check_language(data.get("language"), fields)
    words = word_count(text)
    if words > evaluation.word_limit:
        fields["text"] = _("%(words)s words: the limit is %(limit)s.", words=words, limit=evaluation.word_limit)
    if fields:
        raise ValidationFailed(_("Your submission was not recorded."), fields)
    submission = EvaluationSubmission(
        evaluation_id=evaluation.id,
        side=side,
        account_id=account.id,
        language=language,
        text=text,
        words=words,
        submitted_at=at,
    )
    evaluation.submissions.append(submission)
    events.record(
        case,
        EventKind.EVALUATION_SUBMISSION_FILED,
        at,
        actor=account,
        role=side,
        payload={"evaluation_id": evaluation.id, "words": words},
    )
    commit()
    return submission


def neutral_evaluation(neutral: Account, evaluation_id: int) -> NeutralEvaluation:
    """The evaluation as its neutral sees it; anyone else gets 'not found'."""
    evaluation = db.session.get(NeutralEvaluation, evaluation_id)
    if evaluation is None or evaluation.neutral_id != neutral.id:
        raise NotFound(_("This evaluation does not exist, or it is not yours."))
    return evaluation


_ASSIGNED_EVALUATIONS = (
    select(NeutralEvaluation)
    .options(joinedload(NeutralEvaluation.case))
    .where(NeutralEvaluation.neutral_id == bindparam("neutral_id"))
    .order_by(NeutralEvaluation.decision_due_at)
)


def assigned_evaluations(neutral: Account) -> list[NeutralEvaluation]:
    """The evaluations a neutral is assigned, each read with its case (the desk names it), soonest decision first.
    Its statement is built once: the desk shows them on every page."""
    return list(db.session.scalars(_ASSIGNED_EVALUATIONS, {"neutral_id": neutral.id}))


def decide(neutral: Account, evaluation_id: int, data: dict, at: datetime | None = None) -> NeutralEvaluation:
    """The neutral's reasoned decision; deposits follow it (loser pays)."""
    evaluation = neutral_evaluation(neutral, evaluation_id)
    at = at or utcnow()
    if evaluation.status != EvaluationStatus.OPEN:
        raise NotAllowed(_("This evaluation is already decided."), code="already_decided")
    if at <= evaluation.submissions_due_at and len(evaluation.submissions) < len(SIDES):
        raise NotAllowed(_("Wait for both submissions or for the submission deadline."), code="too_early")
    fields: dict[str, str] = {}
    side = data.get("prevailing_side")
    if side not in SIDES:
        fields["prevailing_side"] = _("Choose which side prevails: claimant or respondent.")
    reasons = clean_text(data.get("reasons"), fields, "reasons", max_length=50000)
    if reasons and word_count(reasons) < 20:
        fields["reasons"] = _("Give your reasons (at least 20 words).")
    language = check_language(data.get("language"), fields)
    if fields:
        raise ValidationFailed(_("The decision was not recorded."), fields)
    evaluation.status = EvaluationStatus.DECIDED
    evaluation.prevailing_side = side
    evaluation.reasons = reasons
    evaluation.reasons_language = language
    evaluation.decided_at = at
    for deposit in evaluation.deposits:
        deposit.status = DepositStatus.REFUNDED if deposit.side == side else DepositStatus.FORFEITED
    case = db.session.get(Case, evaluation.case_id)
    events.record(
        case,
        EventKind.EVALUATION_DECIDED,
        at,
        actor=neutral,
        role=CaseRole.NEUTRAL,
        payload={
            "evaluation_id": evaluation.id,
            "prevailing_side": side,
            "language": language,
            "deposits": {d.side: d.status.value for d in evaluation.deposits},
        },
    )
    _propose_decided_terms(case, evaluation, neutral, at)
    commit()
    return evaluation


def _propose_decided_terms(case: Case, evaluation: NeutralEvaluation, neutral: Account, at: datetime):
    """The decision as the case's settlement proposal, in every party's language; None when the
    case is at a stage where no settlement can be proposed (the decision then stands on record only)."""
    if FilingKind.SETTLEMENT.value not in procedure_of(case).filings_allowed(case.state):
        return None
    kind = MeasureKind.TAKE_DOWN if evaluation.prevailing_side == "claimant" else MeasureKind.RESTORE
    versions = {}
    for language in party_languages(case):
        with force_locale(ui_locale(language)):
            versions[language] = (
                _(
                    "Settlement on the neutral evaluator's decision: the right holder prevails, and the platform "
                    "takes down the evaluated listings."
                )
                if evaluation.prevailing_side == "claimant"
                else _(
                    "Settlement on the neutral evaluator's decision: the seller prevails, and the platform "
                    "restores the evaluated listings."
                )
            )
    authoritative = evaluation.reasons_language if evaluation.reasons_language in versions else next(iter(versions))
    filing = record_filing(
        case,
        FilingKind.SETTLEMENT,
        author=neutral,
        role=CaseRole.NEUTRAL,
        language=authoritative,
        text=versions[authoritative],
        at=at,
        terms={
            "authoritative_language": authoritative,
            "versions": versions,
            "neutral_evaluation_id": evaluation.id,
            "prevailing_side": evaluation.prevailing_side,
            "measures": [{"kind": kind.value, "listing": item} for item in evaluation.listing_ids],
        },
        event_details={"agreement": True, "neutral_evaluation": evaluation.id},
    )
    void_superseded_acceptances(case, filing, neutral, CaseRole.NEUTRAL, at)
    return filing


def evaluation_json(evaluation: NeutralEvaluation) -> dict:
    return {
        "id": evaluation.id,
        "claim": evaluation.claim,
        "listings": evaluation.listing_ids,
        "word_limit": evaluation.word_limit,
        "submissions_due_at": evaluation.submissions_due_at.isoformat(),
        "decision_due_at": evaluation.decision_due_at.isoformat(),
        "status": evaluation.status.value,
        "neutral": evaluation.neutral.display_name,
        "deposit": {"amount": evaluation.deposit_amount, "currency": evaluation.deposit_currency},
        "deposits": [
            {"side": d.side, "status": d.status.value, "recorded_at": d.recorded_at.isoformat()}
            for d in evaluation.deposits
        ],
        "submissions": [
            {
                "side": s.side,
                "language": s.language,
                "text": s.text,
                "words": s.words,
                "submitted_at": s.submitted_at.isoformat(),
            }
            for s in evaluation.submissions
        ],
        "decision": None
        if evaluation.status != EvaluationStatus.DECIDED
        else {
            "prevailing_side": evaluation.prevailing_side,
            "reasons": evaluation.reasons,
            "language": evaluation.reasons_language,
            "decided_at": evaluation.decided_at.isoformat(),
        },
    }
