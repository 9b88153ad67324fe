"""The catch-up endpoint of live updates (docs/live-protocol.md).

After a lost connection the page asks what happened since its cursor; where WebSockets
cannot connect at all it asks every 15 seconds. The events are the journalled public
ones, each comment with the public HTML its frame carried: the same answer for every
visitor at a cursor, so it is kept a few seconds in the shared cache. A signed-in
reader also gets their reader context (participation.queries.live) and poll figures as
they may see them.
"""

import logging
from datetime import UTC, datetime

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from participation import events, permissions
from participation.models import Ballot, Comment, ConsultationPage, LiveEvent, Poll, State
from participation.queries import polls as poll_queries
from participation.queries.live import ANONYMOUS, reader_context

logger = logging.getLogger(__name__)

CATCH_UP_SIZE = 200  # events per answer; the page asks again while `more` is true
RENDERED_TYPES = ("comment.created", "comment.edited")
# Seconds a range stays in the shared cache: long enough for a reconnection storm, short
# enough that memory holds only the ranges being asked right now.
CATCH_UP_CACHE_SECONDS = 5


def parse_cursor(value: str):
    """("id", n) for a journal cursor, ("time", datetime) for the page's first cursor
    ("t" + milliseconds since the epoch, written when the page was rendered)."""
    value = (value or "").strip()
    if value.isascii() and value.isdigit() and len(value) < 19:
        return "id", int(value)
    if value.startswith("t") and value[1:].isascii() and value[1:].isdigit() and len(value) < 16:
        return "time", datetime.fromtimestamp(int(value[1:]) / 1000, tz=UTC)
    return None


def page_cursor(now: datetime) -> str:
    return f"t{int(now.timestamp() * 1000)}"


def _visible_html(consultation, found: list[dict]) -> None:
    """Comment events keep their public HTML only while the comment is still published
    (one query): a comment hidden or deleted since then is not handed out again, to
    anyone. Rows journalled without HTML (written before frames carried it, or whose
    rendering failed) are rendered here, once per cached range."""
    ids = {event["id"] for event in found if event["type"] in RENDERED_TYPES}
    if not ids:
        return
    published = {
        comment.pk: comment
        for comment in Comment.objects.filter(
            pk__in=ids, consultation_id=consultation.pk, state=State.PUBLISHED
        ).select_related("author", "in_reply_to__author")
    }
    rendered = {}
    for event in found:
        if event["type"] not in RENDERED_TYPES:
            continue
        comment = published.get(event["id"])
        if comment is None:
            event.pop("html", None)
            event.pop("body", None)
        elif not event.get("html"):
            if comment.pk not in rendered:
                comment.consultation = consultation
                rendered[comment.pk] = events.public_html(comment)
            event["html"] = rendered[comment.pk]


def _polls(user, consultation, ids) -> dict:
    """Each poll's figures as this reader may see them."""
    if not ids:
        return {}
    polls = list(Poll.objects.published().filter(consultation=consultation, pk__in=ids))
    for poll in polls:
        poll.consultation = consultation
    found = {}
    tallies = poll_queries.results(polls)
    voted = set()
    if user.is_authenticated:
        voted = set(
            Ballot.objects.filter(poll__in=polls, voter=user).values_list("poll_id", flat=True)
        )
    for poll in polls:
        results = tallies[poll.pk]
        figures = {"participants": results.participants}
        if poll.results_visible_to(has_voted=poll.pk in voted):
            figures["choices"] = {str(pk): count for pk, count in results.counts.items()}
        found[str(poll.pk)] = figures
    return found


def _shared_answer(consultation, cursor, raw_after: str) -> dict:
    """What every visitor asking from this cursor receives: the events (with each
    comment's public HTML), the public poll figures, the status. Kept a few seconds in
    the shared cache under the consultation and the cursor range (from `after` to the
    journal's last row): after a restart every reader reconnects and asks at once, and
    readers who saw the same frames ask from the same cursor, so each range is read
    and rendered once. The last row is part of the key, so an answer never hides an
    event written after it was kept."""
    rows = LiveEvent.objects.filter(consultation_id=consultation.pk, audience=events.PUBLIC)
    last = rows.order_by("-pk").values_list("pk", flat=True).first()
    key = f"live:catch-up:{consultation.pk}:{raw_after}:{last}"
    shared = cache.get(key)
    if shared is not None:
        return shared
    kind, value = cursor
    rows = rows.filter(pk__gt=value) if kind == "id" else rows.filter(created_at__gt=value)
    rows = list(rows.order_by("pk").values_list("pk", "type", "data")[: CATCH_UP_SIZE + 1])
    more = len(rows) > CATCH_UP_SIZE
    rows = rows[:CATCH_UP_SIZE]
    found = [
        {**data, "type": kind_, "consultation": consultation.pk, "cursor": pk}
        for pk, kind_, data in rows
    ]
    _visible_html(consultation, found)
    polls = {event["poll"] for event in found if event["type"] == "poll.results"}
    shared = {
        "cursor": str(rows[-1][0]) if rows else _same_place(kind, raw_after, last),
        "more": more,
        "events": found,
        "polls": _polls(AnonymousUser(), consultation, polls),
        "status": consultation.status,
    }
    cache.set(key, shared, CATCH_UP_CACHE_SECONDS)
    return shared


def _same_place(kind: str, raw_after: str, last: int | None) -> str:
    """Nothing after the cursor: the same place, as a journal id when it was a moment
    (every row is older than it, so after the last one; after 0 when there is none).
    With a journal id the page can tell, from a frame's `prev`, that it missed one."""
    if kind == "time":
        return str(last or 0)
    return raw_after


@never_cache
@require_GET
def catch_up(request, consultation_id: int):
    consultation = get_object_or_404(ConsultationPage.objects.live().public(), pk=consultation_id)
    raw_after = request.GET.get("after", "").strip()
    cursor = parse_cursor(raw_after)
    if cursor is None:
        return JsonResponse({"error": "bad cursor"}, status=400)
    answer = dict(_shared_answer(consultation, cursor, raw_after))
    if request.user.is_authenticated:
        # The shared part, plus what is this reader's: their context (tools, supports
        # among these comments), poll figures as they may see them, and the compose form.
        shown = [event["id"] for event in answer["events"] if event.get("html")]
        answer["reader"] = reader_context(request, consultation, supported_among=shown)
        polls = {event["poll"] for event in answer["events"] if event["type"] == "poll.results"}
        answer["polls"] = _polls(request.user, consultation, polls)
        answer["can_comment"] = permissions.can(request.user, permissions.COMMENT, consultation)
    else:
        answer["reader"] = ANONYMOUS
        answer["can_comment"] = False
    return JsonResponse(answer)
