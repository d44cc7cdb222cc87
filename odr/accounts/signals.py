"""What the accounts domain announces, for the domains above it (see odr/domain_events.py).

Subscribers: notifications (``link_issued``, in the transaction: the e-mail joins the outbox) and cases
(``invitation_claimed``, in the transaction: each case of the party records that its seller joined).
"""

from __future__ import annotations

from odr.domain_events import DomainEvent

# sender: the Account; data: purpose (LinkPurpose), email (where it goes), url (the one-time link), expires_at, hours,
# locale (the account's language)
link_issued = DomainEvent("link-issued", "A one-time link was issued to an account's e-mail address.")
# sender: the Account that joined; data: party (the Party a notice named and invited), how ("sign_up", "code",
# "verified_email"), at
invitation_claimed = DomainEvent("invitation-claimed", "An account joined the party a notice invited.")
