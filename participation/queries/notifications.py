"""Reads of the notification centre: fixed query counts at any number of rows."""

from dataclasses import dataclass

from django.db.models import Q

from participation.models import Follow, Notification, State

PAGE_SIZE = 20


def visible(queryset):
    """A notification about a comment since hidden or deleted is not shown."""
    return queryset.filter(Q(comment__isnull=True) | Q(comment__state=State.PUBLISHED))


def unread_count(user) -> int:
    """The bell's figure: one indexed count (partial index on unread rows)."""
    if not user.is_authenticated:
        return 0
    return visible(Notification.objects.filter(recipient=user, read_at__isnull=True)).count()


@dataclass
class Page:
    items: list
    next_before: int | None
    newest: int | None


def centre_page(user, *, before: int | None = None, size: int = PAGE_SIZE) -> Page:
    """One page of the person's notifications, newest first (keyset on id): one query."""
    rows = visible(Notification.objects.filter(recipient=user))
    if before:
        rows = rows.filter(pk__lt=before)
    items = list(rows.select_related("consultation", "comment__author").order_by("-pk")[: size + 1])
    more = len(items) > size
    items = items[:size]
    return Page(
        items=items,
        next_before=items[-1].pk if more else None,
        newest=items[0].pk if items else None,
    )


def follows_of(user) -> list:
    """Everything the person follows, newest first (a person follows a few dozen)."""
    return list(
        Follow.objects.filter(user=user)
        .select_related("consultation", "thread__consultation", "theme")
        .order_by("-pk")
    )
