"""The words every domain shares: the roles a person holds in a case and the kinds of event on its timeline.

One place for both and for their labels, so the case page, the mediator's desk, the court bundle and
the notifications name them the same way. Both enums are ``StrEnum``s: they are stored and exported
as their plain values (``"claimant"``, ``"notice_filed"``), which the event chain and bundles keep.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable

from odr.extensions import lazy_gettext as _l
from odr.extensions import locale_code


def per_locale(label: Callable[[str], str]) -> Callable[[str], str]:
    """A label whose words depend only on its code and the reader's locale, looked up once per locale and code.

    Pages call labels once per row (a role, a state, a language per filing or case), and each lookup through
    Flask-Babel's catalogs costs tens of microseconds; the catalogs do not change while the process runs."""
    known: dict[tuple[str, str], str] = {}

    @functools.wraps(label)
    def remembered(code: str) -> str:
        key = (locale_code(), code)
        try:
            return known[key]
        except KeyError:
            if len(known) > 10_000:  # codes a caller made up (an unknown language tag) must not grow it forever
                known.clear()
            words = known[key] = label(code)
            return words
        except TypeError:  # an unhashable code: nothing to remember
            return label(code)

    return remembered


class CaseRole(enum.StrEnum):
    """A role within one case (not an account's role on the platform)."""

    CLAIMANT = "claimant"  # the right holder who filed the notice
    RESPONDENT = "respondent"  # the seller the notice is about
    MEDIATOR = "mediator"
    NEUTRAL = "neutral"  # the evaluator of a neutral evaluation
    COURT = "court"  # the court the case was exported to
    ADMIN = "admin"
    PLATFORM = "platform"  # the platform client that carries out measures
    SYSTEM = "system"  # the platform itself: timers, automatic steps

    @property
    def label(self) -> str:
        return str(CASE_ROLE_LABELS[self])


PARTY_ROLES = frozenset({CaseRole.CLAIMANT, CaseRole.RESPONDENT})

CASE_ROLE_LABELS = {
    CaseRole.CLAIMANT: _l("Right holder"),
    CaseRole.RESPONDENT: _l("Seller"),
    CaseRole.MEDIATOR: _l("Mediator"),
    CaseRole.NEUTRAL: _l("Neutral"),
    CaseRole.COURT: _l("Court"),
    CaseRole.ADMIN: _l("Administrator"),
    CaseRole.PLATFORM: _l("Platform"),
    CaseRole.SYSTEM: _l("Platform"),
}


@per_locale
def case_role_label(role: str | None) -> str:
    try:
        return CaseRole(role or "").label
    except ValueError:
        return (role or "").replace("_", " ")


