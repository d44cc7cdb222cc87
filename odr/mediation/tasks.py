"""Mediation's periodic jobs: mediators proposed for cases that reached a mediation stage, and blind
biddings ended once their closing instant has passed."""
from __future__ import annotations

from huey import crontab

from odr.tasks import app, huey


@huey.periodic_task(crontab(minute="*"))
def appoint_waiting_task():
    from odr.mediation.services import appoint_waiting
    with app().app_context():
        return appoint_waiting()


@huey.periodic_task(crontab(minute="*"))
def expire_biddings_task():
    from odr.mediation.bidding import expire_biddings
    with app().app_context():
        return expire_biddings()
