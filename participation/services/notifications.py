"""What people are told, on the site and by e-mail.

Services call the functions at the top (`comment_posted`, `comment_published`,
`decision_made`, `results_published`) inside their own transaction: each only
schedules, on commit, the task `participation.tasks.fan_out_notifications`, never
work per recipient in the request. The task (`fan_out`) builds the recipients batch
by batch, inserts their notifications with ON CONFLICT DO NOTHING on the unique
(event key, recipient) — a second run, after a worker restart, creates nothing twice —
and sends the immediate e-mails, each claimed by a conditional UPDATE of `emailed_at`
before it leaves, so none leaves twice. Digests are sent by `send_digests`, from the
scheduler (participation/schedule.py).

Moderation's other e-mails (bans, alerts to moderators) stay plain e-mails below:
they are not about following anything."""

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles
from cms import queries
from consent.models import ConsentRecord, Decision
from consent.models import Purpose as ConsentPurpose
from consent.services import mail
from consent.services import records as consent_records
from participation import permissions
from participation.models import (
    Comment,
    ConsultationPage,
    ConsultationTag,
    EmailMode,
    Follow,
    Kind,
    ModerationDecision,
    ModerationRules,
    Notification,
    NotificationPreference,
    State,
)
from participation.models.moderation import patterns

logger = logging.getLogger(__name__)


def later(task, *args) -> None:
    """Enqueue a task once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: task.enqueue(*args))


def _site_url(path: str) -> str:
    # The Wagtail Site's address (what the operator set, or where `make run` serves),
    # not a fixed base URL that points at a port nobody serves.
    return queries.absolute_url(path)


# --- Preferences -------------------------------------------------------------------------

# Least intrusive: on the site only. Two exceptions, each resting on something the
# person asked for: the official answer to their own question is e-mailed at once when
# they ticked the optional e-mails box at sign-up (resolved per person in `_modes`), and
# a moderation decision on their comment keeps the e-mail it always had (the statement
# of reasons the DSA, art. 17, requires to reach the person).
DEFAULTS = {
    Kind.REPLY: EmailMode.NEVER,
    Kind.OFFICIAL_ANSWER: EmailMode.NEVER,
    Kind.DECISION: EmailMode.IMMEDIATE,
    Kind.RESULTS: EmailMode.NEVER,
    Kind.NEW_CONSULTATION: EmailMode.NEVER,
    Kind.CLOSING: EmailMode.NEVER,
}
# Version of the wording recorded in the consent records of e-mail choices.
PREFERENCES_VERSION = "2"


def preferences_of(user) -> dict:
    """Each kind's e-mail mode for this person, defaults filled in, and auto_follow."""
    row = NotificationPreference.objects.filter(user=user).first()
    opted_in = consent_records.wants_notifications(user)
    modes = {
        kind: (getattr(row, kind) if row and getattr(row, kind) else _default(kind, opted_in))
        for kind in Kind.values
    }
    return {"modes": modes, "auto_follow": row.auto_follow if row else True}


def _default(kind, opted_in: bool) -> str:
    if kind == Kind.OFFICIAL_ANSWER and opted_in:
        return EmailMode.IMMEDIATE
    return DEFAULTS[kind]


def preferences_text(modes: dict) -> str:
    """The choices as the person saw them, kept (hashed) in the consent record."""
    labels = dict(EmailMode.choices)
    return "\n".join(f"{label} : {labels[modes[kind]]}" for kind, label in Kind.choices)


def _hit(user, action: str) -> None:
    from participation import ratelimits

    limit, period = settings.TRIBUNE_RATE_LIMITS.get(action, (30, 60))
    ratelimits.hit(user, action, limit=limit, period=period)


