"""The queue consumer's entry point (``odr worker``): every job of every domain, and each registered
periodic job (``odr.queue.periodic_job``) run on its schedule (every minute unless it names its minutes).

Importing this module loads the domains whose jobs the consumer must know by name; the domains
themselves only import ``odr.queue``.
"""

from __future__ import annotations

from huey import crontab

from odr import create_app

# The domains' jobs and periodic jobs (imported for their registrations).
from odr.alliance import services as _alliance  # noqa: F401
from odr.cases import drafts as _drafts  # noqa: F401
from odr.cases import pending as _pending  # noqa: F401
from odr.cases import received as _received  # noqa: F401
from odr.conduct import health_safety as _health_safety  # noqa: F401
from odr.conduct import services as _conduct  # noqa: F401
from odr.conduct import triage as _triage  # noqa: F401
from odr.mediation import bidding as _bidding  # noqa: F401
from odr.mediation import services as _mediation  # noqa: F401
from odr.notifications import digest as _digest  # noqa: F401
from odr.notifications import services as _notifications  # noqa: F401
from odr.ops import orphans as _orphans  # noqa: F401
from odr.procedure import services as _procedure  # noqa: F401
from odr.queue import PERIODIC_JOBS, PeriodicJob, huey, job_context, set_app_factory
from odr.translation import services as _translation  # noqa: F401
from odr.webhooks import services as _webhooks  # noqa: F401

set_app_factory(create_app)


def _scheduled(job: PeriodicJob):
    def run() -> int:
        with job_context():
            return job.run()

    run.__name__ = run.__qualname__ = job.name
    return huey.periodic_task(crontab(minute=job.minute), name=job.name)(run)


PERIODIC_TASKS = {name: _scheduled(job) for name, job in PERIODIC_JOBS.items()}
