"""Apply every retention rule of the registry: `purge_expired_data` and the daily task.

- Batches of TRIBUNE_PURGE_BATCH_SIZE primary keys (keyset on pk): memory stays flat
  whatever the number of rows.
- Each rule runs in its own transaction: a rule that fails is rolled back alone,
  reported, and the others still run.
- One run at a time: a lock row (PurgeLock) makes a second run started meanwhile stop
  at once and say so; a crashed run's lock expires.
- Idempotent: every rule selects only what is still to do, so a second run finds 0.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from consent.models import PurgeLock, PurgeRun, PurgeStatus
from consent.registry import RetentionRule, registry

logger = logging.getLogger(__name__)

LOCK_NAME = "purge_expired_data"
LOCK_DURATION = timedelta(hours=6)


@dataclass
class RuleResult:
    key: str
    label: str
    action: str
    days: int
    rows: int = 0
    error: str = ""

    def as_dict(self):
        return {
            "rule": self.key,
            "label": str(self.label),
            "action": self.action,
            "days": self.days,
            "rows": self.rows,
            "error": self.error,
        }


class AlreadyRunning(Exception):
    pass


def _take_lock(now) -> PurgeLock:
    with transaction.atomic():
        PurgeLock.objects.filter(name=LOCK_NAME, expires_at__lt=now).delete()
        try:
            with transaction.atomic():
                return PurgeLock.objects.create(name=LOCK_NAME, expires_at=now + LOCK_DURATION)
        except IntegrityError:
            raise AlreadyRunning from None


def _batches(rule: RetentionRule, now, batch_size: int):
    """Primary keys of the rows due, batch after batch, re-reading after each batch
    (rows already treated no longer match, or lie behind the cursor)."""
    cutoff = rule.cutoff(now)
    last_pk = None
    while True:
        rows = rule.due(now, cutoff).order_by("pk")
        if last_pk is not None:
            rows = rows.filter(pk__gt=last_pk)
        pks = list(rows.values_list("pk", flat=True)[:batch_size])
        if not pks:
            return
        yield pks
        last_pk = pks[-1]


def run_rule(
    rule: RetentionRule,
    *,
    now,
    dry_run: bool = False,
    batch_size: int | None = None,
    progress: Callable[[RuleResult], None] | None = None,
) -> RuleResult:
    batch_size = batch_size or settings.TRIBUNE_PURGE_BATCH_SIZE
    result = RuleResult(rule.key, rule.label, rule.action, rule.days)
    if dry_run:
        result.rows = rule.due(now, rule.cutoff(now)).count()
        return result

    def treat(pks):
        rows = rule.due(now, rule.cutoff(now)).filter(pk__in=pks)
        result.rows += rule.apply(rows, now)
        if progress:
            progress(result)

    try:
        if rule.atomic:
            with transaction.atomic():
                for pks in _batches(rule, now, batch_size):
                    treat(pks)
        else:
            for pks in _batches(rule, now, batch_size):
                with transaction.atomic():
                    treat(pks)
    except Exception as error:
        logger.exception("retention rule %s failed", rule.key)
        if rule.atomic:
            result.rows = 0  # rolled back
        result.error = f"{type(error).__name__}: {error}"
    return result


def purge(
    *,
    dry_run: bool = False,
    now=None,
    batch_size: int | None = None,
    trigger: str = "command",
    progress: Callable[[RuleResult], None] | None = None,
    rules: list[RetentionRule] | None = None,
) -> PurgeRun:
    """Run every rule; return the recorded summary (status SKIPPED if a run is going)."""
    now = now or timezone.now()
    run = PurgeRun.objects.create(started_at=now, dry_run=dry_run, trigger=trigger)
    try:
        lock = _take_lock(now)
    except AlreadyRunning:
        logger.warning("purge_expired_data: another run is in progress, nothing done")
        run.status = PurgeStatus.SKIPPED
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "finished_at"])
        return run
    try:
        results = []
        for rule in rules if rules is not None else registry.rules.values():
            results.append(
                run_rule(rule, now=now, dry_run=dry_run, batch_size=batch_size, progress=progress)
            )
        run.results = [result.as_dict() for result in results]
        run.total = sum(result.rows for result in results)
        run.status = PurgeStatus.FAILED if any(r.error for r in results) else PurgeStatus.DONE
        run.finished_at = timezone.now()
        run.save(update_fields=["results", "total", "status", "finished_at"])
    finally:
        lock.delete()
    logger.info("purge_expired_data: %s rows, status %s", run.total, run.status)
    return run