class EventKind(enum.StrEnum):
    """What an event on a case's hash-chained timeline records."""

    NOTICE_FILED = "notice_filed"
    RESPONSE_FILED = "response_filed"
    COUNTER_NOTICE_FILED = "counter_notice_filed"
    MESSAGE_FILED = "message_filed"
    CAUCUS_MESSAGE_FILED = "caucus_message_filed"
    CAUCUS_ACTIVITY = "caucus_activity"
    OFFER_FILED = "offer_filed"
    SETTLEMENT_FILED = "settlement_filed"
    DECISION_FILED = "decision_filed"
    REPORT_FILED = "report_filed"
    EVIDENCE_ADDED = "evidence_added"
    STATE_CHANGED = "state_changed"
    DEADLINE_SET = "deadline_set"
    DEADLINE_EXPIRED = "deadline_expired"
    DEADLINE_EXTENDED = "deadline_extended"
    PAUSE_REQUESTED = "pause_requested"
    PAUSE_DECIDED = "pause_decided"
    # An official holiday schedule added as data moved an open deadline, or would have moved one that had passed.
    DEADLINE_MOVED = "deadline_moved"
    DEADLINE_KEPT = "deadline_kept"
    SETTLEMENT_ACCEPTED = "settlement_accepted"
    SETTLEMENT_ACCEPTANCES_VOIDED = "settlement_acceptances_voided"
    AGREEMENT_VERSION_APPROVED = "agreement_version_approved"
    MEDIATOR_ASSIGNED = "mediator_assigned"
    MEDIATOR_ACCEPTED = "mediator_accepted"
    MEDIATOR_DECLINED = "mediator_declined"
    BLIND_BIDDING_OPENED = "blind_bidding_opened"
    BLIND_BID_SUBMITTED = "blind_bid_submitted"
    BLIND_BIDDING_ROUND_CLOSED = "blind_bidding_round_closed"
    BLIND_BIDDING_SETTLED = "blind_bidding_settled"
    BLIND_BIDDING_FAILED = "blind_bidding_failed"
    BLIND_BIDDING_EXPIRED = "blind_bidding_expired"
    EVALUATION_OPENED = "evaluation_opened"
    EVALUATION_DEPOSIT_RECORDED = "evaluation_deposit_recorded"
    EVALUATION_SUBMISSION_FILED = "evaluation_submission_filed"
    EVALUATION_DECIDED = "evaluation_decided"
    MEASURES_ORDERED = "measures_ordered"
    MEASURE_CONFIRMED = "measure_confirmed"
    MEASURE_TAKEN = "measure_taken"
    MEASURE_LIFTED = "measure_lifted"
    STATEMENT_OF_REASONS = "statement_of_reasons"
    STATEMENT_OF_REASONS_UPDATED = "statement_of_reasons_updated"
    NOTICE_AWAITS_DECISION = "notice_awaits_decision"
    NOTICE_PRIORITY_SET = "notice_priority_set"
    NOTICE_DECIDED = "notice_decided"
    COMPLAINT_FILED = "complaint_filed"
    COMPLAINT_DECIDED = "complaint_decided"
    EXPORTED_TO_COURT = "exported_to_court"
    EXPORT_WAITING_FOR_COURT = "export_waiting_for_court"
    EXPORT_DOWNLOADED = "export_downloaded"
    EXPORT_ACKNOWLEDGED = "export_acknowledged"
    DECISION_CARRIED_OUT = "decision_carried_out"
    HUMAN_TRANSLATION_ADDED = "human_translation_added"
    TRANSLATION_FLAGGED = "translation_flagged"
    LINK_CONTESTED = "link_contested"
    LINK_CONTEST_DECIDED = "link_contest_decided"
    ALLIANCE_RECORD_ISSUED = "alliance_record_issued"
    ALLIANCE_RECORD_REVOKED = "alliance_record_revoked"
    WRONGFUL_NOTICE_CLAIMED = "wrongful_notice_claimed"
    WRONGFUL_NOTICE_DECIDED = "wrongful_notice_decided"
    CONDUCT_WARNING_ISSUED = "conduct_warning_issued"
    ACCOUNT_MEASURE_ORDERED = "account_measure_ordered"
    ACCOUNT_MEASURE_APPEALED = "account_measure_appealed"
    ACCOUNT_MEASURE_ENDED = "account_measure_ended"
    NOTICE_PROCESSING_SUSPENDED = "notice_processing_suspended"
    NOTICE_LANE_SET = "notice_lane_set"
    SECURITY_OFFERED = "security_offered"
    SECURITY_DECIDED = "security_decided"
    SECURITY_RELEASED = "security_released"
    TRACK_CHANGED = "track_changed"
    HEALTH_SAFETY_MATCHED = "health_safety_matched"
    HEALTH_SAFETY_CLEARED = "health_safety_cleared"
    PROVISIONAL_MEASURE_ORDERED = "provisional_measure_ordered"
    PROVISIONAL_MEASURE_ENDED = "provisional_measure_ended"
    COUNTERFEIT_CONFIRMED = "counterfeit_confirmed"
    TRIAGE_SCORED = "triage_scored"
    # The seller a notice invited took part: an account joined the respondent party (code or verified address).
    RESPONDENT_JOINED = "respondent_joined"
    # Proof of service: an act served on its addressees, and what then happened to each delivery.
    ACT_SERVED = "act_served"
    DELIVERY_ACCEPTED = "delivery_accepted"
    DELIVERY_REFUSED = "delivery_refused"
    DELIVERY_OPENED = "delivery_opened"
    # A reminder served before a period runs out (a delivery, not an act on the chain).
    DEADLINE_REMINDER = "deadline_reminder"
    MEASURE_REMINDER = "measure_reminder"

    @classmethod
    def filed(cls, filing_kind: str) -> EventKind:
        """The event that records a filing of this kind (``offer`` -> ``offer_filed``)."""
        return cls(f"{filing_kind}_filed")

    @property
    def label(self) -> str:
        return str(EVENT_LABELS[self])


