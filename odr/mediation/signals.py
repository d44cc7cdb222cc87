"""What mediation announces, for the domains above it (see odr/domain_events.py).

Subscribers today: webhooks (``measures_ordered``, in the transaction: one signed delivery per
platform endpoint, sent by the periodic job).
"""

from __future__ import annotations

from odr.domain_events import DomainEvent

# sender: the Case; data: measures (list of Measure, flushed), at (datetime)
measures_ordered = DomainEvent("measures-ordered", "Measures were ordered from the platform.")
