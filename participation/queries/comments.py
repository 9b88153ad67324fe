"""Reads of a comment thread that cost the same at any size.

A thread page is: one query for 20 top-level comments (keyset cursor, one index per
sort order) that also finds, per comment, where its first replies stop; one query for
those replies (an index range per comment); one for the viewer's supports; one for the
thread's total. Cursors are signed, so a tampered one is refused with a message.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.db.models import F, OuterRef, Q, QuerySet, Subquery

# Row-value comparisons, "(supports_count, id) < (3, 812)": an index seek on both
# databases, where the equivalent OR of two conditions scans every tie.
from django.db.models.fields.tuple_lookups import (
    TupleGreaterThanOrEqual,
    TupleLessThanOrEqual,
)
from django.utils.translation import gettext_lazy as _

from participation import permissions
from participation.models import Comment, State, Support, ThreadStats
from participation.models.comments import PATH_SEGMENT

CURSOR_SALT = "tribune.comments.cursor"


@dataclass(frozen=True)
class Sort:
    slug: str  # in the URL, French: ?tri=soutenus
    label: str
    fields: tuple[str, ...]  # keyset columns, most significant first
    descending: bool

    @property
    def ordering(self) -> list[str]:
        # Led by depth, which is 0 for every top-level comment: see top_level().
        sign = "-" if self.descending else ""
        return [sign + name for name in ("depth", *self.fields)]


SORTS = {
    sort.slug: sort
    for sort in (
        Sort("recents", _("Most recent"), ("id",), True),
        Sort("anciens", _("Oldest"), ("id",), False),
        Sort("soutenus", _("Most supported"), ("supports_count", "id"), True),
        Sort("discutes", _("Most discussed"), ("replies_count", "id"), True),
    )
}
DEFAULT_SORT = "recents"


class BadCursor(Exception):
    pass


def encode_cursor(sort: Sort, values) -> str:
    return signing.dumps([sort.slug, *values], salt=CURSOR_SALT)


def decode_cursor(sort: Sort, token: str) -> list[int]:
    try:
        data = signing.loads(token, salt=CURSOR_SALT)
    except signing.BadSignature:
        raise BadCursor from None
    if (
        not isinstance(data, list)
        or len(data) != len(sort.fields) + 1
        or data[0] != sort.slug
        or not all(isinstance(value, int) for value in data[1:])
    ):
        raise BadCursor
    return data[1:]


def visible_q(viewer, prefix: str = "") -> Q:
    """What a viewer sees: published comments; "deleted" placeholders; "hidden"
    placeholders that keep published replies in place; their own pending comments."""
    p = prefix
    q = (
        Q(**{f"{p}state": State.PUBLISHED})
        | Q(**{f"{p}state": State.DELETED})
        | Q(**{f"{p}state": State.HIDDEN, f"{p}replies_count__gt": 0})
    )
    if viewer is not None and viewer.is_authenticated:
        q |= Q(**{f"{p}state": State.PENDING, f"{p}author_id": viewer.pk})
    return q


def is_visible(comment, viewer) -> bool:
    """visible_q for one comment already read."""
    state = comment.state
    if state in (State.PUBLISHED, State.DELETED):
        return True
    if state == State.HIDDEN:
        return comment.replies_count > 0
    return (
        state == State.PENDING
        and viewer is not None
        and viewer.is_authenticated
        and comment.author_id == viewer.pk
    )


def top_level(viewer, consultation) -> QuerySet:
    """The top-level comments a viewer sees, to be ordered by Sort.ordering.

    "depth < 1" rather than "depth = 0", and the ordering led by depth: with an
    equality, "newest first" is also the primary key's order, and PostgreSQL, finding
    most rows of a big thread top-level, walked the primary key backwards past every
    newer reply (30,000 rows, 5 ms, at 100,000 comments). No other index gives
    (depth, id), so the planner takes comment_top_recent whatever its statistics say.
    """
    return Comment.objects.filter(visible_q(viewer), consultation=consultation, depth__lt=1)


def after_q(sort: Sort, values) -> Q:
    """Past the cursor, as one row comparison that the sort's index seeks to.

    Inclusive, from the next id: PostgreSQL estimates a row comparison by its first
    column alone, and "depth < 0" matches nothing, so the strict form was estimated at
    one row and planned as a sort of the whole rest of the thread (66 ms at 100,000).
    """
    columns = tuple(F(name) for name in ("depth", *sort.fields))
    *leading, last = values
    if sort.descending:
        return Q(TupleLessThanOrEqual(columns, (0, *leading, last - 1)))
    return Q(TupleGreaterThanOrEqual(columns, (0, *leading, last + 1)))


@dataclass
class ThreadPage:
    consultation: object
    sort: Sort
    items: list
    total: int
    next_cursor: str | None = None
    official_only: bool = False
    focus: Comment | None = None
    started_at_focus: bool = False
    errors: list = field(default_factory=list)


# Rules whose answer depends only on the comment's state and on whether the viewer wrote
# it (the consultation and the viewer are the same for the whole page).
_SHARED_RULES = {
    "may_reply": permissions.REPLY,
    "may_answer_officially": permissions.ANSWER_OFFICIALLY,
    "may_delete": permissions.DELETE_COMMENT,
    "may_support": permissions.SUPPORT_COMMENT,
    "may_report": permissions.REPORT_COMMENT,
}


def _attach_actions(comments, viewer, consultation, supported_ids) -> None:
    """What the viewer may do with each comment, computed without queries, and once per
    kind of comment (state × own or not) rather than once per comment: a page holds
    dozens of comments but a handful of kinds."""
    answers = {}
    for comment in comments:
        comment.consultation = consultation
        comment.viewer_supports = comment.pk in supported_ids
        comment.is_own = viewer.is_authenticated and comment.author_id == viewer.pk
        kind = (comment.state, comment.is_own)
        if kind not in answers:
            answers[kind] = {
                name: permissions.can(viewer, rule, comment) for name, rule in _SHARED_RULES.items()
            }
        for name, allowed in answers[kind].items():
            setattr(comment, name, allowed)
        # Editing also depends on the comment's age: asked of the viewer's own only.
        comment.may_edit = comment.is_own and permissions.can(
            viewer, permissions.EDIT_COMMENT, comment
        )


def build_tree(tops, replies) -> None:
    """Hang each reply (in path order) under its parent; a reply whose parent is not
    shown is dropped (it belongs to a placeholder the viewer does not see)."""
    nodes = {comment.pk: comment for comment in tops}
    for comment in tops:
        comment.shown_replies = []
    for reply in replies:
        reply.shown_replies = []
        parent = nodes.get(reply.parent_id)
        if parent is None:
            continue
        parent.shown_replies.append(reply)
        nodes[reply.pk] = reply


def _with_viewer(comments, viewer, consultation) -> None:
    supported = set()
    if viewer.is_authenticated and comments:
        supported = set(
            Support.objects.filter(
                user=viewer, comment_id__in=[comment.pk for comment in comments]
            ).values_list("comment_id", flat=True)
        )
    _attach_actions(comments, viewer, consultation, supported)


def thread_total(consultation) -> int:
    return (
        ThreadStats.objects.filter(pk=consultation.pk).values_list("comments", flat=True).first()
        or 0
    )


def thread_page(
    consultation,
    viewer,
    *,
    sort: str | None = None,
    cursor: str | None = None,
    official_only: bool = False,
    focus: int | str | None = None,
    size: int | None = None,
) -> ThreadPage:
    size = size or settings.TRIBUNE_COMMENTS_PER_PAGE
    shown = settings.TRIBUNE_COMMENT_REPLIES_SHOWN
    errors = []
    chosen = SORTS.get(sort or DEFAULT_SORT)
    if chosen is None:
        errors.append(_("This sort order does not exist: here are the most recent comments."))
        chosen = SORTS[DEFAULT_SORT]
    visible = visible_q(viewer)

    target = None
    if focus:
        # An id that cannot be a row's ("²", forty digits) is no comment: no query (a
        # number past the database's integers raised).
        focus = str(focus)
        if focus.isascii() and focus.isdigit() and len(focus) < 19:
            target = (
                Comment.objects.filter(visible, consultation=consultation, pk=int(focus))
                .only("pk", "root_id", "path", "parent_id")
                .first()
            )
        if target is None:
            errors.append(
                _("This comment is not (or no longer) visible: here is the whole discussion.")
            )

    after = None
    if target is not None:
        # Start the list at the comment's thread, newest first: everything above is
        # one "back to the start" link away.
        chosen, official_only = SORTS[DEFAULT_SORT], False
        after = [target.thread_id + 1]
    elif cursor:
        try:
            after = decode_cursor(chosen, cursor)
        except BadCursor:
            errors.append(
                _("This page link is not valid (perhaps cut off): here is the start of the thread.")
            )

    first_replies_end = Subquery(
        Comment.objects.filter(visible, root_id=OuterRef("pk"))
        .order_by("path")
        .values("path")[shown - 1 : shown]
    )
    tops = top_level(viewer, consultation)
    if official_only:
        tops = tops.filter(has_official_answer=True)
    if after is not None:
        tops = tops.filter(after_q(chosen, after))
    tops = list(
        tops.select_related("author")
        .annotate(first_replies_end=first_replies_end)
        .order_by(*chosen.ordering)[: size + 1]
    )
    next_cursor = None
    if len(tops) > size:
        tops = tops[:size]
        last = tops[-1]
        next_cursor = encode_cursor(chosen, [getattr(last, name) for name in chosen.fields])

    replies = []
    if tops:
        ranges = Q(root_id__in=[c.pk for c in tops if c.first_replies_end is None])
        for comment in tops:
            if comment.first_replies_end is not None:
                ranges |= Q(root_id=comment.pk, path__lte=comment.first_replies_end)
        # Visibility is checked here rather than in SQL: with it, SQLite's planner
        # preferred an OR over states (every published comment) to these index ranges.
        replies = [
            reply
            for reply in Comment.objects.filter(ranges)
            .select_related("author", "in_reply_to__author")
            .order_by("path")
            if is_visible(reply, viewer)
        ]
        if target is not None and target.root_id:
            shown_ids = {reply.pk for reply in replies}
            if target.pk not in shown_ids:
                # The linked reply and its ancestors, beyond the first replies.
                chain = [
                    int(target.path[i + 1 : i + PATH_SEGMENT])
                    for i in range(0, len(target.path), PATH_SEGMENT)
                ]
                replies += list(
                    Comment.objects.filter(visible, pk__in=chain[1:])
                    .exclude(pk__in=shown_ids)
                    .select_related("author", "in_reply_to__author")
                )
                replies.sort(key=lambda reply: reply.path)
    build_tree(tops, replies)
    for comment in tops:
        published_shown = _count_published_shown(comment)
        comment.hidden_replies = max(0, comment.replies_count - published_shown)
    _with_viewer(tops + replies, viewer, consultation)
    return ThreadPage(
        consultation=consultation,
        sort=chosen,
        items=tops,
        total=thread_total(consultation),
        next_cursor=next_cursor,
        official_only=official_only,
        focus=target,
        started_at_focus=target is not None,
        errors=errors,
    )


def _count_published_shown(comment) -> int:
    return sum(
        (reply.state == State.PUBLISHED) + _count_published_shown(reply)
        for reply in comment.shown_replies
    )


@dataclass
class RepliesPage:
    root: Comment
    items: list
    next_cursor: str | None
    errors: list


REPLIES_SORT = Sort("fil", "", ("path",), False)


def replies_page(root, viewer, *, cursor=None, size=None) -> RepliesPage:
    """Every reply of a top-level comment, in reading order, page after page."""
    size = size or settings.TRIBUNE_COMMENT_REPLIES_PER_PAGE
    errors = []
    replies = Comment.objects.filter(visible_q(viewer), root=root)
    if cursor:
        try:
            data = signing.loads(cursor, salt=CURSOR_SALT + ".replies")
            if not isinstance(data, str):
                raise signing.BadSignature
            replies = replies.filter(path__gt=data)
        except signing.BadSignature:
            errors.append(
                _("This page link is not valid (perhaps cut off): here are the first replies.")
            )
    replies = list(
        replies.select_related("author", "in_reply_to__author").order_by("path")[: size + 1]
    )
    next_cursor = None
    if len(replies) > size:
        replies = replies[:size]
        next_cursor = signing.dumps(replies[-1].path, salt=CURSOR_SALT + ".replies")
    # Direct replies, and replies whose parent is on an earlier page, make the list.
    nodes = {}
    items = []
    for reply in replies:
        reply.shown_replies = []
        parent = nodes.get(reply.parent_id)
        (parent.shown_replies if parent is not None else items).append(reply)
        nodes[reply.pk] = reply
    root.shown_replies = []
    root.hidden_replies = 0
    _with_viewer([root, *replies], viewer, root.consultation)
    return RepliesPage(root=root, items=items, next_cursor=next_cursor, errors=errors)


def visible_comment(viewer, pk) -> Comment | None:
    """One comment the viewer may see, with its consultation, or None."""
    return (
        Comment.objects.filter(visible_q(viewer), pk=pk)
        .select_related("author", "consultation", "in_reply_to__author")
        .first()
    )


def with_actions(comment, viewer) -> Comment:
    """One comment ready for its template: what the viewer may do with it."""
    comment.shown_replies = getattr(comment, "shown_replies", [])
    comment.hidden_replies = getattr(comment, "hidden_replies", 0)
    _with_viewer([comment], viewer, comment.consultation)
    return comment


def versions(comment):
    """Previous texts of a comment, newest first (moderators only)."""
    return comment.versions.all()
