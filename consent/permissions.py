"""Who may do what with personal data. One rule per action, named by a constant.

A rule returns None when allowed, or the reason in French. Services call `require`.
"""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from accounts import roles

EXPORT_DATA = "consent.export_data"
DELETE_ACCOUNT = "consent.delete_account"
EDIT_PROFILE = "consent.edit_profile"
VIEW_RECORDS = "consent.view_records"

Rule = Callable[[object, object], str | None]
RULES: dict[str, Rule] = {}


def rule(name: str):
    def register(function: Rule) -> Rule:
        RULES[name] = function
        return function

    return register


def reason(actor, perm: str, subject=None) -> str | None:
    return RULES[perm](actor, subject)


def can(actor, perm: str, subject=None) -> bool:
    return reason(actor, perm, subject) is None


def require(actor, perm: str, subject=None) -> None:
    if (why := reason(actor, perm, subject)) is not None:
        raise PermissionDenied(why)


def _is_self(actor, subject) -> bool:
    return bool(actor.is_authenticated and subject is not None and actor.pk == subject.pk)


@rule(EXPORT_DATA)
def export_reason(actor, subject):
    if not actor.is_authenticated:
        return _("Sign in to download your data.")
    if not _is_self(actor, subject):
        return _("You can only download your own data.")
    return None


@rule(EDIT_PROFILE)
def edit_reason(actor, subject):
    if not _is_self(actor, subject):
        return _("You can only change your own account.")
    return None


@rule(DELETE_ACCOUNT)
def delete_reason(actor, subject):
    if not actor.is_authenticated:
        return _("Sign in to delete your account.")
    if not _is_self(actor, subject):
        return _("You can only delete your own account.")
    if subject.is_superuser:
        return _(
            "An administrator account cannot delete itself: ask another administrator "
            "to remove its rights first."
        )
    return None


@rule(VIEW_RECORDS)
def records_reason(actor, subject=None):
    if roles.has_role(actor, roles.ADMINISTRATORS):
        return None
    return _("Only administrators may see consent records.")
