"""Records from outcomes, wrongful-notice claims and findings, repeat-infringer strikes and account measures.

A record counts what cases *decided*, never what was alleged: a notice counts against its filer only
once it was withdrawn, refused, rejected, undone by a counter-notice that held, or found wrong; a
notice counts against a seller only once upheld by a decision, a settlement or a court, or left
unanswered. Strikes (``rules/policy/conduct.yaml``, ``repeat_infringer``) come only from a court's
decision upholding the notice or a notice left uncontested; a counter-notice that held, a withdrawal, a
dismissal or a finding that the notice was wrong removes the strike, and every strike expires.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, func, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from odr.accounts.models import Account, Party, Role
from odr.cases import events
from odr.cases.access import case_roles, get_case
from odr.cases.models import Case, Event, FilingKind
from odr.cases.signals import notice_refused, notice_screening
from odr.conduct.models import (
    AccountMeasure,
    ClaimStatus,
    HealthSafetyScreen,
    MeasureStatus,
    NoticeRefusal,
    NoticeTriage,
    ScreenStatus,
    StrikeGivingCase,
    TrustedFlagger,
    WrongfulNoticeClaim,
)
from odr.conduct.policy import RepeatInfringerRules, policy
from odr.conduct.signals import account_measure_required
from odr.domain_events import commit
from odr.errors import Forbidden, NotAllowed, NotFound, ValidationFailed
from odr.extensions import db
from odr.extensions import gettext as _
from odr.extensions import lazy_gettext as _l
from odr.models_base import transaction_memo, utcnow
from odr.notifications.deliveries import serve
from odr.procedure.services import final_states
from odr.procedure.signals import consequences_due, state_entered
from odr.queue import periodic_job
from odr.validation import check_language, clean_text
from odr.vocabulary import CaseRole, EventKind

CURRENCY_LENGTH = 3
MAX_AMOUNT = Decimal("1e12")

NOTIFIER_COUNTS = {
    "filed": _l("Notices filed"),
    "withdrawn": _l("Withdrawn"),
    "refused_incomplete": _l("Refused as incomplete"),
    "rejected_on_decision": _l("Rejected on decision"),
    "restored_after_counter_notice": _l("Restored after a counter-notice, without a complaint or suit"),
    "found_erroneous": _l("Found erroneous"),
    "found_malicious": _l("Found malicious"),
}
SELLER_COUNTS = {
    "received": _l("Notices received"),
    "upheld_by_decision": _l("Upheld by a neutral's decision"),
    "upheld_by_settlement": _l("Upheld by settlement"),
    "upheld_by_court": _l("Upheld by a court"),
    "uncontested": _l("Left unanswered"),
    "counter_notices_held": _l("Counter-notices that held"),
}
STRIKE_GROUNDS = {
    "court_upheld": _l("Notice upheld by a court's decision"),
    "uncontested": _l("Notice left unanswered within the time to respond"),
}
STRIKE_REMOVALS = {
    "counter_notice_held": _l("Removed: a counter-notice held"),
    "withdrawn": _l("Removed: the notice was withdrawn"),
    "dismissed": _l("Removed: the notice was rejected"),
    "wrongful_notice": _l("Removed: the notice was found wrongful"),
}
MEASURE_TITLES = {
    "warning": _l("Warning"),
    "suspend_notice_processing": _l("Processing of notices suspended"),
    "suspend_account": _l("Account suspended"),
    "terminate_account": _l("Account terminated"),
}
MEASURE_STATUS_TITLES = {
    MeasureStatus.IN_FORCE: _l("In force"),
    MeasureStatus.LIFTED_ON_APPEAL: _l("Lifted on appeal"),
    MeasureStatus.EXPIRED: _l("Expired"),
}


# --- facts of one case, from its timeline -------------------------------------------------------


@dataclass
class CaseFacts:
    """What a case's timeline says about its notice, as the record counts it."""

    case: Case
    withdrawn_at: datetime | None = None
    answered: bool = False  # a response or counter-notice before any uncontested run-out
    uncontested_at: datetime | None = None
    counter_notice_held_at: datetime | None = None
    court_outcome: str | None = None
    court_at: datetime | None = None
    evaluation_side: str | None = None
    evaluation_at: datetime | None = None
    settled_upholding: bool = False
    settled_at: datetime | None = None
    finding: WrongfulNoticeClaim | None = None
    # The latest strike-giving event (a court's decision, a change of state for an uncontested cause), whether or
    # not it gives a strike: what the case's row of the strike index (``StrikeGivingCase``) holds.
    strike_event_at: datetime | None = None


# The statements read at each outcome (every consequence of the sweep), built once: their construction cost about as
# much as sending them.
_FACT_KINDS = [
    EventKind.STATE_CHANGED,
    EventKind.RESPONSE_FILED,
    EventKind.COUNTER_NOTICE_FILED,
    EventKind.DECISION_FILED,
    EventKind.EVALUATION_DECIDED,
]
# The columns the facts are made of, not Event objects: a consequence reads the events of its seller's newest strike
# cases too, and building an object for each row cost more than reading it.
_FACT_EVENTS = (
    select(Event.case_id, Event.kind, Event.actor_case_role, Event.payload, Event.created_at)
    .where(Event.case_id.in_(bindparam("case_ids", expanding=True)), Event.kind.in_([k.value for k in _FACT_KINDS]))
    .order_by(Event.seq)
)
_CLAIMS = select(WrongfulNoticeClaim).where(WrongfulNoticeClaim.case_id.in_(bindparam("case_ids", expanding=True)))


def _facts(cases: list[Case]) -> dict[int, CaseFacts]:
    rules = policy().record
    facts = {case.id: CaseFacts(case) for case in cases}
    if not facts:
        return facts
    for event in db.session.execute(_FACT_EVENTS, {"case_ids": list(facts)}):
        fact = facts[event.case_id]
        payload = event.payload or {}
        if event.kind in (EventKind.RESPONSE_FILED, EventKind.COUNTER_NOTICE_FILED):
            if fact.uncontested_at is None:
                fact.answered = True
        elif event.kind == EventKind.DECISION_FILED and event.actor_case_role == CaseRole.COURT:
            fact.court_outcome = (payload.get("terms") or {}).get("outcome")
            fact.court_at = fact.strike_event_at = event.created_at
        elif event.kind == EventKind.EVALUATION_DECIDED:
            fact.evaluation_side, fact.evaluation_at = payload.get("prevailing_side"), event.created_at
        elif event.kind == EventKind.STATE_CHANGED:
            cause, to = payload.get("cause"), payload.get("to")
            if cause in rules.uncontested_causes:
                fact.strike_event_at = event.created_at
                if not fact.answered and fact.uncontested_at is None:
                    fact.uncontested_at = event.created_at
            if cause in rules.counter_notice_held_causes:
                fact.counter_notice_held_at = event.created_at
            if to == "withdrawn":
                fact.withdrawn_at = event.created_at
            if to == "settled":
                fact.settled_at = event.created_at
    for case in cases:
        fact = facts[case.id]
        if case.state == "settled":
            settlement = [f for f in case.filings if f.kind == FilingKind.SETTLEMENT and f.acceptances]
            terms = (settlement[-1].terms or {}) if settlement else {}
            kinds_agreed = {m.get("kind") for m in terms.get("measures", [])}
            fact.settled_upholding = bool(kinds_agreed & rules.settlement_upholding_measures) or terms.get(
                "listing_measure"
            ) in {"remove", "modify", "geo_restrict"}
    for case_id, claim in _claims_of(list(facts)).items():
        facts[case_id].finding = claim
    return facts


def _locked_claims() -> dict[int, WrongfulNoticeClaim | None]:
    """The wrongful-notice claims of the cases a sweep's batch has locked (None: the case has none), known for the
    transaction once read: a claim is filed under its case's lock (``do_claim_wrongful_notice``). Another case's claim
    is read each time it is asked for, as one may be filed meanwhile."""
    return transaction_memo(db.session, "wrongful_notice_claims")


