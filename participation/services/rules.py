"""Moderation rules that act on their own: word filter, many links, slow
mode, auto-hold after N distinct reporters, watch-list and surge alerts.

Called by the comment services inside their transaction; every firing is recorded in
Wagtail's audit log with the rule that fired.
"""

import logging
import re
import time

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from participation import events
from participation.models import Comment, ModerationAlert, ModerationRules, State
from participation.models.moderation import patterns

logger = logging.getLogger(__name__)

LINK = re.compile(r"(https?://|www\.)\S+", re.IGNORECASE)
SURGE_MINIMUM = 10  # comments in one minute below which nothing is a surge
SURGE_HISTORY_MINUTES = 60
ALERT_COOLDOWN = 600  # one surge alert per consultation per 10 minutes


def _first_match(lines: list[str], text: str) -> str:
    for line in lines:
        try:
            if re.search(line, text, re.IGNORECASE):
                return line
        except re.error:  # saved before validation existed: skip, never fail a post
            continue
    return ""


def screen(text: str) -> tuple[str, str]:
    """(rule shown to the moderator, audit action) when the text must wait, else ("", "")."""
    rules = ModerationRules.load()
    if matched := _first_match(patterns(rules.word_filter), text):
        return _("Word filter: « %(pattern)s »") % {"pattern": matched}, "tribune.rule.word_filter"
    links = len(LINK.findall(text))
    if rules.max_links and links > rules.max_links:
        return _("%(count)s links") % {"count": links}, "tribune.rule.links"
    return "", ""


def check_slow_mode(author, consultation) -> None:
    crisis = consultation.crisis
    if crisis is None or not crisis.slow_mode_minutes:
        return
    since = timezone.now() - timezone.timedelta(minutes=crisis.slow_mode_minutes)
    if Comment.objects.filter(
        consultation_id=consultation.pk, author=author, created_at__gte=since
    ).exists():
        raise ValidationError(
            _(
                "Slow mode is on for this consultation: one comment per person every "
                "%(minutes)s minutes. Please wait before posting again."
            )
            % {"minutes": crisis.slow_mode_minutes},
            code="slow_mode",
        )


def after_post(comment, hold_rule: str, hold_action: str, *, count=True) -> None:
    """In the posting (or editing) transaction: log a rule that held the comment, raise
    alerts; a new comment also counts towards the surge detection."""
    if hold_rule:
        Comment.objects.filter(pk=comment.pk).update(hold_rule=hold_rule)
        comment.hold_rule = hold_rule
        log(instance=comment, action=hold_action, user=None, data={"rule": hold_rule})
        logger.info("comment %s held by a rule", comment.pk)
    rules = ModerationRules.load()
    if matched := _first_match(patterns(rules.watch_words), comment.body):
        raise_alert(
            ModerationAlert.Kind.WATCH_WORD,
            comment.consultation_id,
            comment=comment,
            detail=matched,
        )
    if count:
        _count_for_surge(comment.consultation_id, rules.surge_factor)


def _count_for_surge(consultation_id: int, factor: int) -> None:
    """Comments per minute counted in the cache (no query); a minute several times
    above the average of the previous hour raises an alert."""
    minute = int(time.time() // 60)
    key = f"tribune:surge:{consultation_id}:{minute}"
    if cache.add(key, 1, timeout=(SURGE_HISTORY_MINUTES + 2) * 60):
        current = 1
    else:
        try:
            current = cache.incr(key)
        except ValueError:
            current = 1
    if current < SURGE_MINIMUM or not factor:
        return
    previous = cache.get_many(
        [
            f"tribune:surge:{consultation_id}:{minute - n}"
            for n in range(1, SURGE_HISTORY_MINUTES + 1)
        ]
    )
    usual = max(sum(previous.values()) / SURGE_HISTORY_MINUTES, 1)
    if current >= factor * usual and cache.add(
        f"tribune:surge-alert:{consultation_id}", 1, timeout=ALERT_COOLDOWN
    ):
        raise_alert(
            ModerationAlert.Kind.SURGE,
            consultation_id,
            detail=_("%(count)s comments in one minute (usually %(usual)s)")
            % {"count": current, "usual": round(usual, 1)},
        )


def after_report(comment) -> None:
    """In the reporting transaction: the comment enters "Signalés"; at N distinct
    reporters a published comment goes back to "À modérer", hidden meanwhile."""
    from participation.services.comments import move_to_state

    Comment.objects.filter(pk=comment.pk).update(reports_open=True)
    comment.reports_open = True
    threshold = ModerationRules.load().report_threshold
    if not threshold or comment.reports_count < threshold:
        return
    current = Comment.objects.select_for_update().get(pk=comment.pk)
    if current.state != State.PUBLISHED:
        return
    rule = _("Reported by %(count)s people") % {"count": current.reports_count}
    move_to_state(current, State.PENDING)
    Comment.objects.filter(pk=current.pk).update(hold_rule=rule)
    comment.state, comment.hold_rule = current.state, rule
    log(
        instance=current,
        action="tribune.rule.reports",
        user=None,
        data={"rule": rule, "reports": current.reports_count},
    )
    raise_alert(ModerationAlert.Kind.REPORTS, current.consultation_id, comment=current, detail=rule)
    found = [events.Event("comment.removed", current.consultation_id, {"id": current.pk})]
    transaction.on_commit(lambda: events.publish_all(found))


def raise_alert(kind, consultation_id, *, comment=None, detail="") -> ModerationAlert:
    """Record the alert, then on commit tell the moderators live and by e-mail."""
    from participation import tasks
    from participation.services import notifications

    alert = ModerationAlert.objects.create(
        kind=kind, consultation_id=consultation_id, comment=comment, detail=detail[:200]
    )
    event = events.Event(
        "moderation.alert",
        consultation_id,
        {"id": alert.pk, "kind": kind, "comment": comment.pk if comment else None},
        audience=events.MODERATORS,
    )
    transaction.on_commit(lambda: events.publish(event))
    notifications.later(tasks.send_alert_emails, alert.pk)
    return alert
