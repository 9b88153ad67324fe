from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class SignupForm(AllauthSignupForm):
    display_name = forms.CharField(
        label=_("Public display name"),
        max_length=User._meta.get_field("display_name").max_length,
        required=False,
        # The public name is a nickname, not the person's name (WCAG 1.3.5, RGAA 11.13).
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
        help_text=_(
            "Shown next to your contributions instead of your name. "
            "Leave empty to get a pseudonym such as “Participant·e 7Q3KD”."
        ),
    )

    field_order = ["email", "display_name", "password1", "password2"]

    def clean_display_name(self):
        name = " ".join(self.cleaned_data.get("display_name", "").split())
        if name and "@" in name:
            raise forms.ValidationError(
                _("Your display name is public: please do not put an e-mail address in it.")
            )
        return name