def set_preferences(
    *, user, modes: dict, auto_follow: bool | None = None, limited: bool = True
) -> dict:
    """Save the person's e-mail choices; each change is a consent record (purpose
    « notifications par e-mail », the choices in its version and text). `limited`:
    counted against the person's rate limit (not for the unsubscribe link, which a
    mail provider may follow for them)."""
    if not user.is_authenticated:
        raise PermissionDenied(_("Sign in to choose your notifications."))
    if limited:
        _hit(user, "notification_preferences")
    current = preferences_of(user)
    wanted = dict(current["modes"])
    for kind, mode in modes.items():
        if kind not in Kind.values or mode not in EmailMode.values:
            raise ValidationError(_("Choose one of the options offered."), code="bad_choice")
        wanted[kind] = mode
    follow_flag = current["auto_follow"] if auto_follow is None else bool(auto_follow)
    with transaction.atomic():
        NotificationPreference.objects.update_or_create(
            user=user, defaults={**wanted, "auto_follow": follow_flag}
        )
        if wanted != current["modes"]:
            _record_consent(user, wanted)
    logger.info("notification preferences saved (account %s)", user.pk)
    return {"modes": wanted, "auto_follow": follow_flag}


def _record_consent(user, modes: dict) -> None:
    emailed = any(mode != EmailMode.NEVER for mode in modes.values())
    previous = consent_records.latest(user, ConsentPurpose.NOTIFICATIONS)
    decision = Decision.GRANTED if emailed else Decision.WITHDRAWN if previous else Decision.REFUSED
    # One letter per kind, in Kind's order: the version says what was chosen.
    letters = "".join(modes[kind][0] for kind in Kind.values)
    consent_records.record(
        purpose=ConsentPurpose.NOTIFICATIONS,
        decision=decision,
        version=f"{PREFERENCES_VERSION}:{letters}",
        text=preferences_text(modes),
        user=user,
    )


def _modes(kind: str, user_ids: list[int], *, explicit: set | None = None) -> dict:
    """E-mail mode per recipient of one batch: two queries, whatever the batch size."""
    chosen = dict(
        NotificationPreference.objects.filter(user_id__in=user_ids)
        .exclude(**{kind: ""})
        .values_list("user_id", kind)
    )
    opted_in = set()
    if kind == Kind.OFFICIAL_ANSWER:
        opted_in = set(
            ConsentRecord.objects.current()
            .filter(
                purpose=ConsentPurpose.NOTIFICATIONS,
                decision=Decision.GRANTED,
                user_id__in=user_ids,
            )
            .values_list("user_id", flat=True)
        )
    modes = {}
    for user_id in user_ids:
        if user_id in chosen:
            modes[user_id] = chosen[user_id]
        elif kind == Kind.RESULTS and explicit is not None and user_id in explicit:
            # « Suivre » on the page promises an e-mail when the results come out.
            modes[user_id] = EmailMode.IMMEDIATE
        else:
            modes[user_id] = _default(kind, user_id in opted_in)
    return modes


# --- Follows -------------------------------------------------------------------------------


def follow_automatically(user, consultation) -> None:
    """Taking part (a comment, a vote) follows the consultation, unless the person
    turned that off. Call inside the service's transaction."""
    if not NotificationPreference.objects.filter(user=user, auto_follow=False).exists():
        Follow.objects.get_or_create(
            consultation=consultation, user=user, defaults={"automatic": True}
        )


def stop_follow(*, user, follow_id) -> bool:
    """Stop one of one's own follows; someone else's is refused as if it did not exist."""
    follow = Follow.objects.filter(pk=follow_id).first()
    permissions.require(user, permissions.STOP_FOLLOW, follow)
    _hit(user, "follow")
    follow.delete()
    return True


def follow_thread(*, user, comment) -> Follow:
    """Follow a thread (its top-level comment): told of its official answers."""
    permissions.require(user, permissions.FOLLOW_THREAD, comment)
    _hit(user, "follow")
    root_id = comment.root_id or comment.pk
    follow, _created = Follow.objects.get_or_create(thread_id=root_id, user=user)
    return follow


def follow_theme(*, user, tag) -> Follow:
    """Follow a theme: told of each new consultation on it."""
    if not user.is_authenticated:
        raise PermissionDenied(_("Sign in to follow this theme."))
    if not user.has_verified_email:
        raise PermissionDenied(
            _("Confirm your e-mail address to take part: follow the link we sent you.")
        )
    _hit(user, "follow")
    follow, _created = Follow.objects.get_or_create(theme=tag, user=user)
    return follow


def _is_public(consultation_id) -> bool:
    return ConsultationPage.objects.live().public().filter(pk=consultation_id).exists()


