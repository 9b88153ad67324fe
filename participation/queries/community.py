"""The figures of the Participation dashboard, read from the pre-aggregated per-day
tables (PageVisits, ShareCount, DailyFigures): a fixed number of grouped queries over
at most one row per day and page, whatever the number of visits or contributions."""

import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum

from participation.models import DailyFigures, Metric, Network, PageVisits, ShareCount

FIGURE_FIELDS = (
    "participants",
    "comments",
    "replies",
    "supports",
    "ballots",
    "official_answers",
    "answered",
    "published",
    "held",
    "rejected",
    "hidden",
    "feedback_count",
    "feedback_total",
)
MODERATION_FIELDS = ("published", "held", "rejected", "hidden")


@dataclass
class Figures:
    start: date
    end: date
    granularity: str
    totals: dict
    series: list  # [{"period": date, "visits": n, …}] in date order
    shares_by_network: list  # [(label, count)]
    median_answer_seconds: float | None
    objectives: list = field(default_factory=list)

    @property
    def engagement_rate(self) -> float | None:
        visits = self.totals.get("visits") or 0
        return None if not visits else 100 * self.totals["participants"] / visits

    @property
    def satisfaction(self) -> float | None:
        count = self.totals.get("feedback_count") or 0
        return None if not count else self.totals["feedback_total"] / count

    @property
    def answered_rate(self) -> float | None:
        comments = self.totals.get("comments") or 0
        return None if not comments else 100 * self.totals["answered"] / comments


def period_start(day: date, granularity: str) -> date:
    return day - timedelta(days=day.weekday()) if granularity == "week" else day


def _scope(queryset, consultation, page_field):
    if consultation is not None:
        return queryset.filter(**{page_field: consultation.pk})
    return queryset


def figures(*, consultation=None, start: date, end: date, granularity="day") -> Figures:
    """Every figure of the dashboard for one consultation (or the whole site when None)
    between two days included. Five queries."""
    in_period = {"day__gte": start, "day__lte": end}
    visits = (
        _scope(PageVisits.objects.filter(**in_period), consultation, "page_id")
        .values("day")
        .annotate(n=Sum("count"))
        .order_by()
    )
    shares = _scope(ShareCount.objects.filter(**in_period), consultation, "page_id")
    share_days = shares.values("day").annotate(n=Sum("count")).order_by()
    per_network = dict(shares.values_list("network").annotate(n=Sum("count")).order_by())
    daily = _scope(DailyFigures.objects.filter(**in_period), consultation, "consultation_id")
    per_day = daily.values("day").annotate(**{name: Sum(name) for name in FIGURE_FIELDS}).order_by()
    delays = [delay for row in daily.values_list("answer_delays", flat=True) for delay in row]

    buckets: dict[date, dict] = {}

    def bucket(day):
        key = period_start(day, granularity)
        if key not in buckets:
            buckets[key] = dict.fromkeys(("visits", "shares", *FIGURE_FIELDS), 0)
        return buckets[key]

    # Every period of the range appears, empty ones included: a chart with gaps lies.
    day = start
    while day <= end:
        bucket(day)
        day += timedelta(days=1)
    for row in visits:
        bucket(row["day"])["visits"] += row["n"] or 0
    for row in share_days:
        bucket(row["day"])["shares"] += row["n"] or 0
    for row in per_day:
        target = bucket(row["day"])
        for name in FIGURE_FIELDS:
            target[name] += row[name] or 0
    series = [{"period": key, **values} for key, values in sorted(buckets.items())]
    totals = {
        name: sum(row[name] for row in series) for name in ("visits", "shares", *FIGURE_FIELDS)
    }
    return Figures(
        start=start,
        end=end,
        granularity=granularity,
        totals=totals,
        series=series,
        shares_by_network=[(label, per_network.get(value, 0)) for value, label in Network.choices],
        median_answer_seconds=statistics.median(delays) if delays else None,
    )


def lifetime(consultation) -> Figures:
    """Every figure since the consultation's first recorded day (for objectives)."""
    first = min(
        (
            day
            for day in (
                PageVisits.objects.filter(page_id=consultation.pk)
                .order_by("day")
                .values_list("day", flat=True)
                .first(),
                DailyFigures.objects.filter(consultation=consultation)
                .order_by("day")
                .values_list("day", flat=True)
                .first(),
            )
            if day is not None
        ),
        default=None,
    )
    from django.utils import timezone

    today = timezone.localdate()
    start = first or today
    # One bucket for the whole life: "week" over a long range would build many rows.
    result = figures(consultation=consultation, start=start, end=today, granularity="day")
    return result


def metric_value(result: Figures, metric: str) -> float:
    totals = result.totals
    values = {
        Metric.VISITS: totals["visits"],
        Metric.PARTICIPANTS: totals["participants"],
        Metric.COMMENTS: totals["comments"],
        Metric.BALLOTS: totals["ballots"],
        Metric.SHARES: totals["shares"],
        Metric.ANSWERED_PERCENT: result.answered_rate or 0,
        Metric.ENGAGEMENT_PERCENT: result.engagement_rate or 0,
        Metric.SATISFACTION: result.satisfaction or 0,
    }
    return float(values[metric])


def objectives(consultation) -> list[dict]:
    """Each target of the consultation with the figure reached so far, since its start."""
    targets = list(consultation.engagement_objectives.all())
    if not targets:
        return []
    reached = lifetime(consultation)
    progress = []
    for objective in targets:
        value = metric_value(reached, objective.metric)
        target = float(objective.target or Decimal(0))
        percent = 100.0 if target == 0 else min(100.0, 100 * value / target)
        progress.append(
            {"objective": objective, "value": value, "target": target, "percent": percent}
        )
    return progress
