"""What is broadcast, and the single point that broadcasts it.

Services schedule `publish(...)` with `transaction.on_commit`, so nothing is sent for a
write that rolled back. Public events carry only what the public page shows; anything
else goes to the moderators' audience. docs/live-protocol.md describes every type.
"""

import asyncio
import json
import logging
from dataclasses import dataclass, field, replace
from datetime import UTC

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from redis.exceptions import RedisError

from cms.breaker import breaker_for

logger = logging.getLogger(__name__)

PUBLIC = "public"
MODERATORS = "moderators"
MODERATORS_GROUP = "moderation"
# Every signed-in person's personal stream listens to this one group (one channel-layer
# subscription per process, not one per person); each connection keeps only its own
# count from a message, so what a browser receives is that person's figure alone.
PEOPLE_GROUP = "people"
BROADCASTS = "channel layer"  # its circuit breaker, also read by /health/ (cms.health)
BROADCAST_TIMEOUT = 2  # seconds a committed write may wait for its broadcast, at most


@dataclass(frozen=True)
class Event:
    type: str
    consultation_id: int
    data: dict = field(default_factory=dict)
    audience: str = PUBLIC
    # A comment whose public HTML the event carries, rendered once in publish() (after
    # the commit, outside the service's transaction) for every reader alike.
    comment: object = field(default=None, compare=False, repr=False)


def consultation_group(consultation_id: int) -> str:
    return f"consultation-{consultation_id}"


def group_for(event: Event) -> str:
    if event.audience == MODERATORS:
        return MODERATORS_GROUP
    return consultation_group(event.consultation_id)


def publish(event: Event) -> None:
    """Journal the event (public ones), then send it to its group. Never raises: the
    write it reports has already committed, and readers recover what they missed
    through the catch-up endpoint."""
    layer = get_channel_layer()
    if event.comment is not None:
        event = replace(event, data={**event.data, "html": public_html(event.comment)})
    payload = {"type": event.type, "consultation": event.consultation_id, **event.data}
    cursor, previous = journal(event) if event.audience == PUBLIC else (None, None)
    if layer is None:
        return
    message = {"type": "event.broadcast", "event": payload}
    if cursor is not None:
        # Serialised here, once, rather than by each of the thousand consumers. `prev`
        # (the consultation's previous journal row) lets a page see that a frame never
        # reached it (a broadcast skipped while Redis was out) and catch up at once.
        message["cursor"] = cursor
        message["text"] = json.dumps(
            {**payload, "cursor": cursor, "prev": previous}, separators=(",", ":")
        )
    breaker = breaker_for(BROADCASTS)
    if not breaker.allows():
        # Redis was out a moment ago: the write does not wait for it again. Readers were
        # let go by their process's watch (consumers.LayerWatch) and catch up from the
        # journal when they reconnect.
        logger.info("broadcast of %s skipped: channel layer out", event.type)
        return
    try:
        async_to_sync(_send)(layer, group_for(event), message)
    except Exception as error:  # a broadcast failure must not fail the request
        breaker.failed(error)
        logger.warning(
            "broadcast of %s for consultation %s failed",
            event.type,
            event.consultation_id,
            exc_info=not isinstance(error, (RedisError, OSError, TimeoutError)),
        )
    else:
        breaker.succeeded()


def public_html(comment) -> str:
    """The comment as every reader's page inserts it (comment_cards.public_item_html):
    rendered once per event, in the site's language and time zone, whoever triggered
    it. An empty string if it cannot be rendered: the page then leaves the comment to
    its next catch-up, which renders what the journal lacks."""
    from django.conf import settings
    from django.utils import timezone, translation

    # Deferred like the journal's imports: services import this module, and the cards
    # import the models and permissions that services use.
    from participation.templatetags import comment_cards

    try:
        with translation.override(settings.LANGUAGE_CODE), timezone.override(settings.TIME_ZONE):
            return str(comment_cards.public_item_html(comment, institution=_institution(comment)))
    except Exception:
        logger.warning("public rendering of comment %s failed", comment.pk, exc_info=True)
        return ""


