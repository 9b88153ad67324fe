from django import forms
from django.forms.renderers import TemplatesSetting
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

STATUS_CHOICES = [
    ("", gettext_lazy("All")),
    ("open", gettext_lazy("Open")),
    ("upcoming", gettext_lazy("Upcoming")),
    ("closed", gettext_lazy("Closed")),
]


class ConsultationFilterForm(forms.Form):
    """Filters of the consultation listing. An unknown value is dropped with a message
    rather than failing the page: these come from links people share and edit."""

    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=STATUS_CHOICES, required=False)
    theme = forms.ChoiceField(label=gettext_lazy("Theme"), required=False)

    def __init__(self, data=None, *, themes=()):
        super().__init__(data)
        self.fields["theme"].choices = [("", gettext_lazy("All themes")), *themes]

    def valid_filters(self) -> dict:
        self.is_valid()
        return {
            name: self.cleaned_data.get(name) or None
            for name in ("status", "theme")
            if name not in self.errors
        }

    def filter_errors(self) -> list[str]:
        messages = []
        if "status" in self.errors:
            messages.append(
                _("The status “%(value)s” does not exist: all statuses are shown.")
                % {"value": self.data.get("status")}
            )
        if "theme" in self.errors:
            messages.append(
                _("The theme “%(value)s” does not exist: all themes are shown.")
                % {"value": self.data.get("theme")}
            )
        return messages


class SiteFormRenderer(TemplatesSetting):
    """Django's renderer, with the project's field template: required fields carry a
    visible « (obligatoire) » next to their label (templates/forms/field.html)."""

    field_template_name = "forms/field.html"