def _claims_to_read() -> dict[int, None]:
    # The cases of the batch whose claims are not read yet: read with the next claims read (``_claims_of``).
    return transaction_memo(db.session, "wrongful_notice_claims_to_read")


@consequences_due.in_transaction.connect
def _on_consequences_due(_sender: Any, *, cases: list[Case], **_data: Any) -> None:
    # Not read here but with the batch's first consequence's own read: a batch of one reads its case's claim with
    # those of its seller's strike cases, in one statement, as before.
    _claims_to_read().update(dict.fromkeys(case.id for case in cases if case.id not in _locked_claims()))


def _claims_of(case_ids: list[int]) -> dict[int, WrongfulNoticeClaim]:
    """The claims of these cases, by case; those of a batch's locked cases read once for the batch."""
    known, to_read = _locked_claims(), _claims_to_read()
    wanted = [case_id for case_id in case_ids if case_id not in known]
    found: dict[int, WrongfulNoticeClaim] = {}
    if wanted:
        ids = list(dict.fromkeys([*wanted, *to_read]))
        found = {claim.case_id: claim for claim in db.session.scalars(_CLAIMS, {"case_ids": ids})}
        known.update({case_id: found.get(case_id) for case_id in to_read})
        to_read.clear()
    claims = {case_id: known[case_id] if case_id in known else found.get(case_id) for case_id in case_ids}
    return {case_id: claim for case_id, claim in claims.items() if claim is not None}


def case_facts(case: Case) -> CaseFacts:
    """What the case's timeline says about its notice, for the domains that follow its outcome."""
    return _facts([case])[case.id]


def notice_upheld(fact: CaseFacts) -> bool:
    """Whether the notice was upheld: by a court, by a neutral's decision for the right holder, or by a
    settlement that restricts the listings (the seller record's "upheld" counts, read for one case)."""
    return (
        fact.court_outcome in policy().record.upheld_outcomes
        or fact.evaluation_side == "claimant"
        or fact.settled_upholding
    )


def counter_notice_held(cause: str) -> bool:
    """Whether a change of state with this cause restored the listings after a counter-notice that held."""
    return cause in policy().record.counter_notice_held_causes


# --- strikes --------------------------------------------------------------------------------------


@dataclass
class Strike:
    case: Case
    ground: str  # court_upheld | uncontested
    at: datetime
    expires_at: datetime
    removed: str | None = None  # why it no longer counts, if it does not

    def active(self, now: datetime) -> bool:
        return self.removed is None and now < self.expires_at

    @property
    def ground_title(self) -> str:
        return str(STRIKE_GROUNDS[self.ground])

    @property
    def removed_title(self) -> str:
        return str(STRIKE_REMOVALS[self.removed]) if self.removed else ""


def strike_of(fact: CaseFacts) -> Strike | None:
    """The strike a case's outcome gives its seller, with why it was removed if it was."""
    rules = policy()
    repeat = rules.repeat_infringer(fact.case.jurisdiction)
    if fact.court_outcome in rules.record.upheld_outcomes and fact.court_at is not None:
        ground, at = "court_upheld", fact.court_at
    elif fact.uncontested_at is not None:
        ground, at = "uncontested", fact.uncontested_at
    else:
        return None
    strike = Strike(fact.case, ground, at, at + timedelta(days=repeat.strike_expiry_days))
    if ground == "uncontested":
        if fact.counter_notice_held_at is not None:
            strike.removed = "counter_notice_held"
        elif fact.withdrawn_at is not None:
            strike.removed = "withdrawn"
        elif fact.court_outcome in rules.record.rejected_outcomes:
            strike.removed = "dismissed"
    if fact.finding is not None and fact.finding.found:
        strike.removed = "wrongful_notice"
    return strike


def policy_key(jurisdiction: str) -> str:
    return jurisdiction if jurisdiction in policy().repeat else "default"


# --- records -------------------------------------------------------------------------------------


@dataclass
class Record:
    """A party's record from outcomes: as notifier, as seller, with strikes, findings and measures."""

    party: Party
    as_notifier: dict[str, int]
    as_seller: dict[str, int]
    strikes: list[Strike]
    findings_against: list[WrongfulNoticeClaim]  # claims about this party's notices
    findings_for: list[WrongfulNoticeClaim]  # this party's claims as seller
    measures: list[AccountMeasure]
    now: datetime
    policy_version: str = ""
    thresholds: list[dict[str, Any]] = field(default_factory=list)

    @property
    def active_strikes(self) -> list[Strike]:
        return [s for s in self.strikes if s.active(self.now)]

    def counts(self, which: str) -> list[tuple[str, str, int]]:
        titles = NOTIFIER_COUNTS if which == "notifier" else SELLER_COUNTS
        values = self.as_notifier if which == "notifier" else self.as_seller
        return [(key, str(title), values[key]) for key, title in titles.items()]

    def to_dict(self) -> dict[str, Any]:
        return {
            "party": {"id": self.party.id, "name": self.party.name},
            "policy_version": self.policy_version,
            "as_notifier": self.as_notifier,
            "as_seller": self.as_seller,
            "strikes": [
                {
                    "case_reference": s.case.reference,
                    "case_id": s.case.id,
                    "jurisdiction": s.case.jurisdiction,
                    "ground": s.ground,
                    "at": s.at.isoformat(),
                    "expires_at": s.expires_at.isoformat(),
                    "active": s.active(self.now),
                    "removed": s.removed,
                }
                for s in self.strikes
            ],
            "active_strikes": len(self.active_strikes),
            "thresholds": self.thresholds,
            "wrongful_notice_findings": [claim_json(c) for c in self.findings_against],
            "wrongful_notice_claims": [claim_json(c) for c in self.findings_for],
            "account_measures": [measure_json(m) for m in self.measures],
        }


def _tally(party: Party, cases: list[Case], facts: dict[int, CaseFacts]) -> tuple[dict, dict, list[Strike]]:
    """The counts (as notifier, as seller) and the strikes ``cases`` give ``party``, from their facts."""
    rules = policy()
    notifier = dict.fromkeys(NOTIFIER_COUNTS, 0)
    seller = dict.fromkeys(SELLER_COUNTS, 0)
    strikes: list[Strike] = []
    for case in cases:
        fact = facts[case.id]
        if case.claimant_party_id == party.id:
            notifier["filed"] += 1
            notifier["withdrawn"] += fact.withdrawn_at is not None
            notifier["rejected_on_decision"] += (
                fact.court_outcome in rules.record.rejected_outcomes or fact.evaluation_side == "respondent"
            )
            notifier["restored_after_counter_notice"] += fact.counter_notice_held_at is not None
            if fact.finding is not None:
                notifier["found_erroneous"] += fact.finding.status == ClaimStatus.ERRONEOUS
                notifier["found_malicious"] += fact.finding.status == ClaimStatus.MALICIOUS
        if case.respondent_party_id == party.id:
            seller["received"] += 1
            seller["upheld_by_decision"] += fact.evaluation_side == "claimant"
            seller["upheld_by_settlement"] += fact.settled_upholding
            seller["upheld_by_court"] += fact.court_outcome in rules.record.upheld_outcomes
            seller["uncontested"] += fact.uncontested_at is not None
            seller["counter_notices_held"] += fact.counter_notice_held_at is not None
            strike = strike_of(fact)
            if strike is not None:
                strikes.append(strike)
    return notifier, seller, strikes


def _refusals(party: Party) -> int:
    return db.session.scalar(select(func.count()).where(NoticeRefusal.party_id == party.id)) or 0


