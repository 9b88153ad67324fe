"""Who may do what on a consultation. One rule per action, named by a constant.

A rule returns None when the action is allowed, or the reason it is not, in French,
ready to show next to the form ("Connectez-vous pour participer."). Services call
`require`; templates call `reason` to explain a disabled form.
"""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.utils import formats
from django.utils.translation import gettext as _

from consent.services import records as consent_records

Rule = Callable[[object, object], str | None]
RULES: dict[str, Rule] = {}


def rule(name: str):
    """Register the rule for one action."""

    def register(function: Rule) -> Rule:
        RULES[name] = function
        return function

    return register


def reason(user, perm: str, obj) -> str | None:
    return RULES[perm](user, obj)


def can(user, perm: str, obj) -> bool:
    return reason(user, perm, obj) is None


def require(user, perm: str, obj) -> None:
    if (why := reason(user, perm, obj)) is not None:
        raise PermissionDenied(why)


def participant_reason(user, consultation) -> str | None:
    """Why this person cannot take part in this consultation right now, if they cannot."""
    if not user.is_authenticated:
        return _("Sign in to take part.")
    if not user.has_verified_email:
        return _("Confirm your e-mail address to take part: follow the link we sent you.")
    if consent_records.needs_terms_acceptance(user):
        return _("The terms of use have changed: accept the new version to take part again.")
    status = consultation.status
    if status == "upcoming":
        return _("This consultation opens on %(date)s.") % {
            "date": formats.date_format(consultation.opens_at, "j F Y")
        }
    if status == "closed":
        return _("This consultation is closed.")
    return None