def _institution(comment) -> str:
    """The institution an official answer speaks for (the site's branding)."""
    if not comment.is_official:
        return ""
    from cms.models import BrandingSettings  # Wagtail's models: loaded once an answer needs it

    site = comment.consultation.get_site()
    return BrandingSettings.for_site(site).institution_name if site else ""


async def _send(layer, group, message) -> None:
    await asyncio.wait_for(layer.group_send(group, message), timeout=BROADCAST_TIMEOUT)


# --- Live journal ----------------------------------------------------------------------
# Public events are kept for a while so a reader who lost the connection catches up
# (participation.models.live, docs/live-protocol.md).

# Events that carry only the latest figure of one thing: the newest replaces the older.
LATEST_ONLY = {"comment.supports": "id", "poll.results": "poll"}
PRUNE_EVERY = 500  # rows written between two prunings of the journal


def coalescing_key(payload: dict) -> str:
    field_name = LATEST_ONLY.get(payload.get("type"))
    if field_name is None:
        return ""
    return f"{payload['type']}:{payload.get(field_name)}"


def journal(event: Event) -> tuple[int | None, int | None]:
    """Write the event to the journal; return its cursor and the cursor of the
    consultation's previous public row that is not a latest-only figure (None when
    none), or (None, None) when the journal cannot be written (the broadcast goes out
    anyway, without a cursor)."""
    from datetime import timedelta

    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from participation.models import LiveEvent

    payload = {"type": event.type, **event.data}
    key = coalescing_key(payload)
    try:
        with transaction.atomic():
            if key:
                LiveEvent.objects.filter(key=key).delete()
            row = LiveEvent.objects.create(
                consultation_id=event.consultation_id,
                audience=event.audience,
                type=event.type,
                data=event.data,
                key=key,
            )
            # The chain leaves out figures that only matter at their latest value: a
            # reader gets only the newest of a burst of them, and older rows are deleted.
            previous = (
                LiveEvent.objects.filter(
                    consultation_id=event.consultation_id,
                    audience=event.audience,
                    key="",
                    pk__lt=row.pk,
                )
                .order_by("-pk")
                .values_list("pk", flat=True)
                .first()
            )
            if row.pk % PRUNE_EVERY == 0:
                hours = settings.TRIBUNE_LIVE_JOURNAL_HOURS
                LiveEvent.objects.filter(
                    created_at__lt=timezone.now() - timedelta(hours=hours)
                ).delete()
    except Exception:
        logger.warning("journal of %s failed", event.type, exc_info=True)
        return None, None
    return row.pk, previous


def comment_state_changed(comment, *, was_published: bool) -> list[Event]:
    """A moderator (or any service) moved a comment between states with move_to_state:
    readers see it appear, or see it replaced by its placeholder (or vanish when a
    placeholder would hold nothing)."""
    if comment.is_published:
        if was_published:
            return []
        return comment_created(comment)
    found = []
    if was_published:
        placeholder = ""
        if comment.state == "hidden" and comment.replies_count > 0:
            placeholder = "hidden"
        elif comment.state == "deleted":
            placeholder = "deleted"
        found.append(
            Event(
                "comment.removed",
                comment.consultation_id,
                {"id": comment.pk, "parent": comment.parent_id, "placeholder": placeholder},
            )
        )
    return found


def consultation_status(consultation) -> list[Event]:
    """The consultation opened, closed or turned its comments off, or an editor changed
    its dates: readers' forms follow, and each connection sets its timers anew."""
    return [
        Event(
            "consultation.status",
            consultation.pk,
            {
                "status": consultation.status,
                "comments": bool(consultation.comments_enabled),
                "opens_at": _moment(consultation.opens_at),
                "closes_at": _moment(consultation.closes_at),
            },
        )
    ]


def _moment(value) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


# --- end of live journal ----------------------------------------------------------------


def poll_results_changed(poll, results) -> Event:
    """A ballot was cast or changed. Carries what the public page shows to everyone: the
    number of participants, and the tallies only when the poll shows them to all
    (`results` is queries.polls.Results). Never who voted, nor what anyone chose."""
    data = {"poll": poll.pk, "participants": results.participants}
    if poll.results_visible_to(has_voted=False):
        data["choices"] = {str(choice_id): count for choice_id, count in results.counts.items()}
    return Event(type="poll.results", consultation_id=poll.consultation_id, data=data)


