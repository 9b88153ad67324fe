"""The purge as a background task (the nightly one is the scheduler's:
tests/participation/test_schedule.py)."""

import pytest
from django_tasks_db.models import DBTaskResult

from consent import tasks
from consent.models import PurgeRun


@pytest.mark.django_db
def test_the_task_purges_and_schedules_nothing_more(settings, defaults):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    tasks.daily_purge.call()
    assert PurgeRun.objects.get().trigger == "task"
    assert not DBTaskResult.objects.exists()
