"""Thin views of comment threads: read the form, call the service, answer a redirect
(without JavaScript) or the fragment that replaces part of the page (enhance.js)."""

import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cms.views import fragment, wants_fragment
from participation import permissions
from participation.forms.comments import CommentForm, ReportForm
from participation.models import ConsultationPage
from participation.queries import comments as queries
from participation.services import comments as services
from participation.views import REFUSALS, refusal_status, refusal_text

logger = logging.getLogger(__name__)

COMPOSE = "participation/comments/compose.html"
REPLY = "participation/comments/reply.html"
ARTICLE = "participation/comments/article.html"
SUPPORT = "participation/comments/support.html"


def _refuse(form, error, action: str, target) -> int:
    """Put the refusal next to the field it concerns; log what happened (no names)."""
    field = None
    if isinstance(error, ValidationError) and getattr(error, "code", "") in (
        "empty",
        "too_long",
    ):
        field = "body"
    elif isinstance(error, ValidationError) and getattr(error, "code", "") == "bad_position":
        field = "position"
    form.add_error(field, refusal_text(error))
    logger.info("%s refused on %s: %s", action, target, type(error).__name__)
    return refusal_status(error)


def _consultation(pk: int) -> ConsultationPage:
    return get_object_or_404(ConsultationPage.objects.live().public(), pk=pk)


def _comment(request, pk: int):
    comment = queries.visible_comment(request.user, pk)
    if comment is None:
        raise Http404
    comment.consultation = _consultation(comment.consultation_id)
    return comment


def thread_url(comment) -> str:
    return f"{comment.consultation.url}?commentaire={comment.pk}#commentaire-{comment.pk}"


def _posted_note(comment) -> str:
    if comment.state == "pending":
        return _("Thank you: your comment will be published once a moderator has read it.")
    if comment.in_reply_to_id:
        return _(
            "Your reply is published. Replies do not nest deeper: it sits beside the comment "
            "it answers."
        )
    if comment.parent_id:
        return _("Your reply is published.")
    return _("Your comment is published.")


def _first_error(form) -> str:
    for errors in form.errors.values():
        return errors[0]
    return ""


@require_http_methods(["GET", "POST"])
def comment_create(request, consultation_id: int):
    consultation = _consultation(consultation_id)
    form = CommentForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            comment = services.post_comment(
                author=request.user,
                consultation=consultation,
                body=data["body"],
                position=data["position"],
                key=data["key"],
            )
        except REFUSALS as error:
            status = _refuse(form, error, "comment", f"consultation {consultation.pk}")
        else:
            note = _posted_note(comment)
            if wants_fragment(request):
                return fragment(
                    request,
                    COMPOSE,
                    {
                        "consultation": consultation,
                        "new_comment": queries.with_actions(comment, request.user),
                    },
                    announce=note,
                )
            messages.success(request, note)
            return redirect(thread_url(comment))
    context = {
        "consultation": consultation,
        "form": form if form.is_bound else None,
        "heading": _("Comment on “%(title)s”") % {"title": consultation.title},
    }
    if wants_fragment(request):
        return fragment(request, COMPOSE, context, announce=_first_error(form), status=status)
    return TemplateResponse(
        request, "participation/comments/comment_page.html", context, status=status
    )


@require_http_methods(["GET", "POST"])
def comment_reply(request, pk: int):
    parent = _comment(request, pk)
    form = CommentForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            reply = services.post_comment(
                author=request.user,
                consultation=parent.consultation,
                parent=parent,
                body=data["body"],
                official=data["official"],
                key=data["key"],
            )
        except REFUSALS as error:
            status = _refuse(form, error, "reply", f"comment {parent.pk}")
        else:
            note = _posted_note(reply)
            if wants_fragment(request):
                return fragment(
                    request,
                    REPLY,
                    {
                        "comment": queries.with_actions(parent, request.user),
                        "new_reply": queries.with_actions(reply, request.user),
                    },
                    announce=note,
                )
            messages.success(request, note)
            return redirect(thread_url(reply))
    context = {
        "comment": queries.with_actions(parent, request.user),
        "reply_form": form if form.is_bound else None,
        "reply_open": True,
        "consultation": parent.consultation,
        "heading": _("Reply to a comment"),
        "refusal": permissions.reason(request.user, permissions.REPLY, parent),
    }
    if wants_fragment(request):
        return fragment(request, REPLY, context, announce=_first_error(form), status=status)
    return TemplateResponse(
        request, "participation/comments/reply_page.html", context, status=status
    )