# --- Events: called by the services, in their transaction -----------------------------------


def comment_posted(comment) -> None:
    """A comment or reply was written: follow for its author; tell whom it concerns
    once it is public (a held comment waits for `comment_published`)."""
    follow_automatically(comment.author, comment.consultation)
    comment_published(comment)


def comment_published(comment) -> None:
    if not comment.is_published or comment.parent_id is None:
        return
    from participation import tasks  # tasks import this module to do the work

    kind = Kind.OFFICIAL_ANSWER if comment.is_official else Kind.REPLY
    later(tasks.fan_out_notifications, kind, comment.pk)


def comment_withdrawn(comment_ids) -> int:
    """Hidden, rejected or deleted: what was said about it leaves the centre."""
    # A list or a queryset of ids (a subquery: an erased account may have written many).
    removed, _details = Notification.objects.filter(comment_id__in=comment_ids).delete()
    return removed


def decision_made(decision) -> None:
    from participation import tasks

    later(tasks.fan_out_notifications, Kind.DECISION, decision.pk)


def results_published(consultation) -> None:
    from participation import tasks

    later(tasks.fan_out_notifications, Kind.RESULTS, consultation.pk)


def announce_consultations(*, now=None) -> int:
    """The scheduler's part (participation/schedule.py): consultations opened lately
    are announced to those who follow one of their themes, and those closing within
    3 days to their followers. Each is one fan-out task; run as often as wanted, an
    announcement is made once (its event key)."""
    from participation import tasks

    now = now or timezone.now()
    window = timedelta(days=settings.TRIBUNE_CLOSING_NOTICE_DAYS)
    pages = ConsultationPage.objects.live().public()
    opened = pages.filter(opens_at__lte=now, opens_at__gt=now - timedelta(days=2))
    closing = pages.filter(closes_at__gt=now, closes_at__lte=now + window)
    count = 0
    for pk in opened.values_list("pk", flat=True):
        tasks.fan_out_notifications.enqueue(Kind.NEW_CONSULTATION, pk)
        count += 1
    for pk in closing.values_list("pk", flat=True):
        tasks.fan_out_notifications.enqueue(Kind.CLOSING, pk)
        count += 1
    return count


def digests_due(*, now=None) -> list[str]:
    """The digests the morning run sends: daily every day, weekly on Mondays."""
    now = timezone.localtime(now or timezone.now())
    modes = [EmailMode.DAILY]
    if now.weekday() == 0:
        modes.append(EmailMode.WEEKLY)
    return modes


# --- Fan-out: run by the tasks worker ----------------------------------------------------


@dataclass
class Event:
    kind: str
    key: str
    consultation_id: int | None
    comment_id: int | None
    data: dict
    exclude: int | None  # who caused it is not told about it


def _keyset(queryset, field: str, size: int) -> Iterator[list[int]]:
    """User ids of `queryset` (rows with an id and `field`) in pages of `size`, by id:
    memory stays flat at any number of followers."""
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", field)[:size])
        if not rows:
            return
        last = rows[-1][0]
        yield [user_id for _pk, user_id in rows]


