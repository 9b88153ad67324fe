from allauth.socialaccount.forms import SignupForm as AllauthSocialSignupForm
from cookie_consent.cache import all_cookie_groups
from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.forms import SignupForm as AccountsSignupForm
from accounts.models import User
from consent.models import LegalDocumentKind
from consent.registry import Choice
from consent.services import records

AGE_OK = "15_or_more"
AGE_UNDER = "under_15"


def under_age_message():
    return _(
        "You must be %(age)s or older to create an account on your own. Under %(age)s, "
        "French law (article 45 of the loi Informatique et Libertés) requires the consent "
        "of a parent or guardian as well as yours: no account has been created. Ask a "
        "parent to contact the institution to take part together."
    ) % {"age": settings.TRIBUNE_MINIMUM_AGE}


class ConsentFields(forms.Form):
    """What consent needs of every new account, whatever door it comes in by: the terms,
    the age, and the separate, unticked e-mail opt-in."""

    age = forms.ChoiceField(
        label=_("Your age"),
        widget=forms.RadioSelect,
        choices=[
            (AGE_OK, _("I am 15 or older")),
            (AGE_UNDER, _("I am under 15")),
        ],
    )
    accept_terms = forms.BooleanField(
        label=_("I accept the terms of use"),
        error_messages={"required": _("Accept the terms of use to create an account.")},
    )
    notifications = forms.BooleanField(
        label=_("Send me e-mails about the consultations I take part in (optional)"),
        required=False,
        help_text=_("Answers to my comments, results. I can stop them at any time."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.terms = records.current_document(LegalDocumentKind.TERMS)
        self.privacy = records.current_document(LegalDocumentKind.PRIVACY)
        self.fields["accept_terms"].help_text = format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("consent:terms"),
            _("Read the terms of use"),
            reverse("consent:personal_data"),
            _("How we handle your personal data"),
        )
        if self.terms is None:
            # No terms written yet (fresh install before migrations' text): nothing to accept.
            self.fields.pop("accept_terms")

    def clean_age(self):
        age = self.cleaned_data["age"]
        if age != AGE_OK:
            raise forms.ValidationError(under_age_message(), code="under_age")
        return age

    def custom_signup(self, request, user):
        super().custom_signup(request, user)
        if self.terms is not None:
            records.accept_terms(user, terms=self.terms, privacy=self.privacy)
        records.record_age(user)
        if self.cleaned_data.get("notifications"):
            records.set_notifications(user, True)


class SignupForm(ConsentFields, AccountsSignupForm):
    """accounts' sign-up form with the consent fields."""

    field_order = [
        "email",
        "display_name",
        "password1",
        "password2",
        "age",
        "accept_terms",
        "notifications",
    ]


class SocialSignupForm(ConsentFields, AllauthSocialSignupForm):
    """The first sign-in with FranceConnect: the address received (which the person may
    change), then the same consent fields as the sign-up form; no password."""

    field_order = ["email", "age", "accept_terms", "notifications"]


class CookieChoiceForm(forms.Form):
    """« Gestion des cookies »: one yes/no per optional group."""

    def __init__(self, *args, initial_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        initial_choices = initial_choices or {}
        for varname, group in all_cookie_groups().items():
            self.fields[varname] = forms.TypedChoiceField(
                label=group.name,
                help_text=group.description,
                widget=forms.RadioSelect,
                choices=[("1", _("Accept")), ("0", _("Refuse"))],
                coerce=lambda value: value == "1",
                initial="1" if initial_choices.get(varname) else "0",
            )

    def accepted(self) -> set[str]:
        return {name for name, value in self.cleaned_data.items() if value}


class DisplayNameForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name"]
        widgets = {"display_name": forms.TextInput(attrs={"autocomplete": "nickname"})}

    def clean_display_name(self):
        name = " ".join(self.cleaned_data.get("display_name", "").split())
        if not name:
            raise forms.ValidationError(_("Choose a display name, or keep your pseudonym."))
        if "@" in name:
            raise forms.ValidationError(
                _("Your display name is public: please do not put an e-mail address in it.")
            )
        return name


class PostcodeForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["declared_postcode"]
        widgets = {
            "declared_postcode": forms.TextInput(
                attrs={"autocomplete": "postal-code", "inputmode": "numeric"}
            )
        }
        help_texts = {
            "declared_postcode": _(
                "Used only for polls reserved to residents when FranceConnect sends no "
                "address. Leave empty to remove it."
            )
        }


class NotificationsForm(forms.Form):
    notifications = forms.BooleanField(
        label=_("Send me e-mails about the consultations I take part in"),
        required=False,
    )


class DeletionForm(forms.Form):
    choice = forms.ChoiceField(
        label=_("What should happen to your public contributions?"),
        widget=forms.RadioSelect,
        choices=Choice.choices,
        initial=Choice.ANONYMISE,
    )
    confirm = forms.BooleanField(
        label=_("I understand that my account will be deleted at once and for good"),
        error_messages={"required": _("Tick this box to confirm the deletion.")},
    )


class TermsForm(forms.Form):
    accept = forms.BooleanField(label=_("I accept these terms of use"))
