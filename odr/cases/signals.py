"""What the case domain announces, for the domains above it (see odr/domain_events.py).

Subscribers today: translation (``filing_recorded``, in the transaction: translations are requested),
notifications (``respondent_invited``, in the transaction: the invitation joins the outbox) and
mediation (``settlement_reached``, in the transaction: the agreed measures go to the platform) and
translation again (``participant_joined``, after commit: the filings already there are requested in
the newcomer's language).
"""

from __future__ import annotations

from odr.domain_events import DomainEvent

# sender: the Filing (notice, response, counter-notice, message, offer, settlement, decision)
filing_recorded = DomainEvent("filing-recorded", "A filing was recorded in a case.")
# sender: the Case; data: party (the respondent Party), invitation_code, claimant_name
respondent_invited = DomainEvent("respondent-invited", "A seller without an account is invited to answer a notice.")
# sender: the Case; data: proposal (the settlement Filing both parties accepted), at
settlement_reached = DomainEvent("settlement-reached", "Both parties accepted the same settlement text.")
# sender: the Case, after a participant who reads its filings joined it (a mediator accepted it)
participant_joined = DomainEvent("participant-joined", "A participant who reads the case's filings joined it.")
# sender: the Account whose notice was refused as incomplete; data: jurisdiction, fields (names), at
notice_refused = DomainEvent("notice-refused", "A notice was refused as incomplete; nothing of it was kept.")
# sender: the Account about to file a notice; data: at. A subscriber that refuses raises a ServiceError
# (the conduct domain: the processing of this notifier's notices is suspended), and nothing is written.
notice_screening = DomainEvent("notice-screening", "A notice is about to be accepted for processing.")
