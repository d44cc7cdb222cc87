"""Mediation's periodic job: cases that reached a mediation stage get a mediator proposed automatically."""
from __future__ import annotations

from huey import crontab

from odr.tasks import app, huey


@huey.periodic_task(crontab(minute="*"))
def appoint_waiting_task():
    from odr.mediation.services import appoint_waiting
    with app().app_context():
        return appoint_waiting()
