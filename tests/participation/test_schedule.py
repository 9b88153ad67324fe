"""Scheduled work without cron: a due job runs once, at its time, whichever of several
schedulers finds it first."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from participation import schedule
from participation.models import ScheduledJob
from tests import factories

PARIS = ZoneInfo("Europe/Paris")


def scheduled_page(home):
    """A page saved as a draft whose publication was approved for a moment now past."""
    page = factories.standard_page(home, title="Conseil de quartier", slug="conseil-de-quartier")
    page.unpublish()
    revision = page.save_revision()
    revision.approved_go_live_at = timezone.now() - timedelta(minutes=2)
    revision.save()
    page.refresh_from_db()
    assert not page.live
    return page


@pytest.mark.django_db
def test_a_page_scheduled_for_publication_goes_live_once(home):
    page = scheduled_page(home)
    publish = next(job for job in schedule.JOBS if job.name == "publish_scheduled")
    now = timezone.now()

    assert schedule.run_due([publish], now=now) == ["publish_scheduled"]
    page.refresh_from_db()
    assert page.live
    row = ScheduledJob.objects.get(name="publish_scheduled")
    assert row.next_run_at == now + timedelta(minutes=1)
    assert row.last_error == ""

    # A second scheduler at the same moment finds the occurrence taken.
    assert schedule.run_due([publish], now=now) == []
    # A minute later it is due again.
    assert schedule.run_due([publish], now=now + timedelta(minutes=1)) == ["publish_scheduled"]


@pytest.fixture
def committed_job(committed_database, django_db_blocker):
    """A job of the test's own whose runs are counted, its row committed (each scheduler
    thread has its own connection) and removed afterwards."""
    runs = []
    job = schedule.Job(
        f"compter-{uuid.uuid4().hex[:8]}", lambda: runs.append(1), every=timedelta(minutes=1)
    )
    with django_db_blocker.unblock():
        try:
            yield job, runs
        finally:
            ScheduledJob.objects.filter(name=job.name).delete()


def test_two_schedulers_at_once_run_a_due_job_once(committed_job):
    job, runs = committed_job
    now = timezone.now()
    schedulers = 4
    barrier = threading.Barrier(schedulers)

    def scheduler():
        barrier.wait()
        try:
            return schedule.run_due([job], now=now)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=schedulers) as pool:
        results = list(pool.map(lambda _: scheduler(), range(schedulers)))

    assert len(runs) == 1
    assert sorted(map(len, results)) == [0] * (schedulers - 1) + [1]
    assert ScheduledJob.objects.get(name=job.name).next_run_at == now + timedelta(minutes=1)


@pytest.mark.django_db
def test_a_failing_job_is_noted_and_the_others_still_run():
    ran = []

    def broken():
        raise RuntimeError("base en lecture seule")

    jobs = [
        schedule.Job("en-panne", broken, every=timedelta(minutes=1)),
        schedule.Job("en-forme", lambda: ran.append(1), every=timedelta(minutes=1)),
    ]
    assert schedule.run_due(jobs) == ["en-panne", "en-forme"]
    assert ran == [1]
    assert ScheduledJob.objects.get(name="en-panne").last_error == (
        "RuntimeError: base en lecture seule"
    )


@pytest.mark.django_db
def test_the_nightly_purge_waits_for_its_hour(settings):
    from consent.models import PurgeRun
    from consent.services.defaults import ensure_defaults

    ensure_defaults()

    settings.TRIBUNE_PURGE_HOUR = 3
    purge = next(job for job in schedule.JOBS if job.name == "purge_expired_data")
    evening = datetime(2026, 11, 26, 22, 0, tzinfo=PARIS)
    assert purge.next_after(evening) == datetime(2026, 11, 27, 3, 0, tzinfo=PARIS)
    assert purge.next_after(datetime(2026, 11, 27, 1, 0, tzinfo=PARIS)) == datetime(
        2026, 11, 27, 3, 0, tzinfo=PARIS
    )

    assert schedule.run_due([purge], now=evening) == []  # first seen: tonight at 3
    assert not PurgeRun.objects.exists()
    night = datetime(2026, 11, 27, 3, 0, 20, tzinfo=PARIS)
    assert schedule.run_due([purge], now=night) == ["purge_expired_data"]
    assert PurgeRun.objects.get().trigger == "scheduler"
    assert schedule.run_due([purge], now=night) == []
    assert ScheduledJob.objects.get(name="purge_expired_data").next_run_at == datetime(
        2026, 11, 28, 3, 0, tzinfo=PARIS
    )


@pytest.mark.django_db
def test_the_scheduler_command_runs_what_is_due_once(home, capsys):
    page = scheduled_page(home)
    call_command("scheduler", "--once")
    page.refresh_from_db()
    assert page.live
    assert "publish_scheduled" in capsys.readouterr().out
    call_command("scheduler", "--once")
    assert "publish_scheduled" not in capsys.readouterr().out.split(":")[-1]
