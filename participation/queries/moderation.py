"""Reads of the moderation workspace: queues with keyset pages and a fixed number of
queries whatever their size (benchmarks/moderation.py), author histories, summaries."""

from dataclasses import dataclass, field
from datetime import datetime, time

from django.db.models import Case, Count, IntegerField, Prefetch, Q, Value, When
from django.utils import timezone

from participation import permissions
from participation.models import (
    Appeal,
    Ban,
    Comment,
    ConsultationPage,
    Decision,
    ModerationAlert,
    ModerationDecision,
    Report,
    State,
)

PAGE_SIZE = 25

QUEUE_PENDING = "a-moderer"
QUEUE_REPORTED = "signales"
QUEUE_APPEALS = "contestations"
QUEUE_ALL = "tout"
QUEUES = (QUEUE_PENDING, QUEUE_REPORTED, QUEUE_APPEALS, QUEUE_ALL)


def is_id(value: str) -> bool:
    """A row id as typed in an address or a form: ASCII digits ("²" is a digit to
    str.isdigit, not to int) that fit a database integer (a longer one overflowed)."""
    return value.isascii() and value.isdigit() and len(value) < 19


@dataclass
class Filters:
    consultation: int | None = None
    state: str = ""
    reason: str = ""
    author: int | None = None
    since: str = ""
    search: str = ""

    @classmethod
    def from_query(cls, query) -> "Filters":
        def number(name):
            value = (query.get(name) or "").strip()
            return int(value) if is_id(value) else None

        state = query.get("etat", "")
        return cls(
            consultation=number("consultation"),
            state=state if state in State.values else "",
            reason=(query.get("motif") or "").strip()[:20],
            author=number("auteur"),
            since=(query.get("depuis") or "").strip()[:10],
            search=(query.get("q") or "").strip()[:100],
        )


@dataclass
class QueuePage:
    queue: str
    rows: list = field(default_factory=list)
    next_cursor: str = ""
    histories: dict = field(default_factory=dict)
    bans: dict = field(default_factory=dict)


def scoped(queryset, user, field_name="consultation_id"):
    scope = permissions.moderated_consultation_ids(user)
    if scope is None or permissions.roles.has_role(user, permissions.roles.ADMINISTRATORS):
        return queryset
    return queryset.filter(**{f"{field_name}__in": scope})


def _filtered(queryset, filters: Filters, prefix=""):
    if filters.consultation:
        queryset = queryset.filter(**{f"{prefix}consultation_id": filters.consultation})
    if filters.state:
        queryset = queryset.filter(**{f"{prefix}state": filters.state})
    if filters.reason:
        queryset = queryset.filter(
            Q(**{f"{prefix}moderation_reason": filters.reason})
            | Q(**{f"{prefix}reports__reason": filters.reason})
        ).distinct()
    if filters.author:
        queryset = queryset.filter(**{f"{prefix}author_id": filters.author})
    if filters.since:
        try:
            day = datetime.fromisoformat(filters.since).date()
        except ValueError:
            day = None
        if day and not 1900 <= day.year <= 2200:  # year 1 in UTC would overflow
            day = None
        if day:
            start = timezone.make_aware(datetime.combine(day, time.min))
            queryset = queryset.filter(**{f"{prefix}created_at__gte": start})
    if filters.search:
        queryset = queryset.filter(**{f"{prefix}body__icontains": filters.search})
    return queryset


def _cursor_values(token: str) -> list[int]:
    parts = [part for part in token.split(".") if part]
    return [int(part) for part in parts] if all(is_id(part) for part in parts) else []


def _comment_rows(queryset):
    return queryset.select_related("consultation", "author", "parent").prefetch_related(
        Prefetch(
            "reports",
            queryset=Report.objects.order_by("-created_at").only(
                "comment_id", "reason", "details", "created_at"
            ),
            to_attr="report_list",
        )
    )


def queue_page(user, queue: str, filters: Filters, cursor: str = "", size=PAGE_SIZE) -> QueuePage:
    """One page of a queue, newest first ("Signalés": most distinct reporters first)."""
    if queue == QUEUE_APPEALS:
        return appeals_page(user, filters, cursor, size)
    comments = scoped(Comment.objects.all(), user)
    comments = _filtered(comments, filters)
    after = _cursor_values(cursor)
    if queue == QUEUE_PENDING:
        comments = comments.filter(state=State.PENDING)
        order = ["-id"]
        if after:
            comments = comments.filter(id__lt=after[0])
    elif queue == QUEUE_REPORTED:
        comments = comments.filter(reports_open=True)
        order = ["-reports_count", "-id"]
        if len(after) == 2:
            comments = comments.filter(
                Q(reports_count__lt=after[0]) | Q(reports_count=after[0], id__lt=after[1])
            )
    else:
        order = ["-id"]
        if after:
            comments = comments.filter(id__lt=after[0])
    found = list(_comment_rows(comments).order_by(*order)[: size + 1])
    page = QueuePage(queue=queue, rows=found[:size])
    if len(found) > size:
        last = found[size - 1]
        page.next_cursor = (
            f"{last.reports_count}.{last.pk}" if queue == QUEUE_REPORTED else str(last.pk)
        )
    _attach_histories(page, [row.author_id for row in page.rows])
    return page


