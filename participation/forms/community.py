"""Forms of community management: dashboard filters, feedback, results."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participation.models import ConsultationPage

MAX_PERIOD_DAYS = 366 * 2


class DashboardFilterForm(forms.Form):
    start = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter a real date, e.g. 2026-11-01.")},
    )
    end = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter a real date, e.g. 2026-11-30.")},
    )
    consultation = forms.TypedChoiceField(
        label=_("Consultation"), required=False, coerce=int, empty_value=None
    )
    granularity = forms.ChoiceField(
        label=_("Group by"),
        required=False,
        choices=[("day", _("Day")), ("week", _("Week"))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.consultations = {
            page.pk: page for page in ConsultationPage.objects.order_by("-opens_at", "pk")
        }
        self.fields["consultation"].choices = [("", _("Whole site"))] + [
            (pk, page.title) for pk, page in self.consultations.items()
        ]
        self.fields["consultation"].error_messages["invalid_choice"] = _(
            "Unknown consultation: choose one from the list."
        )

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        if "start" in self.errors or "end" in self.errors:
            return data
        for name in ("start", "end"):
            # Days around the period are computed: year 1 or 9999 would overflow.
            if data.get(name) and not 1900 <= data[name].year <= 2200:
                self.add_error(name, _("Choose a date between 1900 and 2200."))
        if "start" in self.errors or "end" in self.errors:
            return data
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=29)
        if start > end:
            self.add_error("end", _("The end of the period must come after its start."))
        elif (end - start).days > MAX_PERIOD_DAYS:
            self.add_error("start", _("Choose a period of two years at most."))
        data["start"], data["end"] = start, end
        data["granularity"] = data.get("granularity") or "day"
        data["consultation"] = self.consultations.get(data.get("consultation"))
        return data


class ResultsForm(forms.Form):
    summary = forms.CharField(
        label=_("Summary of the contributions"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What people said, in a few paragraphs."),
    )
    decisions = forms.CharField(
        label=_("Decisions taken (« Vous avez dit, nous avons fait »)"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("One decision per paragraph (leave an empty line between two)."),
    )
