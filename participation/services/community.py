"""Every write of community management: visit and share counters, the daily
rollup of figures, feedback, follows and published results.

Counters are plain per-day integers: a visit adds 1 to (page, day) and keeps nothing
about the visitor — no cookie, no IP address, no user agent, no identifier — so the
measure needs no consent (CNIL, exemption for audience measurement).
"""

import hashlib
import hmac
import logging
import re
from collections import defaultdict
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from cms import queries as cms_queries
from participation import permissions, ratelimits, tasks
from participation.models import (
    Ballot,
    Comment,
    ConsultationResults,
    DailyFigures,
    Feedback,
    Follow,
    Network,
    ShareCount,
    State,
    Support,
)
from participation.services import notifications, visits

logger = logging.getLogger(__name__)

# Crawlers, link previewers, monitoring probes, scripts and headless browsers. Matched
# on the User-Agent of the request only; the header itself is never stored.
BOT_PATTERN = re.compile(
    r"bot|crawl|spider|slurp|facebookexternalhit|embedly|preview|monitor|pingdom|"
    r"uptime|curl|wget|python|httpx|java/|go-http|okhttp|headless|phantom|lighthouse|"
    r"bingpreview|feedfetcher|scrapy|node-fetch|axios",
    re.IGNORECASE,
)
FEEDBACK_COMMENT_MAX_LENGTH = 1000


def is_bot(request) -> bool:
    agent = request.headers.get("User-Agent", "")
    if not agent or BOT_PATTERN.search(agent):
        return True
    # Browsers prefetching a link the person has not opened (yet).
    purpose = request.headers.get("Sec-Purpose", "") or request.headers.get("Purpose", "")
    return "prefetch" in purpose.lower()


def _bump(model, **key) -> None:
    """Add one to a per-day counter row: one UPDATE, or one INSERT the first time that
    day (a concurrent first insert loses the race and updates instead)."""
    if model.objects.filter(**key).update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            model.objects.create(count=1, **key)
    except IntegrityError:
        model.objects.filter(**key).update(count=F("count") + 1)


def record_visit(request, page) -> bool:
    """Count one view of `page` (a page or its id) today, unless it comes from a robot.
    True when counted. The count goes to a cache counter folded into PageVisits in
    batches (services.visits)."""
    if request.method != "GET" or is_bot(request) or getattr(request, "is_preview", False):
        return False
    visits.count(page.pk if hasattr(page, "pk") else page)
    return True


def record_share(request, page, network: str) -> bool:
    if network not in Network.values:
        raise ValidationError(_("Unknown network."), code="unknown_network")
    if is_bot(request):
        return False
    today = timezone.localdate()
    if not _first_share_today(request, page, network, today):
        return False
    _bump(ShareCount, page_id=page.pk, day=today, network=network)
    return True


def _first_share_today(request, page, network: str, today) -> bool:
    """True the first time today this visitor follows this page's link to this network:
    reloading the share link, or clicking it twice, counts once. The visitor is a
    keyed hash of their account, or of their address and browser, with the day: it is
    kept in the cache until the day ends and cannot be turned back into an address
    (no cookie is set, nothing personal is stored)."""
    if request.user.is_authenticated:
        who = f"user:{request.user.pk}"
    else:
        who = f"{request.META.get('REMOTE_ADDR', '')}|{request.headers.get('User-Agent', '')}"
    digest = hmac.new(
        settings.SECRET_KEY.encode(),
        f"share:{today.isoformat()}:{page.pk}:{network}:{who}".encode(),
        hashlib.sha256,
    ).hexdigest()[:32]
    tomorrow = timezone.make_aware(datetime.combine(today + timedelta(days=1), time.min))
    seconds = max(60, int((tomorrow - timezone.now()).total_seconds()) + 60)
    return shared_cache.add(f"tribune:share:{digest}", 1, timeout=seconds)


# --- Daily figures --------------------------------------------------------------------


