"""The moderation workspace of the Wagtail admin ("Modération"): thin views over
participation.queries.moderation and participation.services.moderation. Every action
is a plain form POST answered by a redirect back to the queue (no JavaScript needed)."""

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from participation import permissions
from participation.forms.comments import new_key
from participation.models import (
    Appeal,
    Ban,
    CharterReason,
    Comment,
    ConsultationPage,
    ModerationAlert,
    State,
)
from participation.queries import moderation as queries
from participation.services import moderation as services
from participation.views import REFUSALS, refusal_status, refusal_text

logger = logging.getLogger(__name__)

QUEUE_LABELS = {
    queries.QUEUE_PENDING: gettext_lazy("To moderate"),
    queries.QUEUE_REPORTED: gettext_lazy("Reported"),
    queries.QUEUE_APPEALS: gettext_lazy("Appeals"),
    queries.QUEUE_ALL: gettext_lazy("All"),
}

ACTION_MESSAGES = {
    "publish": gettext_lazy("Comment published."),
    "reject": gettext_lazy("Comment rejected; its author has been told why."),
    "hide": gettext_lazy("Comment hidden; its author has been told why."),
    "restore": gettext_lazy("Comment restored."),
    "handled": gettext_lazy("Reports marked as handled."),
}


def _require_moderator(request):
    if not permissions.is_moderator(request.user):
        raise PermissionDenied(_("Only moderators can moderate comments."))