def appeals_page(user, filters: Filters, cursor="", size=PAGE_SIZE) -> QueuePage:
    appeals = scoped(
        Appeal.objects.filter(status=Appeal.Status.OPEN), user, "comment__consultation_id"
    )
    if filters.consultation:
        appeals = appeals.filter(comment__consultation_id=filters.consultation)
    after = _cursor_values(cursor)
    if after:
        appeals = appeals.filter(id__lt=after[0])
    found = list(
        appeals.select_related(
            "comment__consultation", "comment__author", "comment__parent", "decision__moderator"
        ).order_by("-id")[: size + 1]
    )
    page = QueuePage(queue=QUEUE_APPEALS, rows=found[:size])
    if len(found) > size:
        page.next_cursor = str(found[size - 1].pk)
    _attach_histories(page, [row.comment.author_id for row in page.rows])
    return page


def _attach_histories(page: QueuePage, author_ids) -> None:
    """Previous rejections and hidings per author, and active bans: two queries."""
    author_ids = {pk for pk in author_ids if pk}
    if not author_ids:
        return
    page.histories = dict(
        ModerationDecision.objects.filter(
            author_id__in=author_ids, action__in=(Decision.REJECT, Decision.HIDE)
        )
        .values("author_id")
        .annotate(n=Count("id"))
        .values_list("author_id", "n")
    )
    page.bans = {ban.user_id: ban for ban in Ban.objects.active().filter(user_id__in=author_ids)}


def queue_counts(user) -> dict:
    """How many comments wait in each queue (three indexed counts)."""
    comments = scoped(Comment.objects.all(), user)
    return {
        QUEUE_PENDING: comments.filter(state=State.PENDING).count(),
        QUEUE_REPORTED: comments.filter(reports_open=True).count(),
        QUEUE_APPEALS: scoped(
            Appeal.objects.filter(status=Appeal.Status.OPEN), user, "comment__consultation_id"
        ).count(),
    }


def comment_history(comment):
    from wagtail.models import ModelLogEntry

    return ModelLogEntry.objects.for_instance(comment).select_related("user").order_by("-timestamp")


def moderated_consultations(user):
    pages = ConsultationPage.objects.order_by("title")
    scope = permissions.moderated_consultation_ids(user)
    if scope is not None and not permissions.roles.has_role(user, permissions.roles.ADMINISTRATORS):
        pages = pages.filter(pk__in=scope)
    return pages


def recent_alerts(user, size=50):
    return list(
        scoped(ModerationAlert.objects.all(), user)
        .select_related("consultation", "seen_by")
        .order_by("-id")[:size]
    )


def unseen_alerts_count(user) -> int:
    """Alerts nobody in the team has marked seen yet (index alert_unseen)."""
    return scoped(ModerationAlert.objects.filter(seen_at__isnull=True), user).count()


# --- Bans ----------------------------------------------------------------------------------

BANS_ACTIVE = "actifs"
BANS_ENDED = "termines"
BANS_ALL = "tous"
BAN_FILTERS = (BANS_ALL, BANS_ACTIVE, BANS_ENDED)


@dataclass
class BansPage:
    rows: list = field(default_factory=list)
    next_cursor: str = ""


def bans_page(status: str = BANS_ALL, *, author: int | None = None, cursor="", size=PAGE_SIZE):
    """One page of bans, those still running first, newest first within each group.
    Keyset on (ended, id): a page costs one query at any number of bans."""
    now = timezone.now()
    running = Q(lifted_at__isnull=True) & (Q(ends_at__isnull=True) | Q(ends_at__gt=now))
    bans = Ban.objects.annotate(
        ended=Case(When(running, then=Value(0)), default=Value(1), output_field=IntegerField())
    )
    if status == BANS_ACTIVE:
        bans = bans.filter(ended=0)
    elif status == BANS_ENDED:
        bans = bans.filter(ended=1)
    if author:
        bans = bans.filter(user_id=author)
    after = _cursor_values(cursor)
    if len(after) == 2:
        bans = bans.filter(Q(ended__gt=after[0]) | Q(ended=after[0], id__lt=after[1]))
    found = list(
        bans.select_related("user", "moderator", "lifted_by").order_by("ended", "-id")[: size + 1]
    )
    page = BansPage(rows=found[:size])
    if len(found) > size:
        last = found[size - 1]
        page.next_cursor = f"{last.ended}.{last.pk}"
    return page


def public_summary(consultation) -> dict:
    """Counts only, never content: published, held, rejected, hidden, and by reason."""
    by_state = dict(
        Comment.objects.filter(consultation_id=consultation.pk)
        .values("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    by_reason = dict(
        Comment.objects.filter(
            consultation_id=consultation.pk,
            state__in=(State.REJECTED, State.HIDDEN),
        )
        .exclude(moderation_reason="")
        .values("moderation_reason")
        .annotate(n=Count("id"))
        .values_list("moderation_reason", "n")
    )
    return {
        "published": by_state.get(State.PUBLISHED, 0),
        "pending": by_state.get(State.PENDING, 0),
        "rejected": by_state.get(State.REJECTED, 0),
        "hidden": by_state.get(State.HIDDEN, 0),
        "by_reason": by_reason,
    }


def decisions_about(user):
    return list(
        ModerationDecision.objects.filter(author=user)
        .select_related("comment__consultation")
        .prefetch_related("appeals")
        .order_by("-created_at", "-id")[:100]
    )


def consultation_crisis_history(consultation):
    from wagtail.models import PageLogEntry

    return (
        PageLogEntry.objects.filter(page_id=consultation.pk, action__startswith="tribune.crisis")
        .select_related("user")
        .order_by("-timestamp")[:20]
    )
