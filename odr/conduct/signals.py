"""What the conduct domain announces (see odr/domain_events.py).

Subscriber: mediation (``account_measure_required``, in the transaction: the order joins the platform's
measures channel, ``odr/mediation/measures.py``), so an account measure is never recorded without its order.
"""

from __future__ import annotations

from odr.domain_events import DomainEvent

# sender: the Case whose outcome reached the threshold (its measures channel carries the order);
# data: at, kind ("suspend_account" | "terminate_account" | "reinstate_account"), party (the seller's
# Party), ground (the rule), details (until, conduct measure id, reasons)
account_measure_required = DomainEvent(
    "account-measure-required", "The platform must suspend, terminate or reinstate a seller's account."
)

# sender: the Case whose listings the health-and-safety fast track takes down provisionally or restores;
# data: at, measure ("take_down" | "restore"), ground (the rule). Subscriber: mediation, in the transaction
# (the order joins the platform's measures channel like the procedure's own measures).
provisional_measure_required = DomainEvent(
    "provisional-measure-required", "The listings of a health-and-safety case are taken down or restored provisionally."
)