def _event_and_recipients(kind: str, object_id: int, size: int):
    if kind in (Kind.REPLY, Kind.OFFICIAL_ANSWER):
        comment = (
            Comment.objects.select_related("parent", "in_reply_to")
            .filter(pk=object_id, state=State.PUBLISHED)
            .first()
        )
        if comment is None or comment.parent_id is None:
            return None, iter(())
        prefix = "answer" if kind == Kind.OFFICIAL_ANSWER else "reply"
        event = Event(
            kind,
            f"{prefix}:{comment.pk}",
            comment.consultation_id,
            comment.pk,
            {},
            comment.author_id,
        )
        answered = comment.in_reply_to or comment.parent
        first = [answered.author_id] if answered.author_id else []
        if kind == Kind.REPLY:
            return event, iter([first])
        return event, _thread_recipients(comment, first, size)
    if kind == Kind.DECISION:
        decision = ModerationDecision.objects.select_related("comment").filter(pk=object_id).first()
        if decision is None or decision.author_id is None:
            return None, iter(())
        event = Event(
            kind,
            f"decision:{decision.pk}",
            decision.comment.consultation_id,
            None,  # kept when the comment is hidden: the decision is what it tells
            {"decision": decision.pk, "action": decision.action, "comment": decision.comment_id},
            None,
        )
        return event, iter([[decision.author_id]])
    if kind == Kind.RESULTS:
        event = Event(kind, f"results:{object_id}", object_id, None, {}, None)
        follows = Follow.objects.filter(consultation_id=object_id)
        return event, _keyset(follows, "user_id", size)
    if kind in (Kind.NEW_CONSULTATION, Kind.CLOSING):
        consultation = ConsultationPage.objects.live().public().filter(pk=object_id).first()
        if consultation is None:  # unpublished or made private since: nobody is told
            return None, iter(())
        if kind == Kind.CLOSING:
            # Keyed by the closing date: moved by the editors, it is announced again.
            key = f"closing:{object_id}:{consultation.closes_at:%Y%m%d%H%M}"
            follows = Follow.objects.filter(consultation_id=object_id)
        else:
            key = f"new:{object_id}"
            themes = ConsultationTag.objects.filter(content_object_id=object_id).values("tag_id")
            follows = Follow.objects.filter(theme_id__in=themes)
        return Event(kind, key, object_id, None, {}, None), _keyset(follows, "user_id", size)
    raise ValueError(f"unknown notification kind {kind}")


def _distinct_users(queryset, field: str, size: int) -> Iterator[list[int]]:
    """Distinct user ids of `field`, in pages of `size`, keyset on the id itself."""
    last = 0
    while True:
        ids = list(
            queryset.filter(**{f"{field}__gt": last})
            .order_by(field)
            .values_list(field, flat=True)
            .distinct()[:size]
        )
        if not ids:
            return
        last = ids[-1]
        yield ids


def _thread_recipients(answer, first: list[int], size: int) -> Iterator[list[int]]:
    """The answered comment's author first, then everyone else who wrote in the thread,
    then the thread's other followers: each person once (one notification, one live
    count), with memory flat at any size (keyset pages, no set of everyone told)."""
    yield first
    root_id = answer.root_id or answer.parent_id
    writers = Comment.objects.filter(
        Q(root_id=root_id) | Q(pk=root_id), author__isnull=False
    ).exclude(author_id__in=first)
    yield from _distinct_users(writers, "author_id", size)
    followers = (
        Follow.objects.filter(thread_id=root_id)
        .exclude(user_id__in=first)
        .exclude(user_id__in=writers.values("author_id"))
    )
    yield from _keyset(followers, "user_id", size)


def fan_out(kind: str, object_id: int) -> int:
    """Create the notifications of one event, batch by batch, and send the immediate
    e-mails. Safe to run again: nothing is created or sent twice."""
    size = settings.TRIBUNE_NOTIFICATION_BATCH
    event, batches = _event_and_recipients(kind, object_id, size)
    if event is None:
        return 0
    explicit = None
    created = 0
    now = timezone.now()
    for batch in batches:
        user_ids = sorted({pk for pk in batch if pk and pk != event.exclude})
        if not user_ids:
            continue
        if kind == Kind.RESULTS:
            explicit = set(
                Follow.objects.filter(
                    consultation_id=object_id, user_id__in=user_ids, automatic=False
                ).values_list("user_id", flat=True)
            )
        modes = _modes(kind, user_ids, explicit=explicit)
        rows = [
            Notification(
                recipient_id=user_id,
                kind=kind,
                event_key=event.key,
                consultation_id=event.consultation_id,
                comment_id=event.comment_id,
                data=event.data,
                created_at=now,
                email_mode=modes[user_id],
            )
            for user_id in user_ids
        ]
        with transaction.atomic():
            Notification.objects.bulk_create(rows, ignore_conflicts=True)
        created += len(rows)
        if kind == Kind.RESULTS:
            Follow.objects.filter(
                consultation_id=object_id, user_id__in=user_ids, notified_at__isnull=True
            ).update(notified_at=now)
        _send_immediate(event.key, user_ids)
        _announce(user_ids)
    logger.info("notifications of %s: %s recipient(s) considered", event.key, created)
    return created