def _by_day(queryset, field="created_at", **counts):
    return {
        row["day"]: row
        for row in queryset.annotate(day=TruncDate(field))
        .values("day")
        .annotate(**counts)
        .order_by()
    }


def rollup(consultation) -> int:
    """Recompute a consultation's daily figures from its contributions; returns the
    number of days written. Grouped queries, run by the `rollup_engagement` command
    (cron or the task worker), never by a page view."""
    comments = Comment.objects.filter(consultation=consultation)
    comment_days = _by_day(
        comments,
        comments=Count("pk", filter=Q(depth=0, is_official=False)),
        replies=Count("pk", filter=Q(depth__gt=0, is_official=False)),
        official_answers=Count("pk", filter=Q(is_official=True)),
        answered=Count("pk", filter=Q(depth=0, has_official_answer=True)),
        published=Count("pk", filter=Q(state=State.PUBLISHED, is_official=False)),
        held=Count("pk", filter=Q(state=State.PENDING)),
        rejected=Count("pk", filter=Q(state=State.REJECTED)),
        hidden=Count("pk", filter=Q(state=State.HIDDEN)),
    )
    support_days = _by_day(
        Support.objects.filter(comment__consultation=consultation), supports=Count("pk")
    )
    ballot_days = _by_day(
        Ballot.objects.filter(poll__consultation=consultation), ballots=Count("pk")
    )
    feedback_days = _by_day(
        Feedback.objects.filter(consultation=consultation),
        feedback_count=Count("pk"),
        feedback_total=Sum("rating"),
    )

    first_answer = (
        Comment.objects.filter(root=OuterRef("pk"), is_official=True)
        .order_by()
        .values("root")
        .annotate(first=Min("created_at"))
        .values("first")
    )
    delays = defaultdict(list)
    for created, answered_at in (
        comments.filter(depth=0, has_official_answer=True)
        .annotate(first=Subquery(first_answer))
        .values_list("created_at", "first")
    ):
        if answered_at is not None:
            day = timezone.localdate(created)
            delays[day].append(max(0, int((answered_at - created).total_seconds())))

    # A participant is counted once, on the day of their first contribution of any kind.
    first_seen = {}
    for rows in (
        comments.filter(is_official=False, author__isnull=False)
        .values("author")
        .annotate(first=Min("created_at"))
        .values_list("author", "first"),
        Support.objects.filter(comment__consultation=consultation)
        .values("user")
        .annotate(first=Min("created_at"))
        .values_list("user", "first"),
        Ballot.objects.filter(poll__consultation=consultation, voter__isnull=False)
        .values("voter")
        .annotate(first=Min("created_at"))
        .values_list("voter", "first"),
    ):
        for user_id, first in rows:
            if user_id not in first_seen or first < first_seen[user_id]:
                first_seen[user_id] = first
    participant_days = defaultdict(int)
    for first in first_seen.values():
        participant_days[timezone.localdate(first)] += 1

    days = set(comment_days) | set(support_days) | set(ballot_days) | set(feedback_days)
    days |= set(delays) | set(participant_days)
    fields = ["comments", "replies", "official_answers", "answered"]
    fields += ["published", "held", "rejected", "hidden"]
    rows = []
    for day in sorted(days):
        values = {name: comment_days.get(day, {}).get(name, 0) for name in fields}
        rows.append(
            DailyFigures(
                consultation_id=consultation.pk,
                day=day,
                participants=participant_days.get(day, 0),
                supports=support_days.get(day, {}).get("supports", 0),
                ballots=ballot_days.get(day, {}).get("ballots", 0),
                feedback_count=feedback_days.get(day, {}).get("feedback_count", 0),
                feedback_total=feedback_days.get(day, {}).get("feedback_total") or 0,
                answer_delays=sorted(delays.get(day, [])),
                **values,
            )
        )
    with transaction.atomic():
        DailyFigures.objects.filter(consultation=consultation).delete()
        DailyFigures.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def rollup_all(consultations=None) -> int:
    from participation.models import ConsultationPage

    total = 0
    if consultations is None:
        consultations = ConsultationPage.objects.all()
    for consultation in consultations:
        total += rollup(consultation)
    return total