EVENT_LABELS = {
    EventKind.NOTICE_FILED: _l("Notice filed"),
    EventKind.STATE_CHANGED: _l("Stage changed"),
    EventKind.DEADLINE_SET: _l("Deadline set"),
    EventKind.DEADLINE_EXPIRED: _l("Deadline ran out"),
    EventKind.RESPONSE_FILED: _l("Response filed"),
    EventKind.COUNTER_NOTICE_FILED: _l("Counter-notice filed"),
    EventKind.MESSAGE_FILED: _l("Message"),
    EventKind.CAUCUS_MESSAGE_FILED: _l("Private caucus message (content visible only to its participants)"),
    EventKind.CAUCUS_ACTIVITY: _l("Activity in a private caucus (visible only to its participants)"),
    EventKind.OFFER_FILED: _l("Offer"),
    EventKind.SETTLEMENT_FILED: _l("Settlement proposed"),
    EventKind.SETTLEMENT_ACCEPTED: _l("Settlement accepted"),
    EventKind.SETTLEMENT_ACCEPTANCES_VOIDED: _l("Earlier acceptances void: the settlement text changed"),
    EventKind.AGREEMENT_VERSION_APPROVED: _l("Machine-translated version of the agreement approved"),
    EventKind.DECISION_FILED: _l("Decision filed"),
    EventKind.REPORT_FILED: _l("Complaint or lawsuit reported"),
    EventKind.EVIDENCE_ADDED: _l("Evidence added"),
    EventKind.MEDIATOR_ASSIGNED: _l("Mediator assigned"),
    EventKind.MEDIATOR_ACCEPTED: _l("Mediator accepted and declared independence"),
    EventKind.MEDIATOR_DECLINED: _l("Mediator declined"),
    EventKind.BLIND_BIDDING_OPENED: _l("Blind bidding opened"),
    EventKind.BLIND_BID_SUBMITTED: _l("Secret bid submitted"),
    EventKind.BLIND_BIDDING_ROUND_CLOSED: _l("Bidding round closed without settlement"),
    EventKind.BLIND_BIDDING_SETTLED: _l("Settled by blind bidding"),
    EventKind.BLIND_BIDDING_FAILED: _l("Blind bidding ended without settlement"),
    EventKind.BLIND_BIDDING_EXPIRED: _l("Blind bidding closed at its deadline without settlement"),
    EventKind.EVALUATION_OPENED: _l("Neutral evaluation started"),
    EventKind.EVALUATION_DEPOSIT_RECORDED: _l("Evaluation deposit recorded"),
    EventKind.EVALUATION_SUBMISSION_FILED: _l("Evaluation submission filed"),
    EventKind.EVALUATION_DECIDED: _l("Neutral evaluation decided"),
    EventKind.MEASURES_ORDERED: _l("Measures sent to the platform"),
    EventKind.STATEMENT_OF_REASONS: _l("Statement of reasons sent to the seller"),
    EventKind.STATEMENT_OF_REASONS_UPDATED: _l("Statement of reasons updated"),
    EventKind.NOTICE_AWAITS_DECISION: _l("Notice waiting for the platform's decision"),
    EventKind.NOTICE_PRIORITY_SET: _l("Notice from a trusted flagger: decided with priority"),
    EventKind.NOTICE_DECIDED: _l("The platform decided on the notice"),
    EventKind.COMPLAINT_FILED: _l("Internal complaint filed"),
    EventKind.COMPLAINT_DECIDED: _l("Internal complaint decided"),
    EventKind.MEASURE_CONFIRMED: _l("Platform confirmed a measure"),
    EventKind.EXPORTED_TO_COURT: _l("Exported to the court"),
    EventKind.EXPORT_WAITING_FOR_COURT: _l("Export waiting: no court receives this jurisdiction's cases"),
    EventKind.EXPORT_DOWNLOADED: _l("The court downloaded the export"),
    EventKind.EXPORT_ACKNOWLEDGED: _l("The court acknowledged the export"),
    EventKind.DECISION_CARRIED_OUT: _l("The court's decision was carried out"),
    EventKind.DEADLINE_EXTENDED: _l("Deadline extended"),
    EventKind.PAUSE_REQUESTED: _l("Pause of a deadline requested, with proof"),
    EventKind.PAUSE_DECIDED: _l("Request for a pause decided, with reasons"),
    EventKind.DEADLINE_MOVED: _l("Deadline moved: the official holiday calendar changed"),
    EventKind.DEADLINE_KEPT: _l("Deadline left as it was: it had passed when the official holiday calendar changed"),
    EventKind.MEASURE_TAKEN: _l("Measure taken on the listings"),
    EventKind.MEASURE_LIFTED: _l("Measure on the listings lifted"),
    EventKind.HUMAN_TRANSLATION_ADDED: _l("Human translation added"),
    EventKind.TRANSLATION_FLAGGED: _l("Translation reported as wrong"),
    EventKind.LINK_CONTESTED: _l("A link to other accounts was contested"),
    EventKind.RESPONDENT_JOINED: _l("The seller joined the case"),
    EventKind.LINK_CONTEST_DECIDED: _l("The contested link was decided"),
    EventKind.ALLIANCE_RECORD_ISSUED: _l("A finding was shared with the alliance"),
    EventKind.ALLIANCE_RECORD_REVOKED: _l("The finding shared with the alliance was revoked"),
    EventKind.WRONGFUL_NOTICE_CLAIMED: _l("The seller claimed that the notice was wrongful"),
    EventKind.WRONGFUL_NOTICE_DECIDED: _l("Finding on the claim that the notice was wrongful"),
    EventKind.CONDUCT_WARNING_ISSUED: _l("Warning issued under the conduct policy"),
    EventKind.ACCOUNT_MEASURE_ORDERED: _l("Measure on the seller's account ordered (repeat-infringer policy)"),
    EventKind.ACCOUNT_MEASURE_APPEALED: _l("A measure under the conduct policy was appealed"),
    EventKind.ACCOUNT_MEASURE_ENDED: _l("A measure under the conduct policy ended"),
    EventKind.NOTICE_LANE_SET: _l("Notice from a trusted flagger or a good-faith notifier: handled first"),
    EventKind.TRACK_CHANGED: _l("Periods recounted on another track (expedited or standard)"),
    EventKind.HEALTH_SAFETY_MATCHED: _l("Health-and-safety risk found: the case is on the fast track"),
    EventKind.HEALTH_SAFETY_CLEARED: _l("Health-and-safety match cleared: the case is back on the standard procedure"),
    EventKind.PROVISIONAL_MEASURE_ORDERED: _l("Listings taken down provisionally (health and safety)"),
    EventKind.PROVISIONAL_MEASURE_ENDED: _l("The provisional health-and-safety measure ended"),
    EventKind.COUNTERFEIT_CONFIRMED: _l("Counterfeit health-and-safety goods confirmed"),
    EventKind.TRIAGE_SCORED: _l("Triage score computed: it orders the queues and decides nothing"),
    EventKind.NOTICE_PROCESSING_SUSPENDED: _l(
        "Processing of the notifier's notices suspended (misuse of the notice system)"
    ),
    EventKind.SECURITY_OFFERED: _l("The seller offered a security to keep its listings online"),
    EventKind.SECURITY_DECIDED: _l("Decision on the seller's security"),
    EventKind.SECURITY_RELEASED: _l("The seller's security followed the outcome"),
    EventKind.ACT_SERVED: _l("Served on the addressees"),
    EventKind.DELIVERY_ACCEPTED: _l("E-mail accepted by the addressee's mail server"),
    EventKind.DELIVERY_REFUSED: _l("E-mail refused by the addressee's mail server"),
    EventKind.DELIVERY_OPENED: _l("Opened by the addressee"),
    EventKind.DEADLINE_REMINDER: _l("Reminder: a deadline is approaching"),
    EventKind.MEASURE_REMINDER: _l("Reminder: the platform has not confirmed a measure"),
}


@per_locale
def event_label(kind: str) -> str:
    try:
        return EventKind(kind).label
    except ValueError:  # an event written by an older version, under a kind no longer recorded
        return kind.replace("_", " ")
