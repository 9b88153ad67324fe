"""The purge as a background task (django-tasks), for whoever wants to enqueue one.

The nightly purge is run by the scheduler (participation.schedule, `manage.py
scheduler`), which never runs one occurrence twice. This task used to enqueue the next
night's run itself; one left waiting in the queue by that version runs once more and
schedules nothing.
"""

import logging

from django.conf import settings
from django.tasks import task

logger = logging.getLogger(__name__)


def worker_configured() -> bool:
    """Tasks go through the database and wait for a worker (production-like settings);
    otherwise they run at once, inside the request that enqueued them."""
    return settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"


@task()
def daily_purge():
    from consent.services.purge import purge

    run = purge(trigger="task")
    logger.info("daily purge: %s rows (%s)", run.total, run.status)