def record_of(party: Party, now: datetime | None = None) -> Record:
    """Compute ``party``'s record from the outcomes of its cases (as notifier and as seller)."""
    now = now or utcnow()
    rules = policy()
    cases = list(
        db.session.scalars(
            select(Case)
            .where(or_(Case.claimant_party_id == party.id, Case.respondent_party_id == party.id))
            .order_by(Case.id)
        )
    )
    notifier, seller, strikes = _tally(party, cases, _facts(cases))
    notifier["refused_incomplete"] = _refusals(party)
    claims = list(
        db.session.scalars(
            select(WrongfulNoticeClaim)
            .where(
                or_(WrongfulNoticeClaim.notifier_party_id == party.id, WrongfulNoticeClaim.seller_party_id == party.id)
            )
            .order_by(WrongfulNoticeClaim.id)
        )
    )
    measures = list(
        db.session.scalars(
            select(AccountMeasure).where(AccountMeasure.party_id == party.id).order_by(AccountMeasure.id)
        )
    )
    thresholds = []
    for key in sorted({policy_key(s.case.jurisdiction) for s in strikes}):
        repeat = rules.repeat[key]
        thresholds.append(
            {
                "jurisdiction": key,
                "active_strikes": sum(1 for s in strikes if policy_key(s.case.jurisdiction) == key and s.active(now)),
                "threshold": repeat.threshold,
                "warning_at": repeat.warning_at,
                "measure": repeat.measure,
                "strike_expiry_days": repeat.strike_expiry_days,
                "citation": repeat.citation.as_dict(),
            }
        )
    return Record(
        party=party,
        as_notifier=notifier,
        as_seller=seller,
        strikes=strikes,
        findings_against=[c for c in claims if c.notifier_party_id == party.id and c.found],
        findings_for=[c for c in claims if c.seller_party_id == party.id],
        measures=measures,
        now=now,
        policy_version=rules.version,
        thresholds=thresholds,
    )


def _with_outcomes(mine) -> Select:
    """The cases (``mine``: a condition on them) whose facts can count anything but "filed" and "received":
    those with an event ``_facts`` reads for an outcome (a change of state to a final outcome or for a cause
    the record counts, a decision, an evaluation), a settlement, or a wrongful-notice claim. Every other case
    only counts as filed (or received): a notice just opened, or one still waiting for its answer. Only the cases
    whose timeline went beyond the notice (``Case.beyond_notice``, indexed by party) are looked at, so a platform's
    thousands of open notices cost nothing here; each one's events are looked up by its id (correlated), never the
    whole platform's. The record's causes are a parameter (``_outcome_causes``)."""
    outcome_event = (
        select(Event.id)
        .where(
            Event.case_id == Case.id,
            or_(
                Event.kind.in_([EventKind.DECISION_FILED.value, EventKind.EVALUATION_DECIDED.value]),
                (Event.kind == EventKind.STATE_CHANGED.value)
                & or_(
                    Event.payload["cause"].as_string().in_(bindparam("causes", expanding=True)),
                    Event.payload["to"].as_string().in_(["withdrawn", "settled"]),
                ),
            ),
        )
        .exists()
    )
    claimed = select(WrongfulNoticeClaim.id).where(WrongfulNoticeClaim.case_id == Case.id).exists()
    return (
        select(Case)
        .where(mine, Case.beyond_notice.is_(True), or_(Case.state == "settled", outcome_event, claimed))
        .order_by(Case.id)
    )


# Built once and run with their parameters: building these took longer than running them, at every new notice.
# The cases of the parties ``party_ids`` (either side), and the notices ``party_id`` filed after ``since``.
_OF_PARTIES = or_(
    Case.claimant_party_id.in_(bindparam("party_ids", expanding=True)),
    Case.respondent_party_id.in_(bindparam("party_ids", expanding=True)),
)
_FILED_SINCE = (Case.claimant_party_id == bindparam("party_id")) & (Case.created_at > bindparam("since"))
_OUTCOMES_OF_PARTIES = _with_outcomes(_OF_PARTIES)
_OUTCOMES_FILED_SINCE = _with_outcomes(_FILED_SINCE)
_COUNT_FILED_SINCE = select(func.count()).select_from(Case).where(_FILED_SINCE)


def _outcome_causes() -> list[str]:
    """The causes of a change of state that the record counts (``_with_outcomes``'s ``causes``)."""
    rules = policy().record
    return sorted(set(rules.uncontested_causes) | set(rules.counter_notice_held_causes))


@functools.cache
def _counts_of(parties: int) -> Select:
    """Each of ``parties`` parties' notices filed, received and refused (parameters ``party_0``...), in one row,
    each count from its party index alone, not from the rows of the party's cases."""
    counted = []
    for n in range(parties):
        party_id: BindParameter[int] = bindparam(f"party_{n}")
        counted += [
            select(func.count()).where(Case.claimant_party_id == party_id).scalar_subquery(),
            select(func.count()).where(Case.respondent_party_id == party_id).scalar_subquery(),
            select(func.count()).where(NoticeRefusal.party_id == party_id).scalar_subquery(),
        ]
    return select(*counted)


def outcome_counts(party: Party) -> tuple[dict[str, int], dict[str, int]]:
    """``record_of(party)``'s counts as notifier and as seller, the same numbers, without loading its whole
    history (``outcome_counts_of``)."""
    return outcome_counts_of([party])[party.id]


def outcome_counts_of(parties: list[Party]) -> dict[int, tuple[dict[str, int], dict[str, int]]]:
    """Each party's ``record_of`` counts (as notifier, as seller) by its id, in two statements whatever their number
    (a new notice's triage asks for both of its parties, which a platform filing thousands of notices runs at each
    one): their cases are counted in SQL, and only those with an outcome are read."""
    by_id = {party.id: party for party in parties}
    ids = sorted(by_id)
    with_outcomes = list(db.session.scalars(_OUTCOMES_OF_PARTIES, {"party_ids": ids, "causes": _outcome_causes()}))
    facts = _facts(with_outcomes)
    counts = db.session.execute(_counts_of(len(ids)), {f"party_{n}": party_id for n, party_id in enumerate(ids)}).one()
    found = {}
    for n, party_id in enumerate(ids):
        notifier, seller, _strikes = _tally(by_id[party_id], with_outcomes, facts)
        notifier["filed"], seller["received"], notifier["refused_incomplete"] = counts[3 * n : 3 * n + 3]
        found[party_id] = notifier, seller
    return found


def _filed_since(party: Party, since: datetime) -> tuple[int, list[Case]]:
    """How many notices ``party`` filed after ``since``, and those of them with an outcome (``_with_outcomes``)."""
    params = {"party_id": party.id, "since": since}
    filed = db.session.scalar(_COUNT_FILED_SINCE, params) or 0
    return filed, list(db.session.scalars(_OUTCOMES_FILED_SINCE, params | {"causes": _outcome_causes()}))


def may_read_record(account: Account, party: Party) -> bool:
    """The person concerned, administrators and mediators; mediators and courts also see it on their cases."""
    if account.role in (Role.ADMIN, Role.MEDIATOR):
        return True
    return account.party_id == party.id


def record_for(account: Account, party_id: int) -> Record:
    party = db.session.get(Party, party_id)
    if party is None or not may_read_record(account, party):
        raise NotFound(_("This record does not exist, or you may not see it."))
    return record_of(party)


def own_record(account: Account) -> Record:
    if account.party is None:
        raise NotFound(_("Your account has no organisation, so it has no record."))
    return record_of(account.party)


def case_records(account: Account, case_id: int) -> dict[str, Record]:
    """The records of both parties of a case, for its mediator, a court it was exported to, or an administrator."""
    case = get_case(account, case_id)
    roles = case_roles(account, case)
    if not roles & {CaseRole.MEDIATOR, CaseRole.ADMIN, CaseRole.COURT}:
        raise Forbidden(_("Only the case's mediator, reviewers and its court see the parties' records here."))
    return {"claimant": record_of(case.claimant), "respondent": record_of(case.respondent)}


# --- refused notices -------------------------------------------------------------------------------