def _announce(user_ids) -> None:
    """The bell of each recipient's open pages (the personal stream, events.py)."""
    from participation import events

    events.notify_counts(user_ids)


# --- E-mails -----------------------------------------------------------------------------


def _claim(pks) -> object:
    """Mark these notifications e-mailed under one stamp, only those nobody claimed
    before; the caller then sends exactly the rows carrying its stamp."""
    stamp = timezone.now()
    Notification.objects.filter(pk__in=list(pks), emailed_at__isnull=True).update(emailed_at=stamp)
    return stamp


def _send_immediate(event_key: str, user_ids) -> None:
    due = list(
        Notification.objects.filter(
            event_key=event_key,
            recipient_id__in=user_ids,
            email_mode=EmailMode.IMMEDIATE,
            emailed_at__isnull=True,
        ).values_list("pk", flat=True)
    )
    if not due:
        return
    stamp = _claim(due)
    for notification in _visible(
        Notification.objects.filter(pk__in=due, emailed_at=stamp)
    ).select_related("recipient", "consultation", "comment__author"):
        from participation.services import notification_mail

        notification_mail.send_one(notification)


def _visible(queryset):
    """A notification about a comment since hidden or deleted is neither shown nor sent."""
    return queryset.filter(Q(comment__isnull=True) | Q(comment__state=State.PUBLISHED))


def send_digests(mode: str, *, now=None) -> int:
    """One e-mail per person gathering their notifications due in this mode, grouped
    by consultation. Returns how many digests left."""
    from participation.services import notification_mail

    now = now or timezone.now()
    size = settings.TRIBUNE_NOTIFICATION_BATCH
    due = Notification.objects.filter(email_mode=mode, emailed_at__isnull=True, created_at__lte=now)
    sent = 0
    last = 0
    while True:
        recipients = list(
            due.filter(recipient_id__gt=last)
            .order_by("recipient_id")
            .values_list("recipient_id", flat=True)
            .distinct()[:size]
        )
        if not recipients:
            break
        last = recipients[-1]
        for recipient_id in recipients:
            pks = list(due.filter(recipient_id=recipient_id).values_list("pk", flat=True))
            stamp = _claim(pks)
            items = list(
                _visible(Notification.objects.filter(pk__in=pks, emailed_at=stamp))
                .select_related("recipient", "consultation", "comment__author")
                .order_by("consultation_id", "pk")
            )
            if items and notification_mail.send_digest(items, mode):
                sent += 1
    logger.info("%s digest(s) sent (%s)", sent, mode)
    return sent


# --- Reading and marking -------------------------------------------------------------------


def mark_read(*, user, notification_id) -> int:
    """Mark one of one's own notifications read; someone else's is refused."""
    notification = Notification.objects.filter(pk=notification_id).first()
    permissions.require(user, permissions.READ_NOTIFICATION, notification)
    _hit(user, "notification_read")
    changed = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    _announce_after_commit(user.pk)
    return changed


def mark_all_read(*, user, up_to: int | None = None) -> int:
    """Everything shown so far read (up to the newest the person saw, when given)."""
    if not user.is_authenticated:
        raise PermissionDenied(_("Sign in to see your notifications."))
    _hit(user, "notification_read")
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if up_to:
        rows = rows.filter(pk__lte=up_to)
    changed = rows.update(read_at=timezone.now())
    _announce_after_commit(user.pk)
    return changed


def _announce_after_commit(user_id) -> None:
    transaction.on_commit(lambda: _announce([user_id]))


# --- Moderation's plain e-mails ----------------------------------------------------------


def banned(ban) -> None:
    if not ban.user.email:
        return
    mail.send("participation/moderation/email/banned", to=ban.user.email, context={"ban": ban})


def alert_recipients() -> list[str]:
    listed = patterns(ModerationRules.load().alert_emails)
    if listed:
        return listed
    return list(
        get_user_model()
        .objects.filter(groups__name=roles.MODERATORS, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )


def alert_raised(alert) -> None:
    context = {
        "alert": alert,
        "consultation": alert.consultation.title,
        "panel_url": _site_url(reverse("moderation_alerts")),
    }
    for address in alert_recipients():
        mail.send("participation/moderation/email/alert", to=address, context=context)
