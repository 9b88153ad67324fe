"""Public side of community management: share links through a counting redirect,
the feedback question, following a consultation, open data and feeds."""

import csv
import io
import json
import logging
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from wagtail.models import Page

from participation import permissions
from participation.models import ConsultationPage, Network
from participation.queries import community as queries
from participation.ratelimits import RateLimited
from participation.services import community as services
from participation.services.exports import neutralise
from participation.views import REFUSALS, refusal_status, refusal_text

logger = logging.getLogger(__name__)

# Where each network's "share" form lives. The address shared is always the page's
# own, built here from its id: the redirect takes no target from the request, so it
# cannot be used to send people anywhere else (no open redirect).
SHARE_TARGETS = {
    Network.LINKEDIN: "https://www.linkedin.com/sharing/share-offsite/?url={url}",
    Network.X: "https://x.com/intent/post?text={title}&url={url}",
    Network.FACEBOOK: "https://www.facebook.com/sharer/sharer.php?u={url}",
    Network.MASTODON: "{mastodon}?text={title}%20{url}",
    Network.BLUESKY: "https://bsky.app/intent/compose?text={title}%20{url}",
    Network.WHATSAPP: "https://wa.me/?text={title}%20{url}",
    Network.EMAIL: "mailto:?subject={title}&body={url}",
}


class ShareRedirect(HttpResponseRedirect):
    allowed_schemes = ["https", "mailto"]


def share_target(network: str, page, request) -> str:
    url = page.get_full_url(request)
    return SHARE_TARGETS[network].format(
        url=quote(url, safe=""),
        title=quote(page.title, safe=""),
        mastodon=settings.TRIBUNE_MASTODON_SHARE_URL,
    )


def share_links(page) -> list[dict]:
    """The share links of a page, each through the counting redirect."""
    from django.urls import reverse

    return [
        {
            "network": value,
            "label": label,
            # « Partager sur LinkedIn », but an e-mail is sent, not a place to share on.
            "text": (
                _("Send by e-mail")
                if value == Network.EMAIL
                else _("Share on %(network)s") % {"network": label}
            ),
            "url": reverse("participation:share", args=[page.pk, value]),
        }
        for value, label in Network.choices
    ]


def _public_page(request, page_id):
    page = Page.objects.live().public().filter(pk=page_id).specific().first()
    if page is None:
        raise Http404(_("This page does not exist or is not public."))
    return page


@require_GET
def share(request, page_id: int, network: str):
    page = _public_page(request, page_id)
    if network not in SHARE_TARGETS:
        logger.info("share refused: unknown network on page %s", page_id)
        return TemplateResponse(
            request,
            "participation/community/share_error.html",
            {"page": page, "message": _("Unknown network: choose one of the share links.")},
            status=404,
        )
    services.record_share(request, page, network)
    response = ShareRedirect(share_target(network, page, request))
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response


def _consultation(pk: int) -> ConsultationPage:
    return get_object_or_404(ConsultationPage.objects.live().public(), pk=pk)


@require_POST
def feedback(request, consultation_id: int):
    consultation = _consultation(consultation_id)
    try:
        services.give_feedback(
            user=request.user,
            consultation=consultation,
            rating=request.POST.get("rating"),
            comment=request.POST.get("comment", ""),
        )
    except REFUSALS as error:
        status, text = refusal_status(error), refusal_text(error)
        logger.info("feedback refused on %s: %s", consultation.pk, type(error).__name__)
        return TemplateResponse(
            request,
            "participation/community/feedback_page.html",
            {
                "consultation": consultation,
                "error": text,
                "rating": request.POST.get("rating", ""),
                "comment": request.POST.get("comment", ""),
            },
            status=status,
        )
    messages.success(request, _("Thank you for your answer!"))
    return redirect(f"{consultation.url}#avis")