@notice_refused.in_transaction.connect
def _on_notice_refused(account: Account, *, jurisdiction: str, fields: list[str], at: datetime, **_data) -> None:
    if account.party_id is not None:
        db.session.add(
            NoticeRefusal(
                party_id=account.party_id,
                account_id=account.id,
                jurisdiction=jurisdiction[:8],
                fields=fields[:50],
                refused_at=at,
            )
        )


# --- wrongful notices ---------------------------------------------------------------------------------


def _amount(raw, fields: dict, name: str) -> str:
    try:
        amount = Decimal(str(raw).strip())
        if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
            raise InvalidOperation
        return str(amount.quantize(Decimal("0.01")))
    except (InvalidOperation, ValueError):
        fields[name] = _("Enter an amount such as 1500 or 1500.50.")
        return ""


def do_claim_wrongful_notice(
    account: Account, case_id: int, data: dict, at: datetime | None = None
) -> WrongfulNoticeClaim:
    """The seller claims that the notice was wrong, with the loss it caused; a decider rules on it later."""
    case = get_case(account, case_id, for_update=True)
    if CaseRole.RESPONDENT not in case_roles(account, case):
        raise Forbidden(_("Only the seller named in the notice can claim that it was wrong."))
    if db.session.scalar(select(WrongfulNoticeClaim.id).where(WrongfulNoticeClaim.case_id == case.id)):
        raise NotAllowed(_("A claim that this notice was wrong has already been filed."))
    fields: dict[str, str] = {}
    grounds = clean_text(data.get("grounds"), fields, "grounds", max_length=20000)
    language = check_language(data.get("language"), fields)
    loss = _amount(data.get("loss_amount"), fields, "loss_amount")
    currency = str(data.get("currency") or "").strip().upper()
    if len(currency) != CURRENCY_LENGTH or not currency.isalpha():
        fields["currency"] = _("Enter a three-letter currency code such as EUR.")
    if fields:
        raise ValidationFailed(_("The claim is incomplete. Please correct the marked fields."), fields)
    at = at or utcnow()
    claim = WrongfulNoticeClaim(
        case_id=case.id,
        seller_party_id=case.respondent_party_id,
        notifier_party_id=case.claimant_party_id,
        claimed_by_id=account.id,
        grounds=grounds,
        language=language,
        loss_amount=loss,
        currency=currency,
        created_at=at,
    )
    db.session.add(claim)
    db.session.flush()
    _locked_claims()[case.id] = claim
    events.record(
        case,
        EventKind.WRONGFUL_NOTICE_CLAIMED,
        at,
        actor=account,
        role=CaseRole.RESPONDENT,
        payload={"claim_id": claim.id, "loss_amount": loss, "currency": currency, "language": language},
    )
    commit()
    return claim


def consequence_of(case: Case, status: ClaimStatus, loss_amount: str, currency: str) -> dict[str, Any]:
    """What a finding entails under the case's law: the multiplier of the loss claimed, and why."""
    rules = policy().wrongful_notice(case.jurisdiction)
    consequence = rules.malicious if status == ClaimStatus.MALICIOUS else rules.erroneous
    result: dict[str, Any] = {
        "jurisdiction": case.jurisdiction,
        "multiplier": consequence.multiplier,
        "loss_claimed": loss_amount,
        "compensation_named": str((Decimal(loss_amount) * consequence.multiplier).quantize(Decimal("0.01"))),
        "currency": currency,
        "citation": consequence.citation.as_dict(),
        "note": "The platform records the finding; damages are for the competent court to award.",
    }
    if rules.malicious_declaration is not None:
        # The counterpart for sellers: a bad-faith declaration (counter-notice) carries liability too.
        result["malicious_declaration_citation"] = rules.malicious_declaration.as_dict()
    return result


def may_decide_claim(account: Account, case: Case) -> bool:
    return bool(case_roles(account, case) & policy().deciders)


def do_decide_wrongful_notice(
    account: Account, claim_id: int, data: dict, at: datetime | None = None
) -> WrongfulNoticeClaim:
    """The case's mediator, a reviewer (administrator) or its court finds the notice erroneous, malicious or not."""
    claim = db.session.scalar(select(WrongfulNoticeClaim).where(WrongfulNoticeClaim.id == claim_id).with_for_update())
    if claim is None:
        raise NotFound(_("This claim does not exist, or you may not see it."))
    case = get_case(account, claim.case_id)
    roles = case_roles(account, case) & policy().deciders
    if not roles:
        raise Forbidden(_("Only the case's mediator, a reviewer or its court can decide this claim."))
    if claim.status != ClaimStatus.CLAIMED:
        raise NotAllowed(_("This claim has already been decided."))
    fields: dict[str, str] = {}
    try:
        status = ClaimStatus(str(data.get("finding")))
        if status == ClaimStatus.CLAIMED:
            raise ValueError
    except ValueError:
        status = ClaimStatus.CLAIMED
        fields["finding"] = _("Choose erroneous, malicious or dismissed.")
    reasons = clean_text(data.get("reasons"), fields, "reasons", max_length=20000)
    language = check_language(data.get("language"), fields)
    if fields:
        raise ValidationFailed(_("The finding is incomplete. Please correct the marked fields."), fields)
    at = at or utcnow()
    role = next(r for r in (CaseRole.COURT, CaseRole.MEDIATOR, CaseRole.ADMIN) if r in roles)
    claim.status = status.value
    claim.decided_by_id = account.id
    claim.decider_role = role.value
    claim.reasons = reasons
    claim.reasons_language = language
    claim.decided_at = at
    claim.consequence = (
        consequence_of(case, status, claim.loss_amount, claim.currency) if status != ClaimStatus.DISMISSED else {}
    )
    payload = {"claim_id": claim.id, "finding": status.value, "consequence": claim.consequence}
    events.record(case, EventKind.WRONGFUL_NOTICE_DECIDED, at, actor=account, role=role, payload=payload)
    # Both parties receive the finding with its reasons (inbox and e-mail), in their own language.
    serve(case, "wrongful_notice_finding", at, data=dict(payload, reasons=reasons, reasons_language=language))
    if claim.found:
        check_notice_misuse(case, at)
    commit()
    return claim


def claims_of_case(case: Case) -> list[WrongfulNoticeClaim]:
    return list(db.session.scalars(select(WrongfulNoticeClaim).where(WrongfulNoticeClaim.case_id == case.id)))


def claim_json(claim: WrongfulNoticeClaim) -> dict[str, Any]:
    return {
        "id": claim.id,
        "case_id": claim.case_id,
        "case_reference": claim.case.reference,
        "jurisdiction": claim.case.jurisdiction,
        "seller": claim.seller.name,
        "notifier": claim.notifier.name,
        "grounds": claim.grounds,
        "language": claim.language,
        "loss_amount": claim.loss_amount,
        "currency": claim.currency,
        "status": claim.status,
        "decider_role": claim.decider_role or None,
        "reasons": claim.reasons or None,
        "reasons_language": claim.reasons_language or None,
        "consequence": claim.consequence or None,
        "claimed_at": claim.created_at.isoformat(),
        "decided_at": claim.decided_at.isoformat() if claim.decided_at else None,
    }


# --- repeat infringers ---------------------------------------------------------------------------------


