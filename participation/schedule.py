"""Scheduled work, run by a scheduler instead of cron lines someone must remember.

- `manage.py scheduler` in production (deploy/Procfile, tribune-scheduler.service);
- a thread of `manage.py serve` in `make run`.

Each job's next occurrence is a row (ScheduledJob). A scheduler runs a due job only
after claiming it: an UPDATE that moves `next_run_at` forward on the condition that it
still holds the value read. Exactly one of several schedulers wins the claim, whatever
the database (PostgreSQL or SQLite), so a job never runs twice for one occurrence. A
job that fails is logged and tried again at its next occurrence; it does not stop the
others.
"""

import io
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.management import call_command
from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone

from participation.models import ScheduledJob

logger = logging.getLogger(__name__)

# How often a scheduler looks for due jobs; the shortest job interval is a minute.
TICK_SECONDS = 15


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[], object]
    every: timedelta | None = None  # an interval…
    at: Callable[[], time] | None = None  # …or a local time of day, every day

    def next_after(self, now: datetime) -> datetime:
        if self.every is not None:
            return now + self.every
        local = timezone.localtime(now)
        moment = timezone.make_aware(datetime.combine(local.date(), self.at()))
        return moment if moment > now else moment + timedelta(days=1)

    def first_run(self, now: datetime) -> datetime:
        """An interval job is due as soon as it is first known; a daily one waits for
        its hour."""
        return now if self.every is not None else self.next_after(now)


def command(name: str, **options) -> Callable[[], str]:
    def run():
        out = io.StringIO()
        call_command(name, stdout=out, stderr=out, **options)
        return out.getvalue().strip()

    return run


def purge():
    # Deferred: consent's purge registry is filled once every app is ready.
    from consent.services.purge import purge as purge_expired

    return purge_expired(trigger="scheduler").total


def notification_digests():
    # Deferred like purge: the tasks module imports the services.
    from participation import tasks
    from participation.services import notifications

    modes = notifications.digests_due()
    for mode in modes:
        tasks.send_notification_digests.enqueue(mode)
    return ", ".join(modes)


def announce_consultations():
    from participation.services import notifications

    return notifications.announce_consultations()


JOBS = [
    # Wagtail's pages and revisions with a go-live or expiry date that has passed.
    Job("publish_scheduled", command("publish_scheduled"), every=timedelta(minutes=1)),
    # Figures of the consultations still moving; the whole history once a night.
    Job(
        "rollup_engagement_recent",
        command("rollup_engagement", open_only=True),
        every=timedelta(hours=1),
    ),
    Job("rollup_engagement_all", command("rollup_engagement"), at=lambda: time(2, 30)),
    # New consultations on followed themes, and followed ones closing soon (each
    # announced once: the fan-out's event keys).
    Job("announce_consultations", announce_consultations, every=timedelta(minutes=15)),
    # E-mail digests of notifications: daily, and weekly on Mondays, in the morning.
    Job(
        "notification_digests",
        notification_digests,
        at=lambda: time(settings.TRIBUNE_DIGEST_HOUR),
    ),
    # Retention rules (consent/privacy.py of each app), at night.
    Job("purge_expired_data", purge, at=lambda: time(settings.TRIBUNE_PURGE_HOUR)),
]


def claim(job: Job, now: datetime) -> bool:
    """True when this scheduler takes the job's occurrence due at or before `now`."""
    try:
        with transaction.atomic():
            row, _ = ScheduledJob.objects.get_or_create(
                name=job.name, defaults={"next_run_at": job.first_run(now)}
            )
    except IntegrityError:  # another scheduler created it first
        row = ScheduledJob.objects.get(name=job.name)
    if row.next_run_at > now:
        return False
    return bool(
        ScheduledJob.objects.filter(pk=row.pk, next_run_at=row.next_run_at).update(
            next_run_at=job.next_after(now), last_started_at=now
        )
    )


def run_due(jobs=None, now=None) -> list[str]:
    """Claim and run every due job once; returns the names of the jobs run here."""
    ran = []
    for job in JOBS if jobs is None else jobs:
        now_ = now or timezone.now()
        if not claim(job, now_):
            continue
        error = ""
        try:
            result = job.run()
            logger.info("scheduled job %s done: %s", job.name, result)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:1000]
            logger.exception("scheduled job %s failed", job.name)
        ScheduledJob.objects.filter(name=job.name).update(
            last_finished_at=timezone.now(), last_error=error
        )
        ran.append(job.name)
    return ran


def loop(stop: threading.Event, tick: float = TICK_SECONDS) -> None:
    """Run due jobs every `tick` seconds until `stop` is set. A database outage is
    logged and waited out (the next tick tries again)."""
    logger.info("scheduler started: %s", ", ".join(job.name for job in JOBS))
    while not stop.is_set():
        try:
            close_old_connections()
            run_due()
        except Exception:
            logger.exception("scheduler: could not look for due jobs")
        stop.wait(tick)
    close_old_connections()


def start_thread() -> threading.Event:
    """The scheduler in a thread of this process (`make run`); set the event to stop."""
    stop = threading.Event()
    threading.Thread(target=loop, args=(stop,), name="scheduler", daemon=True).start()
    return stop
