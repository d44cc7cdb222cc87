"""The outbox sender runs on the queue every minute."""
from huey import crontab

from odr.tasks import app, huey


@huey.periodic_task(crontab(minute="*"))
def send_notifications_task():
    from odr.notifications.services import send_due
    with app().app_context():
        return send_due()
