"""Signals other domains listen to, sent only after the change is committed.

Translation, notifications and platform measures react to these instead of being
called from the case services, so each domain stays in its own folder.
"""
from blinker import Namespace

_signals = Namespace()

# sender: the committed Filing (notice, response, message, offer, settlement, decision ...)
filing_committed = _signals.signal("filing-committed")

# sender: the Case, after a participant who reads its filings joined it (a mediator accepted it)
participant_joined = _signals.signal("participant-joined")
