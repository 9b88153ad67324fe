"""The catch-up endpoint of live updates (docs/live-protocol.md).

After a lost connection the page asks what happened since its cursor; where WebSockets
cannot connect at all it asks every 15 seconds. The events are the journalled public
ones; the comments they bring are rendered here for this reader (their own actions,
"vous soutenez"), and poll figures are given as this reader may see them.
"""

import logging
from datetime import UTC, datetime

from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from participation import events, permissions
from participation.models import Ballot, Comment, ConsultationPage, LiveEvent, Poll
from participation.queries import comments as comment_queries
from participation.queries import polls as poll_queries
from participation.templatetags import comment_cards

logger = logging.getLogger(__name__)

CATCH_UP_SIZE = 200  # events per answer; the page asks again while `more` is true
RENDERED_TYPES = ("comment.created", "comment.edited")


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


def _comments_html(request, consultation, ids) -> dict:
    if not ids:
        return {}
    comments = list(
        Comment.objects.filter(
            comment_queries.visible_q(request.user), pk__in=ids, consultation_id=consultation.pk
        ).select_related("author", "in_reply_to__author")
    )
    for comment in comments:
        comment.consultation = consultation
        comment.shown_replies = []
        comment.hidden_replies = 0
    comment_queries._with_viewer(comments, request.user, consultation)
    from cms.models import BrandingSettings

    options = {
        "csrf_token": get_token(request),
        "institution": BrandingSettings.for_request(request).institution_name,
        "request": request,
    }
    return {
        str(comment.pk): str(comment_cards.item_html(comment, **options)) for comment in comments
    }


def _polls(request, consultation, ids) -> dict:
    """Each poll's figures as this reader may see them."""
    if not ids:
        return {}
    polls = list(Poll.objects.published().filter(consultation=consultation, pk__in=ids))
    for poll in polls:
        poll.consultation = consultation
    found = {}
    tallies = poll_queries.results(polls)
    voted = set()
    if request.user.is_authenticated:
        voted = set(
            Ballot.objects.filter(poll__in=polls, voter=request.user).values_list(
                "poll_id", flat=True
            )
        )
    for poll in polls:
        results = tallies[poll.pk]
        figures = {"participants": results.participants}
        if poll.results_visible_to(has_voted=poll.pk in voted):
            figures["choices"] = {str(pk): count for pk, count in results.counts.items()}
        found[str(poll.pk)] = figures
    return found


@never_cache
@require_GET
def catch_up(request, consultation_id: int):
    consultation = get_object_or_404(ConsultationPage.objects.live().public(), pk=consultation_id)
    cursor = parse_cursor(request.GET.get("after", ""))
    if cursor is None:
        return JsonResponse({"error": "bad cursor"}, status=400)
    rows = LiveEvent.objects.filter(consultation_id=consultation.pk, audience=events.PUBLIC)
    kind, value = cursor
    rows = rows.filter(pk__gt=value) if kind == "id" else rows.filter(created_at__gt=value)
    rows = list(rows.order_by("pk").values_list("pk", "type", "data")[: CATCH_UP_SIZE + 1])
    more = len(rows) > CATCH_UP_SIZE
    rows = rows[:CATCH_UP_SIZE]
    found = [
        {**data, "type": kind_, "consultation": consultation.pk, "cursor": pk}
        for pk, kind_, data in rows
    ]
    rendered = {event["id"] for event in found if event["type"] in RENDERED_TYPES}
    polls = {event["poll"] for event in found if event["type"] == "poll.results"}
    new_cursor = str(rows[-1][0]) if rows else request.GET["after"].strip()
    response = JsonResponse(
        {
            "cursor": new_cursor,
            "more": more,
            "events": found,
            "comments": _comments_html(request, consultation, rendered),
            "polls": _polls(request, consultation, polls),
            "status": consultation.status,
            "can_comment": permissions.can(request.user, permissions.COMMENT, consultation),
        }
    )
    return response