def _next(request) -> str:
    """The page to go back to, when it is one of this site's (else "")."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path of this site only: a bare word would be taken by redirect() for a URL name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _back(request, default=None):
    return redirect(_next(request) or default or reverse("moderation_queue"))


def _refusal(request, error) -> None:
    messages.error(request, refusal_text(error))
    logger.info("moderation action refused: %s", type(error).__name__)


def queue(request):
    _require_moderator(request)
    name = request.GET.get("file", queries.QUEUE_PENDING)
    if name not in queries.QUEUES:
        name = queries.QUEUE_PENDING
    filters = queries.Filters.from_query(request.GET)
    page = queries.queue_page(request.user, name, filters, request.GET.get("apres", ""))
    query = request.GET.copy()
    query.pop("apres", None)
    return TemplateResponse(
        request,
        "participation/moderation/admin/queue.html",
        {
            "page": page,
            "queue": name,
            "queues": [(key, QUEUE_LABELS[key]) for key in queries.QUEUES],
            "counts": queries.queue_counts(request.user),
            "unseen_alerts": queries.unseen_alerts_count(request.user),
            "filters": filters,
            "states": State.choices,
            "reasons": CharterReason.choices,
            "consultations": queries.moderated_consultations(request.user).only("pk", "title"),
            "query": query.urlencode(),
            "next": request.get_full_path(),
        },
    )


@require_POST
def act(request, pk):
    _require_moderator(request)
    action = request.POST.get("action", "")
    comment = Comment.objects.filter(pk=pk).first()
    if comment is None:
        messages.error(request, _("This comment no longer exists: nothing was changed."))
        return _back(request)
    if action not in services.BULK_ACTIONS:
        messages.error(request, _("Choose an action."))
        return _back(request)
    try:
        services.BULK_ACTIONS[action](
            request.user, comment, request.POST.get("reason", ""), request.POST.get("note", "")
        )
    except (ValidationError, PermissionDenied) as error:
        _refusal(request, error)
    else:
        messages.success(request, ACTION_MESSAGES[action])
    return _back(request)


@require_POST
def bulk(request):
    _require_moderator(request)
    ids = [int(value) for value in request.POST.getlist("ids") if queries.is_id(value)]
    if not ids:
        messages.error(request, _("Select at least one comment."))
        return _back(request)
    try:
        done, refusals = services.bulk(
            moderator=request.user,
            action=request.POST.get("action", ""),
            comment_ids=ids,
            reason=request.POST.get("reason", ""),
            note=request.POST.get("note", ""),
        )
    except ValidationError as error:
        _refusal(request, error)
        return _back(request)
    if done:
        messages.success(request, _("%(count)s comment(s) handled.") % {"count": done})
    for refusal in refusals:
        messages.warning(request, refusal)
    return _back(request)


def history(request, pk):
    _require_moderator(request)
    comment = get_object_or_404(
        Comment.objects.select_related("consultation", "author", "parent"), pk=pk
    )
    permissions.require(request.user, permissions.MODERATE, comment)
    return TemplateResponse(
        request,
        "participation/moderation/admin/history.html",
        {
            "comment": comment,
            "entries": queries.comment_history(comment),
            "decisions": comment.decisions.select_related("moderator").order_by("-created_at"),
            "versions": comment.versions.all(),
            "reports": comment.reports.order_by("-created_at"),
        },
    )


def answer(request, pk):
    """Answer a comment officially. The queue's rows post here; a refusal comes back on
    this page with the text as typed, so nothing written is lost."""
    _require_moderator(request)
    comment = get_object_or_404(
        Comment.objects.select_related("consultation", "author", "parent"), pk=pk
    )
    # Outside their consultations a moderator does not read the comment either.
    permissions.require(request.user, permissions.MODERATE, comment)
    error, status = "", 200
    body = request.POST.get("body", "")
    key = request.POST.get("key") or new_key()
    if request.method == "POST":
        try:
            services.answer_officially(moderator=request.user, comment=comment, body=body, key=key)
        except REFUSALS as refusal:
            error, status = refusal_text(refusal), refusal_status(refusal)
            logger.info("official answer refused on comment %s: %s", pk, type(refusal).__name__)
        else:
            messages.success(request, _("Official answer published under the comment."))
            return _back(request)
    return TemplateResponse(
        request,
        "participation/moderation/admin/answer.html",
        {
            "comment": comment,
            "error": error,
            "body": body,
            "key": key,
            "next": _next(request),
        },
        status=status,
    )


def ban(request, pk):
    """Ban the author of comment `pk` (no person's id in the address)."""
    _require_moderator(request)
    comment = get_object_or_404(Comment.objects.select_related("author"), pk=pk)
    # The page names the author: a moderator limited to some consultations sees it only
    # for comments in those (banning itself is for moderators of every consultation).
    permissions.require(request.user, permissions.MODERATE, comment)
    errors = []
    if comment.author is None:
        messages.error(request, _("This comment's author has deleted their account."))
        return _back(request)
    if request.method == "POST":
        try:
            services.ban(
                moderator=request.user,
                user=comment.author,
                reason=request.POST.get("reason", ""),
                days=request.POST.get("days", ""),
                permanent=request.POST.get("permanent") == "1",
                hide_all=request.POST.get("hide_all") == "1",
            )
        except (ValidationError, PermissionDenied) as error:
            errors = error.messages if isinstance(error, ValidationError) else [str(error)]
        else:
            messages.success(request, _("The author is banned."))
            return _back(request)
    return TemplateResponse(
        request,
        "participation/moderation/admin/ban.html",
        {
            "comment": comment,
            "errors": errors,
            "values": request.POST,
            "next": request.GET.get("next", ""),
            "max_days": services.MAX_BAN_DAYS,
        },
        status=400 if errors else 200,
    )


@require_POST
def decide_appeal(request, pk):
    _require_moderator(request)
    appeal = Appeal.objects.filter(pk=pk).select_related("comment", "decision").first()
    if appeal is None:
        messages.error(request, _("This appeal no longer exists."))
        return _back(request)
    try:
        services.decide_appeal(
            moderator=request.user,
            appeal=appeal,
            grant=request.POST.get("decision") == "grant",
            answer=request.POST.get("answer", ""),
        )
    except (ValidationError, PermissionDenied) as error:
        _refusal(request, error)
    else:
        messages.success(request, _("Appeal decided; the author has been told."))
    return _back(request)


def crisis(request, consultation_id):
    _require_moderator(request)
    consultation = get_object_or_404(ConsultationPage, pk=consultation_id)
    permissions.require(request.user, permissions.CRISIS, consultation)
    errors = []
    if request.method == "POST":
        switch = request.POST.get("switch")
        values = {}
        if switch == "a_priori":
            values["a_priori"] = request.POST.get("on") == "1"
        elif switch == "slow_mode":
            values["slow_mode_minutes"] = request.POST.get("minutes", "")
        elif switch == "freeze":
            values["frozen"] = request.POST.get("on") == "1"
            values["message"] = request.POST.get("message", "")
        try:
            services.set_crisis(moderator=request.user, consultation=consultation, **values)
        except (ValidationError, PermissionDenied) as error:
            errors = error.messages if isinstance(error, ValidationError) else [str(error)]
        else:
            messages.success(request, _("Crisis setting saved."))
            return redirect(reverse("moderation_crisis", args=[consultation.pk]))
    return TemplateResponse(
        request,
        "participation/moderation/admin/crisis.html",
        {
            "consultation": consultation,
            "crisis": consultation.crisis,
            "errors": errors,
            "values": request.POST,
            "entries": queries.consultation_crisis_history(consultation),
        },
        status=400 if errors else 200,
    )


def alerts(request):
    """The alerts panel. It never reloads under the moderator: the live stream
    announces new alerts, and the list changes when they ask for it."""
    _require_moderator(request)
    found = queries.recent_alerts(request.user)
    return TemplateResponse(
        request,
        "participation/moderation/admin/alerts.html",
        {
            "alerts": found,
            "newest": found[0].pk if found else "",
            "unseen": queries.unseen_alerts_count(request.user),
            "counts": queries.queue_counts(request.user),
        },
    )


@require_POST
def alert_seen(request, pk):
    _require_moderator(request)
    alert = ModerationAlert.objects.filter(pk=pk).first()
    if alert is None:
        messages.error(request, _("This alert no longer exists."))
        return _back(request, reverse("moderation_alerts"))
    try:
        services.mark_alert_seen(moderator=request.user, alert=alert)
    except (ValidationError, PermissionDenied) as error:
        _refusal(request, error)
    else:
        messages.success(request, _("Alert marked as seen."))
    return _back(request, reverse("moderation_alerts"))


@require_POST
def alerts_seen(request):
    """« Tout marquer comme vu »: up to the newest alert the page showed, so an alert
    raised since then stays new."""
    _require_moderator(request)
    newest = request.POST.get("jusqua", "")
    try:
        count = services.mark_all_alerts_seen(
            moderator=request.user, up_to=int(newest) if queries.is_id(newest) else None
        )
    except PermissionDenied as error:
        _refusal(request, error)
    else:
        messages.success(
            request,
            ngettext("%(count)s alert marked as seen.", "%(count)s alerts marked as seen.", count)
            % {"count": count},
        )
    return _back(request, reverse("moderation_alerts"))


# --- Bans ----------------------------------------------------------------------------------

BAN_FILTER_LABELS = {
    queries.BANS_ALL: gettext_lazy("All"),
    queries.BANS_ACTIVE: gettext_lazy("Active"),
    queries.BANS_ENDED: gettext_lazy("Ended or lifted"),
}


def bans(request):
    """Every ban, those still running first. Scoped moderators read the list (a ban
    keeps a person out of their consultations too); only those who may ban lift one."""
    _require_moderator(request)
    permissions.require(request.user, permissions.SEE_BANS, None)
    status = request.GET.get("etat", queries.BANS_ALL)
    if status not in queries.BAN_FILTERS:
        status = queries.BANS_ALL
    author = request.GET.get("auteur", "")
    author = int(author) if queries.is_id(author) else None
    page = queries.bans_page(status, author=author, cursor=request.GET.get("apres", ""))
    query = request.GET.copy()
    query.pop("apres", None)
    return TemplateResponse(
        request,
        "participation/moderation/admin/bans.html",
        {
            "page": page,
            "status": status,
            "filters": [(key, BAN_FILTER_LABELS[key]) for key in queries.BAN_FILTERS],
            "author": author,
            "may_lift": permissions.may_ban_reason(request.user) is None,
            "query": query.urlencode(),
            "next": request.get_full_path(),
        },
    )


def lift_ban(request, pk):
    """GET asks for confirmation, POST lifts the ban."""
    _require_moderator(request)
    ban = get_object_or_404(Ban.objects.select_related("user", "moderator", "lifted_by"), pk=pk)
    refusal = permissions.reason(request.user, permissions.BAN, ban.user)
    if request.method == "POST" and refusal is None:
        try:
            services.lift_ban(moderator=request.user, ban=ban)
        except ValidationError as error:
            _refusal(request, error)
        else:
            messages.success(
                request,
                _("The ban of %(name)s is lifted: they may take part again.")
                % {"name": ban.user.display_name},
            )
        return _back(request, reverse("moderation_bans"))
    return TemplateResponse(
        request,
        "participation/moderation/admin/lift_ban.html",
        {
            "ban": ban,
            "active": ban.is_active(),
            "refusal": refusal,
            "next": _next(request),
        },
        status=403 if refusal else 200,
    )
