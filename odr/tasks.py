"""The queue: Huey with SQLite storage by default, Redis storage when ODR_REDIS_URL is set.

The consumer runs ``odr worker``; the deadline sweep is a periodic task on it.
"""
from __future__ import annotations

import os
from pathlib import Path

from huey import RedisHuey, SqliteHuey, crontab

_app = None


def _make_huey():
    redis_url = os.environ.get("ODR_REDIS_URL")
    if redis_url:
        return RedisHuey("odr", url=redis_url)
    from odr import instance_path
    path = os.environ.get("ODR_QUEUE_PATH") or str(Path(instance_path()) / "queue.sqlite3")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("odr", filename=path)


huey = _make_huey()


def app():
    """The Flask app tasks run in, built once per consumer process."""
    global _app
    if _app is None:
        from odr import create_app
        _app = create_app()
    return _app


@huey.periodic_task(crontab(minute="*"))
def sweep_deadlines_task():
    from odr.procedure.services import sweep_deadlines
    with app().app_context():
        return sweep_deadlines()


# Each domain's jobs, so the consumer knows them by name.
from odr.alliance import tasks as _alliance_tasks  # noqa: E402,F401
from odr.mediation import tasks as _mediation_tasks  # noqa: E402,F401
from odr.notifications import tasks as _notification_tasks  # noqa: E402,F401
from odr.translation import tasks as _translation_tasks  # noqa: E402,F401
