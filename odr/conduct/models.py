"""What the conduct domain keeps: refused notices, wrongful-notice claims and findings, standing measures.

Records and strikes are not stored: they are computed from the cases' outcomes each time they are read
(``services.record_of``), so a later outcome (a counter-notice that held, a finding) changes them at once. Only
where to look is kept: a seller's cases with a strike-giving event (``StrikeGivingCase``).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from odr.accounts.models import Account, Party
from odr.cases.models import Case
from odr.extensions import db
from odr.extensions import lazy_gettext as _l
from odr.models_base import UTCDateTime, utcnow


class NoticeRefusal(db.Model):  # type: ignore[name-defined,misc]
    """A notice refused as incomplete: nothing of it is kept but who filed it, when, and which fields failed."""

    __tablename__ = "conduct_notice_refusals"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    jurisdiction: Mapped[str] = mapped_column(String(8), default="")
    fields: Mapped[list] = mapped_column(JSON, default=list)
    refused_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClaimStatus(enum.StrEnum):
    CLAIMED = "claimed"
    ERRONEOUS = "erroneous"  # the notice was wrong
    MALICIOUS = "malicious"  # the notice was wrong and sent in bad faith / knowingly
    DISMISSED = "dismissed"  # the notice was not shown to be wrong

    @property
    def label(self) -> str:
        return str(CLAIM_STATUS_TITLES[self])


CLAIM_STATUS_TITLES = {
    ClaimStatus.CLAIMED: _l("Claimed, awaiting a decision"),
    ClaimStatus.ERRONEOUS: _l("Found erroneous"),
    ClaimStatus.MALICIOUS: _l("Found malicious"),
    ClaimStatus.DISMISSED: _l("Claim dismissed"),
}


class WrongfulNoticeClaim(db.Model):  # type: ignore[name-defined,misc]
    """A seller's claim that a notice against it was wrong, and the finding on it."""

    __tablename__ = "conduct_wrongful_notice_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    seller_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    notifier_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    claimed_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    grounds: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    loss_amount: Mapped[str] = mapped_column(String(24))  # decimal as text, two places
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default=ClaimStatus.CLAIMED.value, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    decider_role: Mapped[str] = mapped_column(String(16), default="")
    reasons: Mapped[str] = mapped_column(Text, default="")
    reasons_language: Mapped[str] = mapped_column(String(8), default="")
    # What the finding entails under the case's law: the multiplier, the amount it names, the citation.
    consequence: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship()
    seller: Mapped[Party] = relationship(foreign_keys=[seller_party_id])
    notifier: Mapped[Party] = relationship(foreign_keys=[notifier_party_id])
    decided_by: Mapped[Account | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def status_label(self) -> str:
        return ClaimStatus(self.status).label

    @property
    def found(self) -> bool:
        return self.status in (ClaimStatus.ERRONEOUS, ClaimStatus.MALICIOUS)


class MeasureStatus(enum.StrEnum):
    IN_FORCE = "in_force"
    LIFTED_ON_APPEAL = "lifted_on_appeal"
    EXPIRED = "expired"


class AccountMeasure(db.Model):  # type: ignore[name-defined,misc]
    """A measure on a whole account under the conduct policy: a warning, a suspension or a termination.

    Each carries its statement of reasons (the facts counted, the threshold, the rule) and may be appealed
    once; a suspension ends at ``ends_at`` (``services.sweep_expired`` lifts it at the platform).
    """

    __tablename__ = "conduct_account_measures"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    policy: Mapped[str] = mapped_column(String(32))  # repeat_infringer
    kind: Mapped[str] = mapped_column(String(32))  # warning | suspend_account | terminate_account
    jurisdiction: Mapped[str] = mapped_column(String(8))
    # The case whose outcome reached the threshold: its measures channel carries the order to the platform.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    reasons: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(24), default=MeasureStatus.IN_FORCE.value, index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    appeal_text: Mapped[str] = mapped_column(Text, default="")
    appealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    appeal_decision: Mapped[str] = mapped_column(String(16), default="")  # upheld | lifted
    appeal_reasons: Mapped[str] = mapped_column(Text, default="")
    appeal_decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    appeal_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    party: Mapped[Party] = relationship()
    case: Mapped[Case | None] = relationship()


class StrikeGivingCase(db.Model):  # type: ignore[name-defined,misc]
    """A seller's case whose timeline holds a strike-giving event (a court's decision, or a change of state for an
    uncontested cause), with the time of the latest: where the repeat-infringer count looks, by seller and time,
    instead of in every case's events. Whether the strike stands (removed, expired) is still read from the
    timeline (``services.strike_of``); a row only says that there is something to read.

    Written where such an event is recorded (``services._on_state_entered``); filled for the cases before it by
    its migration, from the timeline.
    """

    __tablename__ = "conduct_strike_giving_cases"
    # Newest first within a seller's window, the count's order, read from the index alone.
    __table_args__ = (Index("ix_conduct_strike_giving_cases_seller", "seller_party_id", "last_event_at", "case_id"),)

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True, autoincrement=False)
    seller_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    last_event_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TrustedFlagger(db.Model):  # type: ignore[name-defined,misc]
    """An entry of the trusted flaggers registry (DSA Art. 22): an award by a Digital Services Coordinator."""

    __tablename__ = "conduct_trusted_flaggers"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The organisation here whose notices carry the status.
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    member_state: Mapped[str] = mapped_column(String(2))  # of the awarding Digital Services Coordinator
    areas: Mapped[list] = mapped_column(JSON, default=list)  # right types the award covers
    reference: Mapped[str] = mapped_column(String(300))  # the award's reference
    awarded_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(2000))  # where the award is published (the Commission's list)
    revoked_on: Mapped[date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    party: Mapped[Party] = relationship()

    def in_force(self, on: date) -> bool:
        return self.awarded_on <= on and (self.revoked_on is None or on < self.revoked_on)


class ScreenStatus(enum.StrEnum):
    EXPEDITED = "expedited"  # a risk term or category matched: the case is on the fast track
    CLEARED = "cleared"  # a reviewer or the mediator found the match false: the standard procedure again
    CONFIRMED = "confirmed"  # counterfeit health-and-safety goods confirmed with reasons


class HealthSafetyScreen(db.Model):  # type: ignore[name-defined,misc]
    """What the health-and-safety screening found in a notice (rules/policy/health_safety.yaml), and what a
    person later made of it. Kept whatever happens: a cleared match stays on record with its reason."""

    __tablename__ = "conduct_health_safety"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    matches: Mapped[list] = mapped_column(JSON, default=list)  # {term, language, category, where}
    categories: Mapped[list] = mapped_column(JSON, default=list)
    policy_version: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=ScreenStatus.EXPEDITED.value, index=True)
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    provisional_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provisional_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provisional_ended_by: Mapped[str] = mapped_column(String(32), default="")  # cleared | procedure_measure | ...
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")
    account_measure_id: Mapped[int | None] = mapped_column(ForeignKey("conduct_account_measures.id"))

    case: Mapped[Case] = relationship()

    @property
    def provisional_in_force(self) -> bool:
        return self.provisional_from is not None and self.provisional_until is None


class NoticeTriage(db.Model):  # type: ignore[name-defined,misc]
    """The triage score of a new notice (rules/policy/triage.yaml): it orders queues and suggests, never decides."""

    __tablename__ = "conduct_notice_triage"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    score: Mapped[int] = mapped_column(Integer, index=True)  # 0 to 100
    components: Mapped[dict] = mapped_column(JSON, default=dict)  # name -> {value, weight, basis}
    suggestion: Mapped[str] = mapped_column(String(16))  # look_first | in_turn | look_closely
    policy_version: Mapped[str] = mapped_column(String(32))
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
