"""The daily purge through the tasks worker (django-tasks-db), when one is configured.

Each run enqueues the next one for the following night at TRIBUNE_PURGE_HOUR; `migrate`
enqueues the first when none is waiting. Without a worker (immediate backend), use the
cron line of docs/operations.md instead.
"""

import logging
from datetime import datetime, time, timedelta

from django.conf import settings
from django.tasks import task
from django.utils import timezone

logger = logging.getLogger(__name__)

TASK_PATH = "consent.tasks.daily_purge"


def worker_configured() -> bool:
    return settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"


def next_run(now=None) -> datetime:
    now = timezone.localtime(now or timezone.now())
    at = timezone.make_aware(datetime.combine(now.date(), time(settings.TRIBUNE_PURGE_HOUR)))
    return at if at > now else at + timedelta(days=1)


def schedule_next(now=None):
    return daily_purge.using(run_after=next_run(now)).enqueue()


def is_scheduled() -> bool:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=TASK_PATH, status="READY").exists()


@task()
def daily_purge():
    from consent.services.purge import purge

    try:
        run = purge(trigger="task")
        logger.info("daily purge: %s rows (%s)", run.total, run.status)
    finally:
        if worker_configured():
            schedule_next()


def schedule_after_migrate(using="default", **kwargs):
    """post_migrate: make sure tonight's purge is waiting in the queue."""
    if not worker_configured():
        return
    try:
        if not is_scheduled():
            schedule_next()
    except Exception:  # the tasks table may not exist yet on a partial migrate
        logger.warning("daily purge not scheduled yet", exc_info=True)
