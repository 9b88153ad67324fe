"""The daily purge through the tasks worker."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django_tasks_db.models import DBTaskResult

from consent import tasks
from consent.models import PurgeRun

PARIS = ZoneInfo("Europe/Paris")
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_the_next_run_is_tonight_at_3_or_tomorrow():
    evening = datetime(2026, 11, 26, 22, 0, tzinfo=PARIS)
    assert tasks.next_run(evening) == datetime(2026, 11, 27, 3, 0, tzinfo=PARIS)
    early = datetime(2026, 11, 26, 1, 0, tzinfo=PARIS)
    assert tasks.next_run(early) == datetime(2026, 11, 26, 3, 0, tzinfo=PARIS)


@pytest.mark.django_db
def test_migrate_schedules_one_purge_when_a_worker_is_configured(settings):
    settings.TASKS = DB_TASKS
    tasks.schedule_after_migrate()
    tasks.schedule_after_migrate()  # idempotent: still one waiting
    waiting = DBTaskResult.objects.filter(task_path=tasks.TASK_PATH, status="READY")
    assert waiting.count() == 1
    assert waiting.get().run_after is not None


@pytest.mark.django_db
def test_nothing_is_scheduled_without_a_worker(settings):
    tasks.schedule_after_migrate()
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db
def test_the_task_purges_and_schedules_the_next_night(settings, defaults):
    tasks.daily_purge.call()
    assert PurgeRun.objects.get().trigger == "task"
    settings.TASKS = DB_TASKS
    tasks.daily_purge.call()
    assert DBTaskResult.objects.filter(task_path=tasks.TASK_PATH, status="READY").count() == 1
