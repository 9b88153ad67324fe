"""Public side of moderation: the author's decisions with the one appeal they may
send, and the public moderation summary of a consultation (counts only)."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from participation.models import CharterReason, ConsultationPage, ModerationDecision
from participation.queries import moderation as queries
from participation.services import moderation as services

logger = logging.getLogger(__name__)


@login_required
@require_http_methods(["GET", "POST"])
def my_moderation(request):
    """Every decision about the person's comments, why, and the appeal form."""
    errors, status = {}, 200
    if request.method == "POST":
        chosen = request.POST.get("decision", "")
        decision = get_object_or_404(
            ModerationDecision.objects.select_related("comment"),
            pk=int(chosen) if queries.is_id(chosen) else 0,
            author=request.user,
        )
        try:
            services.contest(author=request.user, decision=decision, text=request.POST.get("text"))
        except (ValidationError, PermissionDenied) as error:
            errors[decision.pk] = (
                " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            )
            status = 400
            logger.info("appeal refused: %s", type(error).__name__)
        else:
            messages.success(
                request, _("Your appeal has been sent: another moderator will decide.")
            )
            return redirect("participation:my_moderation")
    decisions = queries.decisions_about(request.user)
    for decision in decisions:
        decision.error = errors.get(decision.pk, "")
        decision.deadline = services.appeal_deadline(decision)
        decision.appealed = bool(list(decision.appeals.all()))
    return TemplateResponse(
        request,
        "participation/moderation/my_moderation.html",
        {
            "decisions": decisions,
            "text": request.POST.get("text", ""),
        },
        status=status,
    )


def summary(request, consultation_id: int):
    consultation = get_object_or_404(ConsultationPage.objects.live().public(), pk=consultation_id)
    figures = queries.public_summary(consultation)
    reasons = [
        (label, figures["by_reason"].get(value, 0)) for value, label in CharterReason.choices
    ]
    return TemplateResponse(
        request,
        "participation/moderation/summary.html",
        {"consultation": consultation, "figures": figures, "reasons": reasons},
    )
