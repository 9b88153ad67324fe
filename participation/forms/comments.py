"""Parsing of the comment forms. The markup is written in the templates (one reply
form per comment on a page: rendering Django form objects 80 times costs more than the
rest of the page), so these classes only read and check what was posted."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from participation.models import Position, ReportReason


def new_key() -> str:
    return str(uuid.uuid4())


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Your comment"),
        required=False,  # the service says, in French, what is wrong with the text
        strip=False,
        widget=forms.Textarea,
    )
    position = forms.ChoiceField(
        label=_("Your position"),
        required=False,
        choices=[("", _("No position")), *Position.choices],
    )
    official = forms.BooleanField(label=_("Official answer"), required=False)
    key = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_key(self):
        # A fresh key each time the form comes back, unless the post was refused (then
        # the same click may be retried without creating a second comment).
        return self.cleaned_data["key"] or new_key()


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why do you report this comment?"),
        choices=ReportReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose why you report this comment.")},
    )
    details = forms.CharField(
        label=_("Details"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Optional, except for “Other”. Do not copy personal data here."),
    )