RECENT_DAYS = 7  # a consultation closed longer ago no longer moves


def moving_consultations():
    """Open consultations and those closed in the last days: the only ones whose
    figures can still change (the same set as `rollup_engagement --open-only`)."""
    from datetime import timedelta

    from participation.models import ConsultationPage

    recent = timezone.now() - timedelta(days=RECENT_DAYS)
    return ConsultationPage.objects.filter(
        Q(closes_at__isnull=True) | Q(closes_at__gte=recent), opens_at__lte=timezone.now()
    )


def rollup_recent(consultation_id=None) -> int:
    """The moving consultations, or the one asked for (whatever its dates: a team
    member looking at it wants its figures true)."""
    from participation.models import ConsultationPage

    if consultation_id is not None:
        return sum(rollup(page) for page in ConsultationPage.objects.filter(pk=consultation_id))
    return rollup_all(list(moving_consultations()))


REFRESH_KEY = "tribune:figures:refreshed"


def refresh_figures(consultation=None) -> bool:
    """Bring the figures up to date when someone is about to read them, at most once
    per TRIBUNE_FIGURES_REFRESH_SECONDS for the whole site: the team never waits for a
    cron line to see today's contributions, in any configuration. With the tasks
    worker the roll-up runs there (the page shows what was there a moment ago);
    without it (embedded configuration) it runs inline, which is quick at that size.
    Returns True when a roll-up was started."""
    from django.core.cache import cache

    key = REFRESH_KEY if consultation is None else f"{REFRESH_KEY}:{consultation.pk}"
    if not cache.add(key, 1, timeout=settings.TRIBUNE_FIGURES_REFRESH_SECONDS):
        return False
    tasks.rollup_recent.enqueue(None if consultation is None else consultation.pk)
    return True


# --- Feedback and follows ------------------------------------------------------------


def _hit(user, action: str) -> None:
    limit, period = settings.TRIBUNE_RATE_LIMITS.get(action, (10, 60))
    ratelimits.hit(user, action, limit=limit, period=period)


def clean_rating(value) -> int:
    try:
        rating = int(str(value).strip())
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ValidationError(_("Choose a rating from 1 to 5."), code="rating_range")
    return rating


def give_feedback(*, user, consultation, rating, comment="") -> Feedback:
    """Record a participant's answer to « Cette consultation vous a-t-elle été utile ? »."""
    permissions.require(user, permissions.GIVE_FEEDBACK, consultation)
    rating = clean_rating(rating)
    comment = (comment or "").strip()
    if len(comment) > FEEDBACK_COMMENT_MAX_LENGTH:
        raise ValidationError(
            _("Your comment is %(length)s characters long: %(limit)s at most.")
            % {"length": len(comment), "limit": FEEDBACK_COMMENT_MAX_LENGTH},
            code="too_long",
        )
    _hit(user, "feedback")
    try:
        with transaction.atomic():
            return Feedback.objects.create(
                consultation=consultation, user=user, rating=rating, comment=comment
            )
    except IntegrityError:
        raise ValidationError(
            _("You have already answered this question for this consultation. Thank you!"),
            code="already_answered",
        ) from None


def set_follow(*, user, consultation, follow: bool) -> bool:
    """Opt in to (or out of) the e-mail telling the results. Returns the new state."""
    permissions.require(user, permissions.FOLLOW, consultation)
    _hit(user, "follow")
    if follow:
        Follow.objects.get_or_create(consultation=consultation, user=user)
    else:
        Follow.objects.filter(consultation=consultation, user=user).delete()
    return follow


# --- Results --------------------------------------------------------------------------

DECISIONS_MAX_LENGTH = 10000


def _lines(text) -> str:
    return (text or "").replace("\r\n", "\n").replace("\r", "\n")


