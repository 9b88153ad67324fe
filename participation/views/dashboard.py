"""The Participation dashboard, exports, results and editorial calendar of the Wagtail
admin. Thin views: filters in forms, figures in queries, writes in services."""

import calendar
import logging
from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from participation import permissions
from participation.forms.community import DashboardFilterForm, ResultsForm
from participation.models import ConsultationPage, ConsultationResults
from participation.queries import community as queries
from participation.services import community as services
from participation.services import exports

logger = logging.getLogger(__name__)


def refusing(view):
    """A refusal in the admin says why, with a 403 (Wagtail would otherwise send the
    person to the admin home with a generic message)."""
    import functools

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as error:
            logger.info("%s refused", view.__name__)
            return TemplateResponse(
                request,
                "participation/community/admin/refused.html",
                {"message": str(error) or _("You may not see this page.")},
                status=403,
            )

    return wrapper


def _require_any_figures(user):
    if not permissions.can(user, permissions.SEE_MODERATION_FIGURES, None):
        raise PermissionDenied(permissions.reason(user, permissions.SEE_FIGURES, None))


def chart(series, name: str, label: str) -> dict:
    """Bar geometry for an SVG chart (heights in a 0–100 box); the same numbers are in
    the table next to it for screen readers and exact reading."""
    values = [row[name] for row in series]
    top = max(values, default=0) or 1
    count = max(1, len(values))
    width = 100 / count
    bars = [
        {
            "x": round(i * width + width * 0.1, 3),
            "width": round(width * 0.8, 3),
            "height": round(100 * value / top, 3),
            "y": round(100 - 100 * value / top, 3),
            "value": value,
            "period": row["period"],
        }
        for i, (row, value) in enumerate(zip(series, values, strict=True))
    ]
    return {
        "name": name,
        "label": label,
        "bars": bars,
        "max": max(values, default=0),
        "total": sum(values),
    }


@refusing
def dashboard(request):
    user = request.user
    _require_any_figures(user)
    full = permissions.can(user, permissions.SEE_FIGURES, None)
    params = request.GET.copy()
    if not params:
        today = timezone.localdate()
        params.update(
            {
                "start": (today - timedelta(days=29)).isoformat(),
                "end": today.isoformat(),
                "granularity": "day",
            }
        )
    form = DashboardFilterForm(params)
    context = {"form": form, "full": full, "figures": None}
    status = 200
    if not form.is_valid():
        status = 400
        logger.info("dashboard filters refused: %s", ",".join(form.errors))
    else:
        data = form.cleaned_data
        consultation = data["consultation"]
        services.refresh_figures(consultation)
        result = queries.figures(
            consultation=consultation,
            start=data["start"],
            end=data["end"],
            granularity=data["granularity"],
        )
        charts = [chart(result.series, "held", _("Held for moderation"))]
        if full:
            charts = [
                chart(result.series, "visits", _("Visits")),
                chart(result.series, "participants", _("New participants")),
                chart(result.series, "comments", _("Comments")),
                chart(result.series, "ballots", _("Ballots")),
                chart(result.series, "shares", _("Shares")),
            ]
        context.update(
            figures=result,
            consultation=consultation,
            charts=charts,
            objectives=queries.objectives(consultation) if full and consultation else [],
            median_answer_hours=(
                None
                if result.median_answer_seconds is None
                else result.median_answer_seconds / 3600
            ),
            export_kinds=exports.export_labels(),
            export_period=f"?start={data['start'].isoformat()}&end={data['end'].isoformat()}",
        )
    return TemplateResponse(
        request, "participation/community/admin/dashboard.html", context, status=status
    )


