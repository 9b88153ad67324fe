"""What live updates need to know about the reader, computed once per page.

A comment frame carries HTML that is the same for every reader (events.py renders it
once). What differs from one reader to the next — their own edit and delete tools, the
support button and « vous soutenez », the reply link, the report link — is decided in
the page by static/js/live.js from this small reader context, embedded once in the
consultation page and sent again with each catch-up answer. It holds nothing the page
does not already show or use: no e-mail, no account id.
"""

from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.crypto import salted_hmac

from participation import permissions
from participation.models import Comment, State, Support

AUTHOR_KEY_SALT = "tribune.live.author"


def author_key(user_id: int, consultation_id: int) -> str:
    """A pseudonym of an author within one consultation. Public cards carry it so the
    author's page knows its own comments; it is keyed by the server's secret and
    differs from one consultation to the next, so it reveals no account id and links
    nothing the display names shown beside it do not already link."""
    return salted_hmac(
        AUTHOR_KEY_SALT, f"{consultation_id}:{user_id}", algorithm="sha256"
    ).hexdigest()[:16]


ANONYMOUS = {"signed_in": False}


def reader_context(request, consultation, *, supported_among=()) -> dict:
    """What this reader may do with a published comment of someone else, or with one of
    their own just posted, asked of the same permission rules the server-rendered page
    uses, on a probe comment (no query beyond what those rules read).

    Visitors all get ANONYMOUS, the same for everyone, so it can be part of a shared
    (cached) page or answer; it calls no get_token (no CSRF cookie for them)."""
    user = request.user
    if not user.is_authenticated:
        return dict(ANONYMOUS)
    theirs = Comment(
        pk=0, consultation=consultation, state=State.PUBLISHED, author_id=None, depth=0
    )
    own = Comment(
        pk=0,
        consultation=consultation,
        state=State.PUBLISHED,
        author_id=user.pk,
        depth=0,
        created_at=timezone.now(),
    )
    supported = []
    if supported_among:
        supported = sorted(
            Support.objects.filter(user=user, comment_id__in=supported_among).values_list(
                "comment_id", flat=True
            )
        )
    return {
        "signed_in": True,
        "key": author_key(user.pk, consultation.pk),
        "csrf": get_token(request),
        "support": permissions.can(user, permissions.SUPPORT_COMMENT, theirs),
        "reply": permissions.can(user, permissions.REPLY, theirs),
        "official": permissions.can(user, permissions.ANSWER_OFFICIALLY, theirs),
        "report": permissions.can(user, permissions.REPORT_COMMENT, theirs),
        "edit": permissions.can(user, permissions.EDIT_COMMENT, own),
        "supported": supported,
    }