@require_POST
def follow(request, consultation_id: int):
    consultation = _consultation(consultation_id)
    wanted = request.POST.get("follow") == "1"
    try:
        services.set_follow(user=request.user, consultation=consultation, follow=wanted)
    except (PermissionDenied, RateLimited) as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("You will receive an e-mail when the results are published.")
            if wanted
            else _("You will no longer receive an e-mail about this consultation."),
        )
    return redirect(f"{consultation.url}#suivre")


# --- Open data ------------------------------------------------------------------------


OPEN_DATA_FIGURES = (
    "visits",
    "participants",
    "comments",
    "replies",
    "supports",
    "ballots",
    "official_answers",
    "shares",
)


def open_data_rows(consultation) -> dict:
    """The anonymised results of a closed consultation: poll tallies and daily figures.
    No names, no texts written by people (free-text answers are never published)."""
    from participation.queries import polls as poll_queries

    polls = poll_queries.published_polls(consultation)
    results = poll_queries.results(polls)
    poll_rows = []
    for poll in polls:
        for question in poll.questions.all():
            for choice in question.choices.all():
                poll_rows.append(
                    {
                        "poll": poll.title,
                        "question": question.text,
                        "choice": choice.label,
                        "ballots": results[poll.pk].count(choice.pk),
                        "participants": results[poll.pk].participants,
                    }
                )
    # Every recorded day, not only the opening period: visits go on after closing, and
    # ballots counted elsewhere (a paper vote) are imported once it is over.
    figures = queries.lifetime(consultation)
    daily = [
        {
            "day": row["period"].isoformat(),
            "visits": row["visits"],
            "new_participants": row["participants"],
            "comments": row["comments"],
            "replies": row["replies"],
            "supports": row["supports"],
            "ballots": row["ballots"],
            "official_answers": row["official_answers"],
            "shares": row["shares"],
        }
        for row in figures.series
        if any(row[name] for name in OPEN_DATA_FIGURES)
    ]
    return {
        "consultation": consultation.title,
        "url": consultation.full_url,
        "opens_at": consultation.opens_at.isoformat(),
        "closes_at": consultation.closes_at.isoformat() if consultation.closes_at else None,
        "licence": "Licence Ouverte / Open Licence 2.0",
        "polls": poll_rows,
        "daily": daily,
    }


@require_GET
def open_data(request, consultation_id: int, fmt: str):
    if fmt not in ("csv", "json"):
        raise Http404(_("Open data come as CSV or JSON."))
    consultation = _consultation(consultation_id)
    if consultation.status != "closed":
        raise Http404(_("Open data are published once the consultation has closed."))
    data = open_data_rows(consultation)
    filename = f"consultation-{consultation.pk}"
    if fmt == "json":
        response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    else:
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(["section", "day", "poll", "question", "choice", "figure", "value"])
        for row in data["polls"]:
            writer.writerow(
                neutralise(
                    [
                        "poll",
                        "",
                        row["poll"],
                        row["question"],
                        row["choice"],
                        "ballots",
                        row["ballots"],
                    ]
                )
            )
        for row in data["daily"]:
            for name, value in row.items():
                if name != "day":
                    writer.writerow(["daily", row["day"], "", "", "", name, value])
        response = HttpResponse(text.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}.{fmt}"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


def feedback_context(request, consultation) -> dict:
    """What the consultation page shows about feedback and following, for this person."""
    user = request.user
    context = {"share_links": share_links(consultation)}
    if not user.is_authenticated:
        return context
    from participation.models import Feedback, Follow

    context["following"] = Follow.objects.filter(consultation=consultation, user=user).exists()
    context["can_follow"] = permissions.can(user, permissions.FOLLOW, consultation)
    answered = Feedback.objects.filter(consultation=consultation, user=user).exists()
    context["feedback_answered"] = answered
    context["can_give_feedback"] = not answered and permissions.can(
        user, permissions.GIVE_FEEDBACK, consultation
    )
    return context


__all__ = ["feedback", "feedback_context", "follow", "json", "open_data", "share", "share_links"]
