"""Template tags of community management: the share / follow / feedback section,
published results and Open Graph image addresses."""

from django import template

from participation.models import ConsultationResults

register = template.Library()


@register.inclusion_tag("participation/community/section.html", takes_context=True)
def community_section(context, consultation):
    from participation.views.community import feedback_context

    request = context["request"]
    return {
        "request": request,
        "user": request.user,
        "consultation": consultation,
        "csrf_token": context.get("csrf_token"),
        **feedback_context(request, consultation),
    }


@register.inclusion_tag("participation/community/share_links.html")
def share_links(page):
    from participation.views.community import share_links as links

    return {"links": links(page), "page": page}


@register.inclusion_tag("participation/community/results.html", takes_context=True)
def published_results(context, consultation):
    """Results first on the page of a closed consultation, once published."""
    if consultation.pk is None:
        return {"results": None}
    results = ConsultationResults.objects.filter(
        consultation=consultation, published_at__isnull=False
    ).first()
    if results is None:
        return {"results": None}
    from django.urls import reverse

    from participation.views.community import open_data_rows

    data = open_data_rows(consultation)
    totals = {"participants": 0, "comments": 0, "ballots": 0, "visits": 0}
    for row in data["daily"]:
        totals["participants"] += row["new_participants"]
        totals["comments"] += row["comments"] + row["replies"]
        totals["ballots"] += row["ballots"]
        totals["visits"] += row["visits"]
    questions = {}
    for row in data["polls"]:
        questions.setdefault((row["poll"], row["question"]), []).append(row)
    return {
        "results": results,
        "consultation": consultation,
        "totals": totals,
        "questions": [
            {"poll": poll, "question": question, "rows": rows}
            for (poll, question), rows in questions.items()
        ],
        "csv_url": reverse("participation:open_data", args=[consultation.pk, "csv"]),
        "json_url": reverse("participation:open_data", args=[consultation.pk, "json"]),
    }
