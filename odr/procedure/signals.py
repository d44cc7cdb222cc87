"""What the procedure announces when a case enters a state, for the domains that carry it out.

The rule files name entry actions (``on_enter`` of a state, ``actions`` of a transition or timer);
each name is one domain event here, published inside the transaction that moves the case, so its
consequence (measures, a court bundle, a statement of reasons) commits with the move or not at all.
Mediation orders measures and explains restrictions, export writes the court bundle; the procedure
names neither.
"""

from __future__ import annotations

from odr.domain_events import DomainEvent

# sender: the Case; data: at (datetime), measure ("take_down" | "restore"), ground (the rule's citation),
# requested (for a take-down: the proportionate measure the notice asked for, with its regions or element, or None)
measures_required = DomainEvent("measures-required", "The procedure takes down or restores every listing.")
# sender: the Case; data: at
escalation_required = DomainEvent("escalation-required", "The case goes to the court that receives it.")
# sender: the Case; data: at
restriction_to_explain = DomainEvent(
    "restriction-to-explain", "The seller receives a statement of reasons for the restriction just ordered."
)
# sender: the Case; data: deadline (the Deadline, moved), previous (its former due instant), at, year, source
deadline_moved = DomainEvent(
    "deadline-moved", "An official holiday schedule added as data moved an open deadline of the case."
)
# sender: the Case; data: request (the PauseRequest), at
pause_requested = DomainEvent(
    "pause-requested", "A participant asked, with proof, that days not count against a period."
)
# sender: the Case; data: request (the PauseRequest, decided or lapsed), at
pause_decided = DomainEvent(
    "pause-decided", "A request for a pause was granted, refused, or lapsed at the period's end."
)
# sender: None; data: cases (the Cases, locked in the publisher's transaction), at
consequences_due = DomainEvent(
    "consequences-due",
    "The sweep is about to apply due deadlines to these cases: a domain that reads a row of each case at every"
    " change of state may read those of all of them at once.",
)
# sender: the Case; data: at, previous, state, cause
state_entered = DomainEvent("state-entered", "The case entered a state of its procedure.")

# The entry actions a rule file may name, and what each one announces (besides its own arguments).
ENTRY_ACTIONS: dict[str, tuple[DomainEvent, dict[str, str]]] = {
    "take_measures": (measures_required, {"measure": "take_down"}),
    "lift_measures": (measures_required, {"measure": "restore"}),
    "export_to_court": (escalation_required, {}),
    "statement_of_reasons": (restriction_to_explain, {}),
}
