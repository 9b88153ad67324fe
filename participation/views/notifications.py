"""The notification centre, « Mes abonnements », the e-mail preferences and the
one-click unsubscribe. Thin: each view calls one query or one service."""

import logging

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from participation.models import Comment, EmailMode, Kind, Notification
from participation.queries import notifications as queries
from participation.ratelimits import RateLimited
from participation.services import notification_mail
from participation.services import notifications as services
from participation.views import refusal_status, refusal_text

logger = logging.getLogger(__name__)


def _number(value) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 12 else None


@login_required
def centre(request):
    listing = queries.centre_page(request.user, before=_number(request.GET.get("avant")))
    for item in listing.items:
        item.sentence = notification_mail.sentence(item)
        item.link = notification_mail.link(item)
    return TemplateResponse(
        request,
        "participation/notifications/centre.html",
        {"listing": listing, "unread": queries.unread_count(request.user)},
    )


@login_required
@require_POST
def mark_read(request, pk: int):
    """Mark one read, then open what it is about (or come back to the list)."""
    try:
        services.mark_read(user=request.user, notification_id=pk)
    except (PermissionDenied, RateLimited) as error:
        logger.info("notification read refused: %s", type(error).__name__)
        messages.error(request, refusal_text(error))
        return redirect("participation:notifications", permanent=False)
    if request.POST.get("open") == "1":
        notification = Notification.objects.select_related("consultation").get(pk=pk)
        target = notification_mail.link(notification)
        if url_has_allowed_host_and_scheme(target, allowed_hosts=None):
            return redirect(target)
    return redirect("participation:notifications")


@login_required
@require_POST
def mark_all_read(request):
    try:
        count = services.mark_all_read(user=request.user, up_to=_number(request.POST.get("jusqua")))
    except (PermissionDenied, RateLimited) as error:
        messages.error(request, refusal_text(error))
    else:
        messages.success(
            request, _("All your notifications are marked as read.") if count else _("Nothing new.")
        )
    return redirect("participation:notifications")


@login_required
def follows(request):
    return TemplateResponse(
        request,
        "participation/notifications/follows.html",
        {"follows": queries.follows_of(request.user)},
    )


@login_required
@require_POST
def stop_follow(request, pk: int):
    try:
        services.stop_follow(user=request.user, follow_id=pk)
    except (PermissionDenied, RateLimited) as error:
        logger.info("stop follow refused: %s", type(error).__name__)
        messages.error(request, refusal_text(error))
        return redirect("participation:follows")
    messages.success(request, _("You no longer follow it."))
    return redirect("participation:follows")


@login_required
@require_POST
def follow_thread(request, pk: int):
    comment = get_object_or_404(Comment.objects.select_related("consultation"), pk=pk)
    try:
        services.follow_thread(user=request.user, comment=comment)
    except (PermissionDenied, RateLimited) as error:
        messages.error(request, refusal_text(error))
    else:
        messages.success(request, _("You follow this thread: you will be told of its answers."))
    return redirect("participation:comment", pk=comment.pk)


@login_required
@require_POST
def follow_theme(request, slug: str):
    from taggit.models import Tag

    tag = get_object_or_404(Tag, slug=slug)
    try:
        services.follow_theme(user=request.user, tag=tag)
    except (PermissionDenied, RateLimited) as error:
        messages.error(request, refusal_text(error))
    else:
        messages.success(
            request,
            _("You follow the theme « %(name)s »: new consultations on it will be announced.")
            % {"name": tag.name},
        )
    return redirect("participation:follows")


def _kinds_with_modes(modes: dict, errors: dict) -> list[dict]:
    return [
        {
            "kind": kind,
            "label": label,
            "mode": modes.get(kind),
            "error": errors.get(kind, ""),
            "choices": EmailMode.choices,
        }
        for kind, label in Kind.choices
    ]


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    current = services.preferences_of(request.user)
    modes, auto_follow, errors, status = current["modes"], current["auto_follow"], {}, 200
    if request.method == "POST":
        posted = {kind: request.POST.get(kind, "") for kind in Kind.values}
        errors = {
            kind: _("Choose one of the options offered.")
            for kind, mode in posted.items()
            if mode not in EmailMode.values
        }
        auto_follow = request.POST.get("auto_follow") == "1"
        if not errors:
            try:
                services.set_preferences(user=request.user, modes=posted, auto_follow=auto_follow)
            except (ValidationError, PermissionDenied, RateLimited) as error:
                messages.error(request, refusal_text(error))
                status = refusal_status(error)
            else:
                messages.success(request, _("Your choices are saved."))
                return redirect("participation:notification_preferences")
        else:
            status = 400
            logger.info("notification preferences refused: bad choice")
        modes = {kind: posted[kind] for kind in Kind.values}
    return TemplateResponse(
        request,
        "participation/notifications/preferences.html",
        {
            "kinds": _kinds_with_modes(modes, errors),
            "auto_follow": auto_follow,
            "errors": errors,
        },
        status=status,
    )


# The token is the credential (signed, scoped to one person and some kinds, expiring):
# mail providers post the one-click request (RFC 8058) without any cookie or CSRF token.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    try:
        user_id, kinds = notification_mail.read_unsubscribe_token(token)
        user = get_user_model().objects.get(pk=user_id, is_active=True)
    except (notification_mail.BadToken, get_user_model().DoesNotExist):
        logger.info("unsubscribe link refused")
        return TemplateResponse(
            request, "participation/notifications/unsubscribe_refused.html", status=400
        )
    labels = [Kind(kind).label for kind in kinds]
    if request.method == "POST":
        services.set_preferences(
            user=user, modes=dict.fromkeys(kinds, EmailMode.NEVER), limited=False
        )
        logger.info("unsubscribed by link (account %s)", user.pk)
        if request.POST.get("List-Unsubscribe") == "One-Click":
            return HttpResponse(_("You will no longer receive these e-mails."), status=200)
        return TemplateResponse(
            request,
            "participation/notifications/unsubscribe.html",
            {"labels": labels, "done": True},
        )
    return TemplateResponse(
        request,
        "participation/notifications/unsubscribe.html",
        {"labels": labels, "done": False, "token": token},
    )
