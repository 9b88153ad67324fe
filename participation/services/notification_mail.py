"""The words of a notification (on the site and in e-mails) and the e-mails themselves:
plain-text and HTML parts, in French, each with a one-click unsubscribe (RFC 8058
`List-Unsubscribe` + `List-Unsubscribe-Post`, and a link in the text) signed and
scoped to the person and the kinds it stops. Nothing here raises: what the e-mail
reports is already committed; a failure is logged without the address."""

import logging
from itertools import groupby

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

from cms import queries
from consent.services.mail import render_text
from participation.models import EmailMode, Kind, ModerationDecision

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "tribune.notifications.unsubscribe"


class BadToken(Exception):
    """A link cut, tampered with, expired, or of another kind of token."""


def unsubscribe_token(user_id: int, kinds) -> str:
    return signing.dumps({"u": user_id, "k": sorted(kinds)}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, list[str]]:
    try:
        value = signing.loads(
            token,
            salt=UNSUBSCRIBE_SALT,
            max_age=settings.TRIBUNE_UNSUBSCRIBE_LINK_DAYS * 86400,
        )
        user_id, kinds = int(value["u"]), list(value["k"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise BadToken from None
    if not kinds or any(kind not in Kind.values for kind in kinds):
        raise BadToken
    return user_id, kinds


def unsubscribe_url(user_id: int, kinds) -> str:
    return queries.absolute_url(
        reverse("participation:unsubscribe", args=[unsubscribe_token(user_id, kinds)])
    )


def sentence(notification) -> str:
    """What happened, in one French sentence (the centre, the e-mails)."""
    title = notification.consultation.title if notification.consultation_id else ""
    kind = notification.kind
    if kind == Kind.REPLY:
        return _("%(name)s replied to your comment on « %(title)s ».") % {
            "name": _author(notification),
            "title": title,
        }
    if kind == Kind.OFFICIAL_ANSWER:
        return _("An official answer was given in a thread you took part in on « %(title)s ».") % {
            "title": title
        }
    if kind == Kind.DECISION:
        return _("A moderator made a decision about your comment on « %(title)s ».") % {
            "title": title
        }
    if kind == Kind.RESULTS:
        return _("The results of « %(title)s » are published.") % {"title": title}
    if kind == Kind.NEW_CONSULTATION:
        return _("A new consultation on a theme you follow: « %(title)s ».") % {"title": title}
    return _("« %(title)s » closes in 3 days.") % {"title": title}


def _author(notification) -> str:
    from consent.registry import DELETED_PARTICIPANT

    author = notification.comment.author if notification.comment_id else None
    return author.display_name if author else str(DELETED_PARTICIPANT)


def link(notification) -> str:
    """Where the notification leads (a path: ids only, no personal data)."""
    if notification.kind in (Kind.REPLY, Kind.OFFICIAL_ANSWER) and notification.comment_id:
        return reverse("participation:comment", args=[notification.comment_id])
    if notification.kind == Kind.DECISION:
        return reverse("participation:my_moderation")
    if notification.consultation_id:
        return notification.consultation.url or "/"
    return reverse("participation:notifications")


def _send(*, user, subject: str, text: str, html: str, kinds) -> bool:
    url = unsubscribe_url(user.pk, kinds)
    message = EmailMultiAlternatives(
        " ".join(subject.split()),
        text,
        None,
        [user.email],
        headers={
            "List-Unsubscribe": f"<{url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception:
        logger.exception("notification e-mail not sent (account %s)", user.pk)
        return False
    return True


def _context(user, kinds) -> dict:
    return {
        "user": user,
        "unsubscribe_url": unsubscribe_url(user.pk, kinds),
        "preferences_url": queries.absolute_url(reverse("participation:notification_preferences")),
        "site_url": queries.absolute_url("/"),
    }


def send_one(notification) -> bool:
    user = notification.recipient
    if not user.email or not user.is_active:
        return False
    with override(settings.LANGUAGE_CODE):
        context = {
            **_context(user, [notification.kind]),
            "sentence": sentence(notification),
            "url": queries.absolute_url(link(notification)),
            "kind_label": Kind(notification.kind).label,
            "decision_text": _decision_text(notification),
        }
        subject = render_text("participation/notifications/email/one_subject.txt", context)
        text = render_text("participation/notifications/email/one_message.txt", context)
        html = render_to_string("participation/notifications/email/one_message.html", context)
    return _send(user=user, subject=subject, text=text, html=html, kinds=[notification.kind])


def _decision_text(notification) -> str:
    """A moderation decision keeps its full statement of reasons (charter reason, note,
    how to contest), as the e-mail it replaces did."""
    if notification.kind != Kind.DECISION:
        return ""
    decision = (
        ModerationDecision.objects.select_related("comment__consultation")
        .filter(pk=notification.data.get("decision"))
        .first()
    )
    if decision is None:
        return ""
    text = render_text(
        "participation/moderation/email/decision_message.txt",
        {
            "decision": decision,
            "consultation": decision.comment.consultation.title,
            "decisions_url": queries.absolute_url(reverse("participation:my_moderation")),
        },
    )
    # A plain str (adding a plain str drops the SafeString a template returns): the HTML
    # part must escape the moderator's note and the names in it.
    return text + ""


def send_digest(items, mode: str) -> bool:
    """One e-mail for many notifications, grouped by consultation."""
    user = items[0].recipient
    if not user.email or not user.is_active:
        return False
    kinds = sorted({item.kind for item in items})
    with override(settings.LANGUAGE_CODE):
        groups = [
            {
                "title": consultation.title if consultation else _("Your account"),
                "lines": [
                    {"sentence": sentence(item), "url": queries.absolute_url(link(item))}
                    for item in rows
                ],
            }
            for consultation, rows in (
                (key, list(group))
                for key, group in groupby(items, key=lambda item: item.consultation)
            )
        ]
        context = {
            **_context(user, kinds),
            "groups": groups,
            "count": len(items),
            "weekly": mode == EmailMode.WEEKLY,
            "centre_url": queries.absolute_url(reverse("participation:notifications")),
        }
        subject = render_text("participation/notifications/email/digest_subject.txt", context)
        text = render_text("participation/notifications/email/digest_message.txt", context)
        html = render_to_string("participation/notifications/email/digest_message.html", context)
    return _send(user=user, subject=subject, text=text, html=html, kinds=kinds)