@refusing
def export(request, consultation_id: int, kind: str, fmt: str):
    consultation = get_object_or_404(ConsultationPage, pk=consultation_id)
    if kind not in exports.KINDS or fmt not in exports.FORMATS:
        raise Http404(_("Unknown export."))
    period = {}
    if kind == "figures":
        services.refresh_figures(consultation)
        if request.GET.get("start") or request.GET.get("end"):
            # The period chosen on the dashboard, checked by the dashboard's own form.
            form = DashboardFilterForm(
                {"start": request.GET.get("start"), "end": request.GET.get("end")}
            )
            if not form.is_valid():
                messages.error(request, " ".join(m for ms in form.errors.values() for m in ms))
                return redirect(
                    f"{reverse('participation_dashboard')}?consultation={consultation.pk}"
                )
            period = {"start": form.cleaned_data["start"], "end": form.cleaned_data["end"]}
    content, content_type, name = exports.export(
        user=request.user, consultation=consultation, kind=kind, fmt=fmt, **period
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@refusing
def results(request, consultation_id: int):
    """Write, then publish, a closed consultation's results."""
    consultation = get_object_or_404(ConsultationPage, pk=consultation_id)
    permissions.require(request.user, permissions.PUBLISH_RESULTS, consultation)
    existing = ConsultationResults.objects.filter(consultation=consultation).first()
    initial = {"summary": existing.summary, "decisions": existing.decisions} if existing else {}
    form = ResultsForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.save_results(
                    user=request.user,
                    consultation=consultation,
                    summary=form.cleaned_data["summary"],
                    decisions=form.cleaned_data["decisions"],
                )
                if "publish" in request.POST:
                    told = services.publish_results(user=request.user, consultation=consultation)
                    messages.success(
                        request,
                        _("Results published; %(count)s follower(s) will be told by e-mail.")
                        % {"count": told},
                    )
                else:
                    messages.success(request, _("Results saved (not published yet)."))
                return redirect("participation_results", consultation.pk)
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for field, errors in error.error_dict.items():
                        form.add_error(field, errors)
                else:
                    form.add_error(None, error)
        status = 400
    return TemplateResponse(
        request,
        "participation/community/admin/results.html",
        {"form": form, "consultation": consultation, "results": existing},
        status=status,
    )


@refusing
def objectives(request, consultation_id: int):
    """Target figures of a consultation: one optional number per figure."""
    from participation.models import Metric, Objective

    consultation = get_object_or_404(ConsultationPage, pk=consultation_id)
    permissions.require(request.user, permissions.SEE_FIGURES, consultation)
    current = dict(
        Objective.objects.filter(consultation=consultation).values_list("metric", "target")
    )
    values = {metric: request.POST.get(metric, "") for metric in Metric.values}
    errors, status = {}, 200
    if request.method == "POST":
        try:
            services.set_objectives(user=request.user, consultation=consultation, targets=values)
        except ValidationError as error:
            errors = {field: " ".join(messages_) for field, messages_ in error.message_dict.items()}
            status = 400
        else:
            messages.success(request, _("Objectives saved."))
            return redirect(f"{reverse('participation_dashboard')}?consultation={consultation.pk}")
    else:
        values = {metric: current.get(metric, "") for metric in Metric.values}
    rows = [
        {
            "metric": metric,
            "label": label,
            "value": values.get(metric, ""),
            "error": errors.get(metric),
        }
        for metric, label in Metric.choices
    ]
    return TemplateResponse(
        request,
        "participation/community/admin/objectives.html",
        {"consultation": consultation, "rows": rows},
        status=status,
    )


# --- Editorial calendar ----------------------------------------------------------------

RESULTS_DUE_DAYS = 60  # results announced within two months of closing


def calendar_events(start: date, end: date) -> list[dict]:
    """Openings, closings, results due, scheduled publications and news in [start, end]."""
    from cms.models import NewsPage

    events = []
    tz = timezone.get_current_timezone()

    def local(value):
        return timezone.localtime(value, tz).date() if value else None

    published = set(
        ConsultationResults.objects.filter(published_at__isnull=False).values_list(
            "consultation_id", flat=True
        )
    )
    for page in ConsultationPage.objects.all().only(
        "id", "title", "opens_at", "closes_at", "go_live_at", "live"
    ):
        candidates = [
            (local(page.opens_at), "opens", _("Opens")),
            (local(page.closes_at), "closes", _("Closes")),
            (local(page.go_live_at), "scheduled", _("Goes online")),
        ]
        if page.closes_at and page.pk not in published:
            due = local(page.closes_at) + timedelta(days=RESULTS_DUE_DAYS)
            candidates.append((due, "results", _("Results due")))
        for day, kind, label in candidates:
            if day and start <= day <= end:
                events.append(
                    {
                        "day": day,
                        "kind": kind,
                        "label": label,
                        "title": page.title,
                        "url": reverse("wagtailadmin_pages:edit", args=[page.pk]),
                    }
                )
    for page in NewsPage.objects.all().only("id", "title", "date", "go_live_at"):
        for day, kind, label in (
            (page.date, "news", _("News")),
            (local(page.go_live_at), "scheduled", _("Goes online")),
        ):
            if day and start <= day <= end:
                events.append(
                    {
                        "day": day,
                        "kind": kind,
                        "label": label,
                        "title": page.title,
                        "url": reverse("wagtailadmin_pages:edit", args=[page.pk]),
                    }
                )
    events.sort(key=lambda event: (event["day"], event["kind"], event["title"]))
    return events


@refusing
def editorial_calendar(request):
    permissions.require(request.user, permissions.SEE_FIGURES, None)
    today = timezone.localdate()
    try:
        year, month = (int(part) for part in request.GET.get("mois", "").split("-"))
        if not 1900 <= year <= 2200:  # the links to the months around would overflow
            raise ValueError(year)
        first = date(year, month, 1)
        status = 200
    except ValueError:
        if request.GET.get("mois"):
            messages.error(request, _("Unknown month: showing the current month."))
        first, status = today.replace(day=1), 200
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    events = calendar_events(first, last)
    by_day = {}
    for event in events:
        by_day.setdefault(event["day"], []).append(event)
    weeks = [
        [
            {
                "day": day,
                "in_month": day.month == first.month,
                "events": by_day.get(day, []),
                "today": day == today,
            }
            for day in week
        ]
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    ]
    previous = (first - timedelta(days=1)).replace(day=1)
    following = last + timedelta(days=1)
    return TemplateResponse(
        request,
        "participation/community/admin/calendar.html",
        {
            "month": first,
            "weeks": weeks,
            "events": events,
            "previous": f"{previous.year}-{previous.month:02d}",
            "next": f"{following.year}-{following.month:02d}",
            "weekdays": [date(2024, 1, 1 + i) for i in range(7)],  # a Monday to a Sunday
        },
        status=status,
    )