@require_http_methods(["GET", "POST"])
def comment_edit(request, pk: int):
    comment = _comment(request, pk)
    form = CommentForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        was_published = comment.is_published
        try:
            comment = services.edit_comment(
                user=request.user,
                comment=comment,
                body=data["body"],
                position=data["position"] if "position" in request.POST else None,
            )
        except REFUSALS as error:
            status = _refuse(form, error, "edit", f"comment {comment.pk}")
        else:
            if was_published and not comment.is_published:
                note = _("Your change will be published once a moderator has read it.")
            else:
                note = _("Your comment is updated.")
            if wants_fragment(request):
                return fragment(
                    request,
                    ARTICLE,
                    {"comment": queries.with_actions(comment, request.user)},
                    announce=note,
                )
            messages.success(request, note)
            return redirect(thread_url(comment))
    context = {
        "comment": queries.with_actions(comment, request.user),
        "edit_form": form if form.is_bound else None,
        "consultation": comment.consultation,
        "heading": _("Edit your comment"),
    }
    if request.method == "GET" and not comment.may_edit:
        context["refusal"] = permissions.reason(request.user, permissions.EDIT_COMMENT, comment)
    if wants_fragment(request):
        return fragment(request, ARTICLE, context, announce=_first_error(form), status=status)
    return TemplateResponse(
        request, "participation/comments/edit_page.html", context, status=status
    )


@require_http_methods(["GET", "POST"])
def comment_delete(request, pk: int):
    comment = _comment(request, pk)
    error = ""
    status = 200
    if request.method == "POST":
        try:
            comment = services.delete_comment(user=request.user, comment=comment)
        except REFUSALS as refusal:
            error, status = refusal_text(refusal), refusal_status(refusal)
            logger.info("delete refused on comment %s: %s", pk, type(refusal).__name__)
        else:
            note = _("Your comment is deleted.")
            if wants_fragment(request):
                return fragment(
                    request,
                    ARTICLE,
                    {"comment": queries.with_actions(comment, request.user)},
                    announce=note,
                )
            messages.success(request, note)
            return redirect(thread_url(comment))
    context = {
        "comment": queries.with_actions(comment, request.user),
        "consultation": comment.consultation,
        "delete_error": error,
        "heading": _("Delete your comment?"),
    }
    if wants_fragment(request):
        return fragment(request, ARTICLE, context, announce=error, status=status)
    return TemplateResponse(
        request, "participation/comments/delete_page.html", context, status=status
    )


@require_POST
def comment_support(request, pk: int):
    comment = _comment(request, pk)
    # Not named "action": a field of that name hides form.action from scripts.
    supported = request.POST.get("supported") != "0"
    error = ""
    status = 200
    try:
        comment = services.set_support(user=request.user, comment=comment, supported=supported)
    except REFUSALS as refusal:
        error, status = refusal_text(refusal), refusal_status(refusal)
        logger.info("support refused on comment %s: %s", pk, type(refusal).__name__)
        note = error
    else:
        note = _("You support this comment.")
        if not supported:
            note = _("You no longer support this comment.")
    if wants_fragment(request):
        return fragment(
            request,
            SUPPORT,
            {"comment": queries.with_actions(comment, request.user), "support_error": error},
            announce=note,
            status=status,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, note)
    return redirect(thread_url(comment))


@require_http_methods(["GET", "POST"])
def comment_report(request, pk: int):
    comment = _comment(request, pk)
    form = ReportForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.report_comment(
                reporter=request.user,
                comment=comment,
                reason=form.cleaned_data["reason"],
                details=form.cleaned_data["details"],
            )
        except REFUSALS as error:
            field = "details" if getattr(error, "code", "") in ("details_required",) else None
            form.add_error(field, refusal_text(error))
            status = refusal_status(error)
            logger.info("report refused on comment %s: %s", pk, type(error).__name__)
        else:
            messages.success(
                request, _("Thank you: your report has been passed on to the moderators.")
            )
            return redirect(thread_url(comment))
    elif request.method == "POST":
        status = 400
    context = {
        "comment": queries.with_actions(comment, request.user),
        "consultation": comment.consultation,
        "form": form,
        "heading": _("Report a comment"),
    }
    if request.method == "GET" and not comment.may_report:
        context["refusal"] = permissions.reason(request.user, permissions.REPORT_COMMENT, comment)
    return TemplateResponse(
        request, "participation/comments/report_page.html", context, status=status
    )


def comment_permalink(request, pk: int):
    return redirect(thread_url(_comment(request, pk)))


def comment_replies(request, pk: int):
    root = _comment(request, pk)
    if root.root_id:
        return redirect("participation:comment_replies", pk=root.root_id)
    page = queries.replies_page(root, request.user, cursor=request.GET.get("apres"))
    context = {
        "thread": page,
        "comment": root,
        "consultation": root.consultation,
        "heading": _("Replies to a comment"),
        "show_actions": True,
    }
    if wants_fragment(request):
        return fragment(request, "participation/comments/replies.html", context)
    return TemplateResponse(request, "participation/comments/replies_page.html", context)
