"""Page views counted off the database's hot rows.

A visit used to add one to the row (page, day) of PageVisits inside the request: every
reader of a popular page queued on the same row lock. Now a visit is one atomic INCR of a
cache counter (Redis in production, shared by every process) and `flush` folds the
counters into PageVisits in one short transaction, at most once every
TRIBUNE_VISITS_FLUSH_SECONDS (started by the visits themselves, through the tasks
worker; the `flush_visits` command does the same by hand or from cron).

What can be lost: the visits counted in Redis since the last flush, if Redis loses its
memory (restart without persistence) — TRIBUNE_VISITS_FLUSH_SECONDS of visits, plus the
time the worker takes to pick the task up. While Redis is out (the resilient cache is
degraded), visits go straight to the database as before: nothing is kept in a process's
memory where the flush of another process could not see it.

Nothing about the visitor is kept, in Redis or in the database: a page id, a day, a number.
"""

import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from participation.models import PageVisits

logger = logging.getLogger(__name__)

KEY = "tribune:visits:{day}:{page}"
FLUSH_KEY = "tribune:visits:flush-started"
LOCK_KEY = "tribune:visits:flushing"
LOCK_TIMEOUT = 120  # a flush that died holding the lock stops the others this long
# Counters live two days: a flush after midnight still finds yesterday's.
COUNTER_TIMEOUT = 2 * 24 * 60 * 60


def _key(page_id: int, day: date) -> str:
    return KEY.format(day=day.isoformat(), page=page_id)


def _cache_usable() -> bool:
    return not getattr(cache, "degraded", False)


def bump_row(page_id: int, day: date, count: int = 1) -> None:
    """Add `count` to the row (page, day): one UPDATE, or one INSERT the first time that
    day (a concurrent first insert loses the race and updates instead)."""
    rows = PageVisits.objects.filter(page_id=page_id, day=day)
    if rows.update(count=F("count") + count):
        return
    try:
        with transaction.atomic():
            PageVisits.objects.create(page_id=page_id, day=day, count=count)
    except IntegrityError:
        rows.update(count=F("count") + count)


def count(page_id: int) -> None:
    """One visit of the page today: a cache INCR, or the row itself when the cache is out."""
    day = timezone.localdate()
    if _cache_usable():
        key = _key(page_id, day)
        try:
            try:
                cache.incr(key)
            except ValueError:  # the first visit of the day
                cache.add(key, 0, timeout=COUNTER_TIMEOUT)
                cache.incr(key)
        except Exception:
            logger.warning("visit counter unavailable: counted in the database", exc_info=True)
        else:
            if _cache_usable():
                schedule_flush()
                return
            # Redis went out during this INCR: the resilient cache counted it in this
            # process's memory instead. Taken back there, written to the row below.
            cache.incr(key, -1)
    bump_row(page_id, day)


def schedule_flush() -> bool:
    """Start a flush when none was started for TRIBUNE_VISITS_FLUSH_SECONDS (one ADD
    shared by every process). With the tasks worker it runs there; with the immediate
    backend (embedded configuration) it runs here, a few queries once in a while."""
    from participation import tasks

    try:
        if not cache.add(FLUSH_KEY, 1, timeout=settings.TRIBUNE_VISITS_FLUSH_SECONDS):
            return False
    except Exception:
        logger.warning("visits flush not scheduled", exc_info=True)
        return False
    tasks.flush_visits.enqueue()
    return True


def _candidate_keys() -> dict[str, tuple[int, date]]:
    """The counters that may hold visits: every live page, today and yesterday."""
    from wagtail.models import Page

    today = timezone.localdate()
    days = (today, today - timedelta(days=1))
    page_ids = Page.objects.live().values_list("pk", flat=True)
    return {_key(page, day): (page, day) for page in page_ids for day in days}


def flush() -> int:
    """Fold the cache counters into PageVisits; returns the number of visits moved.

    Each counter is decremented by what was read before the rows are written (INCR of a
    negative delta: visits arriving meanwhile stay counted in Redis for the next flush);
    if the database refuses the batch, the counters get their visits back. One flush at
    a time (a lock in the cache): two would both take the same visits."""
    if not cache.add(LOCK_KEY, 1, timeout=LOCK_TIMEOUT):
        logger.info("visits flush skipped: another one is running")
        return 0
    try:
        return _flush()
    finally:
        cache.delete(LOCK_KEY)


def _flush() -> int:
    candidates = _candidate_keys()
    found = {}
    keys = list(candidates)
    for start in range(0, len(keys), 1000):
        found.update(cache.get_many(keys[start : start + 1000]))
    taken = {}
    for key, value in found.items():
        if value and int(value) > 0:
            cache.incr(key, -int(value))
            taken[key] = int(value)
    if not taken:
        return 0
    try:
        with transaction.atomic():
            for key, value in sorted(taken.items()):
                page_id, day = candidates[key]
                bump_row(page_id, day, value)
    except Exception:
        for key, value in taken.items():
            cache.incr(key, value)
        raise
    total = sum(taken.values())
    logger.info("visits flushed: %s visit(s) on %s counter(s)", total, len(taken))
    return total