def save_results(*, user, consultation, summary, decisions) -> ConsultationResults:
    permissions.require(user, permissions.PUBLISH_RESULTS, consultation)
    # Textareas post CRLF line breaks: stored as plain "\n" so every reader agrees.
    summary, decisions = (_lines(summary).strip(), _lines(decisions).strip())
    errors = {}
    if not summary:
        errors["summary"] = _("Summarise what the contributions said.")
    if not decisions:
        errors["decisions"] = _("Say what was decided, one decision per paragraph.")
    for name, text in (("summary", summary), ("decisions", decisions)):
        if len(text) > DECISIONS_MAX_LENGTH:
            errors[name] = _("%(limit)s characters at most.") % {"limit": DECISIONS_MAX_LENGTH}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        results, _created = ConsultationResults.objects.update_or_create(
            consultation=consultation, defaults={"summary": summary, "decisions": decisions}
        )
    return results


def publish_results(*, user, consultation) -> int:
    """Show the results on the consultation page and tell its followers (after commit).
    Returns how many people follow it."""
    permissions.require(user, permissions.PUBLISH_RESULTS, consultation)
    if consultation.status != "closed":
        raise ValidationError(
            _("Results are published once the consultation has closed."), code="not_closed"
        )
    with transaction.atomic():
        results = (
            ConsultationResults.objects.select_for_update()
            .filter(consultation=consultation)
            .first()
        )
        if results is None:
            raise ValidationError(
                _("Write the summary and the decisions before publishing."), code="no_results"
            )
        if results.published_at is None:
            results.published_at = timezone.now()
            results.published_by = user
            results.save(update_fields=["published_at", "published_by"])
        followers = Follow.objects.filter(consultation=consultation).count()
        # The figures published with the results cover every contribution, up to now.
        rollup(consultation)
        # Followers are told through the notification centre, and by e-mail as each
        # chose (services.notifications: once per consultation, even if published again).
        notifications.results_published(consultation)
    # The results show on the public page: kept anonymous copies (cms.pagecache) are
    # built again (after the block: a spurious new version on a rollback costs nothing).
    cms_queries.forget_published()
    return followers


# --- Objectives -----------------------------------------------------------------------


# What Objective.target holds (10 digits, one after the point).
MAX_OBJECTIVE = 10**9


def set_objectives(*, user, consultation, targets: dict) -> list:
    """Replace the consultation's objectives with {metric: target} (None or empty
    removes one). Targets are numbers ≥ 0; percentages at most 100."""
    from decimal import Decimal, InvalidOperation

    from participation.models import Metric, Objective

    permissions.require(user, permissions.SEE_FIGURES, consultation)
    cleaned, errors = {}, {}
    for metric, raw in targets.items():
        if metric not in Metric.values:
            errors[metric] = _("Unknown figure.")
            continue
        if raw in (None, ""):
            continue
        try:
            value = Decimal(str(raw).replace(",", ".").replace(" ", "").strip())
        except InvalidOperation:
            errors[metric] = _("Enter a number.")
            continue
        if not value.is_finite():  # "NaN", "Infinity": numbers to Python, not to people
            errors[metric] = _("Enter a number.")
            continue
        if value >= MAX_OBJECTIVE:
            errors[metric] = _("Enter a number below one billion.")
            continue
        if value < 0 or (metric.endswith("_percent") and value > 100):
            errors[metric] = (
                _("Enter a number between 0 and 100 for a percentage.")
                if (metric.endswith("_percent"))
                else _("Enter a positive number.")
            )
            continue
        if metric == Metric.SATISFACTION and value > 5:
            errors[metric] = _("Satisfaction is out of 5.")
            continue
        cleaned[metric] = value.quantize(Decimal("0.1"))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        Objective.objects.filter(consultation=consultation).exclude(metric__in=cleaned).delete()
        for metric, value in cleaned.items():
            Objective.objects.update_or_create(
                consultation=consultation, metric=metric, defaults={"target": value}
            )
    return list(Objective.objects.filter(consultation=consultation))
