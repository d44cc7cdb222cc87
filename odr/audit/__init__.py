"""The audit log: every read of a case by a mediator, a court or an administrator, and every administrator's
action, one row each, for administrators to review and export (``odr/audit/services.py``)."""
