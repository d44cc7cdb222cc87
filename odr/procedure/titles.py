"""Translatable labels for the states and actions procedures use.

Procedure files name states and transitions with stable identifiers; the UI shows
these labels in the reader's language, and falls back to the file's own title.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATE_LABELS = {
    "awaiting_response": _l("Awaiting the seller's response"),
    "negotiation": _l("Negotiation"),
    "facilitated_settlement": _l("Facilitated settlement"),
    "escalated": _l("Escalated to the court"),
    "settled": _l("Settled"),
    "withdrawn": _l("Withdrawn"),
    "decided": _l("Decided by the court"),
}

ACTION_LABELS = {
    "respond": _l("Answer the notice"),
    "counter_notice": _l("File a counter-notice"),
    "request_mediation": _l("Ask for a mediator"),
    "settle": _l("Settle"),
    "withdraw": _l("Withdraw the notice"),
    "escalate": _l("Escalate to the court"),
    "decide": _l("Record the court's decision"),
}

TIMER_LABELS = {
    "response_period": _l("Time for the seller to respond"),
    "negotiation_period": _l("Time to negotiate"),
    "facilitation_period": _l("Time for facilitated settlement"),
}


def state_label(name: str) -> str:
    return str(STATE_LABELS.get(name, name.replace("_", " ")))


def action_label(name: str) -> str:
    return str(ACTION_LABELS.get(name, name.replace("_", " ")))


def timer_label(name: str) -> str:
    return str(TIMER_LABELS.get(name, name.replace("_", " ")))
