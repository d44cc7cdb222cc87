"""The worker pulls the alliance members' feeds every 15 minutes."""
from __future__ import annotations

from huey import crontab

from odr.tasks import app, huey


@huey.periodic_task(crontab(minute="*/15"))
def pull_alliance_feeds_task():
    from odr.alliance.services import pull_all
    with app().app_context():
        return pull_all()