# The statements of the repeat-infringer count, read at each strike, built once like those of ``_facts``.
_IN_FORCE = select(AccountMeasure).where(
    AccountMeasure.party_id == bindparam("party_id"),
    AccountMeasure.policy == "repeat_infringer",
    AccountMeasure.jurisdiction == bindparam("key"),
    AccountMeasure.kind == bindparam("kind"),
    AccountMeasure.status == MeasureStatus.IN_FORCE,
)
_STRIKE_PAGE = (
    select(Case)
    .join(StrikeGivingCase, StrikeGivingCase.case_id == Case.id)
    .where(
        StrikeGivingCase.seller_party_id == bindparam("party_id"), StrikeGivingCase.last_event_at >= bindparam("since")
    )
    .order_by(StrikeGivingCase.last_event_at.desc(), StrikeGivingCase.case_id.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)


def _upsert_into_strike_index(insert_into) -> Any:
    upsert = insert_into(StrikeGivingCase.__table__)
    return upsert.on_conflict_do_update(
        index_elements=["case_id"], set_={"last_event_at": upsert.excluded.last_event_at}
    )


_STRIKE_INDEX_UPSERT = {
    "postgresql": _upsert_into_strike_index(postgresql_insert),
    "sqlite": _upsert_into_strike_index(sqlite_insert),
}


def _in_force(party_id: int, key: str, kind: str) -> AccountMeasure | None:
    return db.session.scalar(_IN_FORCE, {"party_id": party_id, "key": key, "kind": kind})


def _strike_page(party_id: int, key: str, at: datetime, limit: int, offset: int = 0) -> list[Case]:
    """A page of the seller's cases with a strike-giving event within the strike expiry (a court's decision, or a
    change of state for an uncontested cause), the latest event first: read through the strike index, by seller
    and time, never through the events of the seller's other cases."""
    since = at - timedelta(days=policy().repeat[key].strike_expiry_days)
    params = {"party_id": party_id, "since": since, "limit": limit, "offset": offset}
    return list(db.session.scalars(_STRIKE_PAGE, params))


def _index_strike_event(case: Case, event_at: datetime) -> None:
    """Put ``case`` in its seller's strike index with ``event_at``, the time of its latest strike-giving event on
    the chain (one statement, a row added or moved on)."""
    row = {"case_id": case.id, "seller_party_id": case.respondent_party_id, "last_event_at": event_at}
    db.session.execute(_STRIKE_INDEX_UPSERT[db.session.get_bind().dialect.name], row)


def refill_strike_index() -> int:
    """Fill the strike index again from the timeline, under the policy in force: each seller's case with a court's
    decision or a change of state for a cause ``record.uncontested_causes`` names, at the time of its latest such
    event. Its rows are written as such events are recorded, under the causes counted then: a policy that counts
    another cause (an operator's edit of rules/policy/conduct.yaml) calls for this (``odr conduct
    refill-strike-index``), or the count would not look at the cases struck for that cause before. Committed;
    returns how many cases the index holds."""
    causes = sorted(policy().record.uncontested_causes)
    strike_giving = or_(
        (Event.kind == EventKind.DECISION_FILED.value) & (Event.actor_case_role == CaseRole.COURT.value),
        (Event.kind == EventKind.STATE_CHANGED.value) & Event.payload["cause"].as_string().in_(causes),
    )
    latest = (
        select(Event.case_id, Case.respondent_party_id, func.max(Event.created_at))
        .join(Case, Case.id == Event.case_id)
        .where(strike_giving, Case.respondent_party_id.is_not(None))
        .group_by(Event.case_id, Case.respondent_party_id)
    )
    table = StrikeGivingCase.__table__
    db.session.execute(table.delete())
    db.session.execute(table.insert().from_select(["case_id", "seller_party_id", "last_event_at"], latest))
    count = db.session.scalar(select(func.count()).select_from(table)) or 0
    db.session.commit()
    return count


def active_strikes(
    party: Party,
    key: str,
    at: datetime,
    *,
    enough: int | None = None,
    known: dict[int, CaseFacts] | None = None,
    first: list[Case] | None = None,
) -> list[Strike]:
    """``party``'s strikes as seller under the policy ``key`` that are active at ``at``, by case, as in
    ``record_of(party, at).active_strikes``: only its cases with a strike-giving event within the strike expiry
    are read (``_strike_page``), never its whole history. With ``enough``, the count stops there (newest cases
    first): what a strike count calls for does not change above the threshold. ``known``: facts of cases already
    read in this transaction, not read again; ``first``: the first page of cases (``enough`` of them), already
    read."""
    known = known or {}
    strikes: list[Strike] = []
    step, read = enough or 500, 0
    while True:
        cases = first if read == 0 and first is not None else _strike_page(party.id, key, at, step, read)
        read += len(cases)
        under_policy = [c for c in cases if policy_key(c.jurisdiction) == key]
        facts = _facts([c for c in under_policy if c.id not in known])
        for case in under_policy:
            strike = strike_of(known.get(case.id) or facts[case.id])
            if strike is not None and strike.active(at):
                strikes.append(strike)
        if len(cases) < step or (enough is not None and len(strikes) >= enough):
            break
    return sorted(strikes, key=lambda s: s.case.id)


def check_repeat_infringer(
    case: Case,
    at: datetime,
    fact: CaseFacts | None = None,
    *,
    known: dict[int, CaseFacts] | None = None,
    first: list[Case] | None = None,
) -> AccountMeasure | None:
    """After an outcome in ``case``: count its seller's active strikes under the case's policy and act at the
    threshold (or warn where the policy warns first). Runs in the caller's transaction. ``known`` and ``first``:
    facts and the first page of the seller's strike cases already read (``active_strikes``)."""
    fact = fact or case_facts(case)
    known = {**(known or {}), case.id: fact}
    strike = strike_of(fact)
    if strike is None or not strike.active(at):
        return None  # this outcome gives no strike, so the seller's count cannot have grown: no record to compute
    party = case.respondent
    key = policy_key(case.jurisdiction)
    rules: RepeatInfringerRules = policy().repeat[key]
    # Counted up to the threshold first (what is due is the same above it); all of them only for a new measure.
    due = rules.due(len(active_strikes(party, key, at, enough=rules.threshold, known=known, first=first)))
    if due is None or _in_force(party.id, key, due) is not None:
        return None
    if due == "warning" and _in_force(party.id, key, rules.measure) is not None:
        return None
    if due != "warning" and _in_force(party.id, key, "terminate_account") is not None:
        return None
    counted = active_strikes(party, key, at, known=known)
    ends_at = None
    if due == "suspend_account":
        ends_at = at + timedelta(days=rules.suspension_days or 0)
    elif due == "warning":
        ends_at = at + timedelta(days=rules.strike_expiry_days)
    measure = AccountMeasure(
        party_id=party.id,
        policy="repeat_infringer",
        kind=due,
        jurisdiction=key,
        case_id=case.id,
        starts_at=at,
        ends_at=ends_at,
        reasons={
            "policy": "repeat_infringer",
            "policy_version": policy().version,
            "active_strikes": len(counted),
            "threshold": rules.threshold,
            "warning_at": rules.warning_at,
            "strike_expiry_days": rules.strike_expiry_days,
            "strikes": [
                {"case_reference": s.case.reference, "ground": s.ground, "at": s.at.isoformat()} for s in counted
            ],
            "citation": rules.citation.as_dict(),
            "automated": True,
            "appeal": "The seller may appeal once; an administrator decides with reasons.",
        },
    )
    db.session.add(measure)
    db.session.flush()
    events.record(
        case,
        EventKind.CONDUCT_WARNING_ISSUED if due == "warning" else EventKind.ACCOUNT_MEASURE_ORDERED,
        at,
        payload={"conduct_measure_id": measure.id, "kind": due, "active_strikes": len(counted)},
    )
    serve_measure(measure, at)
    if due != "warning":
        account_measure_required.publish(
            case,
            at=at,
            kind=due,
            party=party,
            ground=f"repeat_infringer {rules.citation.instrument}",
            details={"conduct_measure_id": measure.id, "until": ends_at.isoformat() if ends_at else None},
        )
    return measure


@state_entered.in_transaction.connect
def _on_state_entered(case: Case, *, at: datetime, recorded_at: datetime, cause: str = "", **_data) -> None:
    if cause == "notice":
        return  # a notice just opened has no outcome: no strike, no verdict on it (nothing to read)
    key, first, indexed = policy_key(case.jurisdiction), None, None
    if case.respondent_party_id is not None and cause in policy().record.uncontested_causes:
        # A period run out uncontested is a strike-giving event (its time on the chain: ``recorded_at``), and a
        # strike on the seller, whose count reads their newest strike cases: this case is indexed first, then
        # those are read, so that their facts and this case's come in one read of the timeline.
        indexed = recorded_at
        _index_strike_event(case, indexed)
        first = _strike_page(case.respondent_party_id, key, at, policy().repeat[key].threshold)
    others = [c for c in first or () if c.id != case.id and policy_key(c.jurisdiction) == key]
    facts = _facts([case, *others])  # read once for both checks and the strike count
    fact = facts[case.id]
    if fact.strike_event_at is not None and fact.strike_event_at >= at and fact.strike_event_at != indexed:
        # Recorded in this act (no event of it is older than ``at``) and not indexed yet: a court's decision.
        _index_strike_event(case, fact.strike_event_at)
    if case.respondent_party_id is not None:
        check_repeat_infringer(case, at, fact, known=facts, first=first)
    if case.claimant_party_id is not None:
        check_notice_misuse(case, at, fact)


# --- misuse of the notice system (DSA Art. 23(2)-(3)) --------------------------------------------------


_MISUSE_IN_FORCE = (  # built once: every notice asks
    select(AccountMeasure)
    .where(
        AccountMeasure.party_id == bindparam("party_id"),
        AccountMeasure.policy == "notice_misuse",
        AccountMeasure.kind == bindparam("kind"),
        AccountMeasure.status == MeasureStatus.IN_FORCE,
        or_(AccountMeasure.ends_at.is_(None), AccountMeasure.ends_at > bindparam("at")),
    )
    .order_by(AccountMeasure.id.desc())
)


def _misuse_in_force(party_id: int, kind: str, at: datetime) -> AccountMeasure | None:
    return db.session.scalar(_MISUSE_IN_FORCE, {"party_id": party_id, "kind": kind, "at": at})


def misuse_counts(party: Party, at: datetime) -> dict[str, int]:
    """The notifier's notices filed within the window, and how many were manifestly unfounded or malicious."""
    rules = policy()
    window = rules.misuse["default"].window_days
    # Only a case with an outcome can have a verdict on its notice (a court's or a neutral's decision, a finding
    # on a wrongful-notice claim): the others are counted, not read, so a platform's thousands cost one count.
    filed, with_outcomes = _filed_since(party, at - timedelta(days=window))
    verdicts = [_verdict_on_notice(fact) for fact in _facts(with_outcomes).values()]
    return {
        "filed": filed,
        "unfounded": verdicts.count("unfounded"),
        "malicious": verdicts.count("malicious"),
        "window_days": window,
    }


def _verdict_on_notice(fact: CaseFacts) -> str | None:
    """ "malicious" or "unfounded" where the case's outcome says so of its notice; None otherwise."""
    if fact.finding is not None and fact.finding.status == ClaimStatus.MALICIOUS:
        return "malicious"
    if (
        fact.court_outcome in policy().record.rejected_outcomes
        or fact.evaluation_side == "respondent"
        or (fact.finding is not None and fact.finding.status == ClaimStatus.ERRONEOUS)
    ):
        return "unfounded"
    return None


def check_notice_misuse(case: Case, at: datetime, fact: CaseFacts | None = None) -> AccountMeasure | None:
    """After an outcome against the notifier of ``case``: warn the first time the Art. 23(3) criteria are
    met; suspend the processing of its notices if they are met again by a further unfounded notice."""
    if _verdict_on_notice(fact or case_facts(case)) is None:
        return None  # nothing against this notice, so the notifier's counts cannot have grown
    party = case.claimant
    rules = policy().misuse["default"]
    counts = misuse_counts(party, at)
    if not rules.meets(counts["unfounded"], counts["malicious"], counts["filed"]):
        return None
    if _misuse_in_force(party.id, "suspend_notice_processing", at) is not None:
        return None
    warning = _misuse_in_force(party.id, "warning", at)
    bad = counts["unfounded"] + counts["malicious"]
    if warning is not None and bad <= warning.reasons.get("unfounded", 0) + warning.reasons.get("malicious", 0):
        return None  # warned, and nothing new since
    kind = "warning" if warning is None else "suspend_notice_processing"
    days = rules.warning_valid_days if kind == "warning" else rules.suspension_days
    measure = AccountMeasure(
        party_id=party.id,
        policy="notice_misuse",
        kind=kind,
        jurisdiction="default",
        case_id=case.id,
        starts_at=at,
        ends_at=at + timedelta(days=days),
        reasons={
            "policy": "notice_misuse",
            "policy_version": policy().version,
            **counts,
            "minimum_unfounded": rules.minimum_unfounded,
            "minimum_proportion": rules.minimum_proportion,
            "malicious_weight": rules.malicious_weight,
            "warning_id": warning.id if warning is not None else None,
            "citation": rules.citation.as_dict(),
            "automated": True,
            "appeal": "The notifier may appeal once; an administrator decides with reasons.",
        },
    )
    db.session.add(measure)
    db.session.flush()
    events.record(
        case,
        EventKind.CONDUCT_WARNING_ISSUED if kind == "warning" else EventKind.NOTICE_PROCESSING_SUSPENDED,
        at,
        payload={"conduct_measure_id": measure.id, "kind": kind, "policy": "notice_misuse"},
    )
    serve_measure(measure, at)
    return measure


def notice_processing_suspension(account: Account, at: datetime | None = None) -> AccountMeasure | None:
    """The suspension of the processing of this notifier's notices in force at ``at`` (Art. 23(2)), if any."""
    if account.party_id is None:
        return None
    suspension = _misuse_in_force(account.party_id, "suspend_notice_processing", at or utcnow())
    return suspension if suspension is not None and suspension.ends_at is not None else None


@notice_screening.in_transaction.connect
def _screen_notice(account: Account, *, at: datetime, **_data) -> None:
    """A notifier whose notices' processing is suspended files none until the suspension ends."""
    check_notice_processing(account, at)


def check_notice_processing(account: Account, at: datetime, *, complaint: bool = False) -> None:
    """Refuse a notice, or a complaint by a notifier (DSA Art. 23(2): the processing of notices and complaints),
    while the processing of that notifier's notices is suspended; the suspension's statement of reasons is the
    one shown in the notifier's record, and its appeal is the same."""
    suspension = notice_processing_suspension(account, at)
    if suspension is None or suspension.ends_at is None:
        return
    date = suspension.ends_at.strftime("%Y-%m-%d")
    if complaint:
        message = _(
            "The processing of your notices and complaints is suspended until %(date)s for frequently submitting "
            "manifestly unfounded notices. Your record shows the statement of reasons and how to appeal.",
            date=date,
        )
    else:
        message = _(
            "The processing of your notices is suspended until %(date)s for frequently submitting manifestly "
            "unfounded notices. Your record shows the statement of reasons and how to appeal.",
            date=date,
        )
    raise NotAllowed(
        message,
        code="notice_processing_suspended",
        details={"conduct_measure_id": suspension.id, "until": suspension.ends_at.isoformat(), **suspension.reasons},
    )


# --- account measures: appeal and expiry ----------------------------------------------------------------


def measure_for(account: Account, measure_id: int) -> AccountMeasure:
    measure = db.session.get(AccountMeasure, measure_id)
    if measure is None or not (account.role == Role.ADMIN or account.party_id == measure.party_id):
        raise NotFound(_("This measure does not exist, or you may not see it."))
    return measure


def do_appeal(account: Account, measure_id: int, text, at: datetime | None = None) -> AccountMeasure:
    """The seller appeals a measure in force on its account (once)."""
    measure = measure_for(account, measure_id)
    if account.party_id != measure.party_id:
        raise Forbidden(_("Only the account concerned can appeal this measure."))
    if measure.status != MeasureStatus.IN_FORCE or measure.appealed_at is not None:
        raise NotAllowed(_("This measure is not in force or has already been appealed."))
    fields: dict[str, str] = {}
    appeal = clean_text(text, fields, "appeal", max_length=20000)
    if fields:
        raise ValidationFailed(_("Say why the measure should be lifted."), fields)
    measure.appeal_text = appeal
    measure.appealed_at = at or utcnow()
    if measure.case is not None:
        events.record(
            measure.case,
            EventKind.ACCOUNT_MEASURE_APPEALED,
            measure.appealed_at,
            actor=account,
            role=CaseRole.CLAIMANT if measure.policy == "notice_misuse" else CaseRole.RESPONDENT,
            payload={"conduct_measure_id": measure.id},
        )
    commit()
    return measure


def pending_appeals(account: Account) -> list[AccountMeasure]:
    return list(db.session.scalars(pending_appeals_query(account).order_by(AccountMeasure.appealed_at)))


def pending_appeals_query(account: Account) -> Select[AccountMeasure]:
    """The appeals awaiting a decision, unordered, for a page of them (``odr.pagination.keyset``)."""
    if account.role != Role.ADMIN:
        raise Forbidden(_("Only administrators decide appeals."))
    return select(AccountMeasure).where(
        AccountMeasure.appealed_at.is_not(None),
        AccountMeasure.appeal_decision == "",
        AccountMeasure.status == MeasureStatus.IN_FORCE,
    )


def _end(measure: AccountMeasure, status: MeasureStatus, at: datetime, actor: Account | None) -> None:
    measure.status = status.value
    measure.closed_at = at
    if measure.case is None:
        return
    serve_measure(measure, at)
    events.record(
        measure.case,
        EventKind.ACCOUNT_MEASURE_ENDED,
        at,
        actor=actor,
        role=CaseRole.ADMIN if actor is not None else CaseRole.SYSTEM,
        payload={"conduct_measure_id": measure.id, "status": status.value},
    )
    if measure.kind in ("suspend_account", "terminate_account"):
        account_measure_required.publish(
            measure.case,
            at=at,
            kind="reinstate_account",
            party=measure.party,
            ground=f"{measure.policy} {status.value}",
            details={"conduct_measure_id": measure.id, "until": None},
        )


def do_decide_appeal(account: Account, measure_id: int, lift, reasons, at: datetime | None = None) -> AccountMeasure:
    """An administrator (not the automated count) decides the appeal; lifting it reinstates the account."""
    if account.role != Role.ADMIN:
        raise Forbidden(_("Only administrators decide appeals."))
    measure = db.session.scalar(select(AccountMeasure).where(AccountMeasure.id == measure_id).with_for_update())
    if measure is None:
        raise NotFound(_("This measure does not exist, or you may not see it."))
    if measure.appealed_at is None or measure.appeal_decision or measure.status != MeasureStatus.IN_FORCE:
        raise NotAllowed(_("There is no open appeal against this measure."))
    fields: dict[str, str] = {}
    if not isinstance(lift, bool):
        fields["decision"] = _("Say whether the measure is lifted or upheld.")
    text = clean_text(reasons, fields, "reasons", max_length=20000)
    if fields:
        raise ValidationFailed(_("Please correct the marked fields."), fields)
    at = at or utcnow()
    measure.appeal_decision = "lifted" if lift else "upheld"
    measure.appeal_reasons = text
    measure.appeal_decided_by_id = account.id
    measure.appeal_decided_at = at
    if lift:
        _end(measure, MeasureStatus.LIFTED_ON_APPEAL, at, account)
    commit()
    return measure


@periodic_job("conduct_expiry", "End account suspensions and warnings whose period ran out; reinstate the accounts")
def sweep_expired(now: datetime | None = None) -> int:
    """End every suspension or warning whose period ran out (idempotent: a conditional claim per row)."""
    now = now or utcnow()
    ended = 0
    due = db.session.scalars(
        select(AccountMeasure.id).where(AccountMeasure.status == MeasureStatus.IN_FORCE, AccountMeasure.ends_at < now)
    ).all()
    for measure_id in due:
        measure = db.session.scalar(
            select(AccountMeasure)
            .where(AccountMeasure.id == measure_id, AccountMeasure.status == MeasureStatus.IN_FORCE)
            .with_for_update()
        )
        if measure is None:
            db.session.rollback()
            continue
        _end(measure, MeasureStatus.EXPIRED, measure.ends_at or now, None)
        commit()
        ended += 1
    return ended


MEASURE_ACTS = {
    "warning": "conduct_warning",
    "suspend_notice_processing": "notice_processing_suspended",
    "suspend_account": "account_measure",
    "terminate_account": "account_measure",
}


def serve_measure(measure: AccountMeasure, at: datetime) -> None:
    """Deliver a measure, or its end, to the party it concerns (the notifier for misuse of the notice system,
    the seller otherwise), in that party's language, with its statement of reasons and the appeal."""
    if measure.case is None:
        return
    role = CaseRole.CLAIMANT if measure.policy == "notice_misuse" else CaseRole.RESPONDENT
    act = MEASURE_ACTS[measure.kind] if measure.status == MeasureStatus.IN_FORCE else "account_measure_ended"
    payload = {k: v for k, v in measure_json(measure).items() if k != "appeal"}
    serve(measure.case, act, at, data={"measure": payload, "reference": measure.case.reference}, only=frozenset({role}))


def measure_json(measure: AccountMeasure) -> dict[str, Any]:
    return {
        "id": measure.id,
        "policy": measure.policy,
        "kind": measure.kind,
        "jurisdiction": measure.jurisdiction,
        "case_reference": measure.case.reference if measure.case else None,
        "status": measure.status,
        "starts_at": measure.starts_at.isoformat(),
        "ends_at": measure.ends_at.isoformat() if measure.ends_at else None,
        "reasons": measure.reasons,
        "appeal": {
            "filed_at": measure.appealed_at.isoformat() if measure.appealed_at else None,
            "text": measure.appeal_text or None,
            "decision": measure.appeal_decision or None,
            "reasons": measure.appeal_reasons or None,
            "decided_at": measure.appeal_decided_at.isoformat() if measure.appeal_decided_at else None,
        },
    }


def measure_title(kind: str) -> str:
    return str(MEASURE_TITLES.get(kind, kind))


def strike_ground_title(ground: str) -> str:
    return str(STRIKE_GROUNDS.get(ground, ground))


def measure_status_title(status: str) -> str:
    return str(MEASURE_STATUS_TITLES[MeasureStatus(status)])


# --- trusted flaggers (DSA Art. 22) and the good-faith lane ------------------------------------------------

LANES = {
    "trusted_flagger": _l("Trusted flagger"),
    "good_faith": _l("Good-faith notifier"),
    "standard": _l("Standard"),
}
LANE_ORDER = {"trusted_flagger": 0, "good_faith": 1, "standard": 2}
RIGHT_TYPES = ("trademark", "copyright", "patent", "design")


def _admin(account: Account) -> None:
    if account.role != Role.ADMIN:
        raise Forbidden(_("Only administrators keep the trusted flaggers registry."))


def _day(raw, fields: dict, name: str):
    from datetime import date

    try:
        return date.fromisoformat(str(raw or "").strip())
    except ValueError:
        fields[name] = _("Enter a date as YYYY-MM-DD.")
        return None


def do_register_trusted_flagger(account: Account, data: dict) -> TrustedFlagger:
    """Record a Digital Services Coordinator's award of trusted-flagger status to an organisation here."""
    _admin(account)
    rules = policy().trusted_flaggers
    fields: dict[str, str] = {}
    party = db.session.get(Party, data.get("party_id")) if isinstance(data.get("party_id"), int) else None
    if party is None:
        fields["party_id"] = _("Name the organisation on this platform that holds the status.")
    name = clean_text(data.get("name"), fields, "name", max_length=300)
    state = str(data.get("member_state") or "").strip().upper()
    if state not in rules.member_states:
        fields["member_state"] = _("Name the Member State of the awarding Digital Services Coordinator.")
    raw_areas = data.get("areas")
    areas = [a for a in raw_areas if isinstance(a, str)] if isinstance(raw_areas, list) else []
    if not areas or len(areas) != len(raw_areas or []) or not set(areas) <= set(RIGHT_TYPES):
        fields["areas"] = _("Name the areas the award covers: %(areas)s.", areas=", ".join(RIGHT_TYPES))
    reference = clean_text(data.get("reference"), fields, "reference", max_length=300)
    awarded = _day(data.get("awarded_on"), fields, "awarded_on")
    source = clean_text(data.get("source"), fields, "source", max_length=2000)
    if source and not source.startswith("https://"):
        fields["source"] = _("Give the address (https://) where the award is published.")
    if fields or party is None:
        raise ValidationFailed(_("Please correct the marked fields."), fields)
    flagger = TrustedFlagger(
        party_id=party.id,
        name=name,
        member_state=state,
        areas=sorted(set(areas)),
        reference=reference,
        awarded_on=awarded,
        source=source,
        recorded_by_id=account.id,
    )
    db.session.add(flagger)
    commit()
    return flagger


def do_revoke_trusted_flagger(account: Account, flagger_id: int, data: dict) -> TrustedFlagger:
    """The status was revoked or suspended (Art. 22(6)-(7)): from this day the notices are ordinary again."""
    _admin(account)
    flagger = db.session.get(TrustedFlagger, flagger_id)
    if flagger is None:
        raise NotFound(_("This registry entry does not exist."))
    fields: dict[str, str] = {}
    revoked = _day(data.get("revoked_on"), fields, "revoked_on")
    if fields:
        raise ValidationFailed(_("Please correct the marked fields."), fields)
    flagger.revoked_on = revoked
    commit()
    return flagger


def trusted_flaggers() -> list[TrustedFlagger]:
    """The registry, public: whose notices are prioritised, and on what award."""
    return list(db.session.scalars(select(TrustedFlagger).order_by(TrustedFlagger.name, TrustedFlagger.id)))


def trusted_flagger_for(case: Case, at: datetime) -> TrustedFlagger | None:
    """The award under which this case's notice carries trusted-flagger status, if any."""
    if case.jurisdiction not in policy().trusted_flaggers.jurisdictions:
        return None
    day = at.date()
    for flagger in db.session.scalars(select(TrustedFlagger).where(TrustedFlagger.party_id == case.claimant_party_id)):
        if flagger.in_force(day) and case.right_type.value in flagger.areas:
            return flagger
    return None


def trusted_flagger_json(flagger: TrustedFlagger) -> dict[str, Any]:
    return {
        "id": flagger.id,
        "party_id": flagger.party_id,
        "name": flagger.name,
        "member_state": flagger.member_state,
        "areas": flagger.areas,
        "reference": flagger.reference,
        "awarded_on": flagger.awarded_on.isoformat(),
        "source": flagger.source,
        "revoked_on": flagger.revoked_on.isoformat() if flagger.revoked_on else None,
    }


def good_faith_standing(party: Party, at: datetime | None = None) -> dict[str, Any]:
    """Where a notifier stands against the good-faith criteria, as it is shown to the notifier."""
    at = at or utcnow()
    rules = policy().good_faith
    # Counted, and only the cases with an outcome read: a platform's thousands of notices are not loaded at each.
    filed, with_outcomes = _filed_since(party, at - timedelta(days=rules.window_days))
    facts = _facts(with_outcomes)
    inaccurate = malicious = 0
    for fact in facts.values():
        if fact.finding is not None and fact.finding.status == ClaimStatus.MALICIOUS:
            malicious += 1
        if (
            fact.withdrawn_at is not None
            or fact.counter_notice_held_at is not None
            or fact.court_outcome in policy().record.rejected_outcomes
            or fact.evaluation_side == "respondent"
            or (fact.finding is not None and fact.finding.found)
        ):
            inaccurate += 1
    return {
        "qualifies": rules.qualifies(filed, inaccurate, malicious),
        "filed": filed,
        "accurate": filed - inaccurate,
        "malicious": malicious,
        "window_days": rules.window_days,
        "minimum_notices": rules.minimum_notices,
        "minimum_accuracy": rules.minimum_accuracy,
        "citation": rules.citation.as_dict(),
    }


def lane_of(case: Case, at: datetime, standing: dict[int, bool] | None = None) -> tuple[str, TrustedFlagger | None]:
    """The lane of a case's notice; ``standing`` caches each notifier's good-faith answer across a queue."""
    flagger = trusted_flagger_for(case, at)
    if flagger is not None:
        return "trusted_flagger", flagger
    standing = {} if standing is None else standing
    if case.claimant_party_id not in standing:
        standing[case.claimant_party_id] = good_faith_standing(case.claimant, at)["qualifies"]
    return ("good_faith" if standing[case.claimant_party_id] else "standard"), None


@state_entered.in_transaction.connect
def _mark_lane(case: Case, *, at: datetime, previous: str, state: str, cause: str, **_data) -> None:
    """A new notice is marked with its lane on the timeline; the lane orders queues and changes no period."""
    if cause != "notice":
        return
    lane, flagger = lane_of(case, at)
    if lane != "standard":
        events.record(
            case,
            EventKind.NOTICE_LANE_SET,
            at,
            payload={
                "lane": lane,
                "trusted_flagger": trusted_flagger_json(flagger) if flagger is not None else None,
                "citation": (
                    policy().trusted_flaggers.citation if flagger is not None else policy().good_faith.citation
                ).as_dict(),
            },
        )


@dataclass
class QueueEntry:
    case: Case
    lane: str
    flagger: TrustedFlagger | None
    health_safety: bool = False  # on the health-and-safety fast track
    triage: NoticeTriage | None = None

    @property
    def lane_title(self) -> str:
        return str(LANES[self.lane])


def health_safety_fast_track() -> Select:
    """The ids of the cases on the health-and-safety fast track, for a query that marks or orders cases by it."""
    return select(HealthSafetyScreen.case_id).where(HealthSafetyScreen.status != ScreenStatus.CLEARED)


def health_safety_cases(case_ids: list[int]) -> set[int]:
    """Which of these cases are on the health-and-safety fast track."""
    if not case_ids:
        return set()
    return set(db.session.scalars(health_safety_fast_track().where(HealthSafetyScreen.case_id.in_(case_ids))))


def queue_marks(case_ids: list[int]) -> tuple[set[int], dict[int, NoticeTriage]]:
    """For a queue: which cases are on the health-and-safety fast track, and each case's triage score."""
    if not case_ids:
        return set(), {}
    fast = health_safety_cases(case_ids)
    scores = {t.case_id: t for t in db.session.scalars(select(NoticeTriage).where(NoticeTriage.case_id.in_(case_ids)))}
    return fast, scores


def notice_queue(account: Account, at: datetime | None = None, limit: int = 200) -> list[QueueEntry]:
    """Open cases for reviewers and mediators: health-and-safety cases first, then trusted flaggers' notices,
    good-faith notifiers' and the rest; within each, the higher triage score first, then the oldest. The
    order only says what to look at first."""
    if account.role not in (Role.ADMIN, Role.MEDIATOR):
        raise Forbidden(_("Only reviewers and mediators see the queue of notices."))
    at = at or utcnow()
    query = select(Case).where(Case.state.not_in(sorted(final_states()))).order_by(Case.created_at, Case.id)
    if account.role == Role.MEDIATOR:
        query = query.where(Case.mediator_id == account.id)
    standing: dict[int, bool] = {}
    found = list(db.session.scalars(query.limit(limit)))
    fast, scores = queue_marks([c.id for c in found])
    entries = [
        QueueEntry(case, *lane_of(case, at, standing), health_safety=case.id in fast, triage=scores.get(case.id))
        for case in found
    ]
    return sorted(entries, key=queue_key)


def queue_key(e: QueueEntry) -> tuple:
    return (
        not e.health_safety,
        LANE_ORDER[e.lane],
        -(e.triage.score if e.triage is not None else 0),
        e.case.created_at,
        e.case.id,
    )