# --- Comment threads -----------------------------------------------------------------
# Public events carry what the public page shows of a published comment, never an
# e-mail, the text of a pending or hidden comment, or who supports what.


def _comment_public_data(comment) -> dict:
    return {
        "id": comment.pk,
        "parent": comment.parent_id,
        "root": comment.root_id,
        "depth": comment.depth,
        "author": comment.author.display_name if comment.author_id else "",
        "body": comment.body,
        "position": comment.position,
        "official": comment.is_official,
        "created_at": comment.created_at.isoformat(),
        "edited": comment.edited_at is not None,
        "supports": comment.supports_count,
    }


def comment_created(comment) -> list[Event]:
    if comment.is_published:
        return [
            Event(
                "comment.created",
                comment.consultation_id,
                _comment_public_data(comment),
                comment=comment,
            )
        ]
    # Pending (a priori moderation): only the moderators hear of it, without its text.
    return [
        Event(
            "comment.pending",
            comment.consultation_id,
            {"id": comment.pk, "parent": comment.parent_id},
            audience=MODERATORS,
        )
    ]


def comment_edited(comment, *, was_published: bool) -> list[Event]:
    if comment.is_published:
        return [
            Event(
                "comment.edited",
                comment.consultation_id,
                _comment_public_data(comment),
                comment=comment,
            )
        ]
    found = []
    if was_published:
        # Back to pre-moderation: public pages drop it, without learning the new text.
        found.append(Event("comment.removed", comment.consultation_id, {"id": comment.pk}))
    found.append(
        Event(
            "comment.pending",
            comment.consultation_id,
            {"id": comment.pk, "parent": comment.parent_id},
            audience=MODERATORS,
        )
    )
    return found


def comment_deleted(comment) -> list[Event]:
    return [
        Event(
            "comment.deleted",
            comment.consultation_id,
            {"id": comment.pk, "parent": comment.parent_id, "root": comment.root_id},
        )
    ]


def comment_supports_changed(comment) -> list[Event]:
    return [
        Event(
            "comment.supports",
            comment.consultation_id,
            {"id": comment.pk, "supports": comment.supports_count},
        )
    ]


def comment_reported(comment) -> list[Event]:
    return [
        Event(
            "comment.reported",
            comment.consultation_id,
            {"id": comment.pk, "reports": comment.reports_count},
            audience=MODERATORS,
        )
    ]


def publish_all(found: list[Event]) -> None:
    for event in found:
        publish(event)


# --- The personal stream: each person's unread notifications --------------------------


def notify_counts(user_ids) -> None:
    """Tell these people's open pages their unread count: one grouped query and one
    broadcast per batch (services.notifications calls it per batch of the fan-out).
    The map of counts stays inside the servers: a connection sends its own figure only.
    Never raises, like `publish`."""
    from django.db.models import Count  # deferred like the journal's imports

    from participation.models import Notification

    user_ids = list(user_ids)
    layer = get_channel_layer()
    if layer is None or not user_ids:
        return
    counts = dict.fromkeys(user_ids, 0)
    counts.update(
        Notification.objects.filter(recipient_id__in=user_ids, read_at__isnull=True)
        .values("recipient_id")
        .annotate(n=Count("pk"))
        .values_list("recipient_id", "n")
    )
    message = {
        "type": "event.broadcast",
        "event": {"type": "notifications.count"},
        "counts": {str(pk): n for pk, n in counts.items()},
    }
    breaker = breaker_for(BROADCASTS)
    if not breaker.allows():
        logger.info("notification counts skipped: channel layer out")
        return
    try:
        async_to_sync(_send)(layer, PEOPLE_GROUP, message)
    except Exception as error:
        breaker.failed(error)
        logger.warning(
            "notification counts not broadcast",
            exc_info=not isinstance(error, (RedisError, OSError, TimeoutError)),
        )
    else:
        breaker.succeeded()
