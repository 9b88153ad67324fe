"""Who may do what on a consultation. One rule per action, named by a constant.

A rule returns None when the action is allowed, or the reason it is not, in French,
ready to show next to the form ("Connectez-vous pour participer."). Services call
`require`; templates call `reason` to explain a disabled form.
"""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.utils import formats
from django.utils.translation import gettext as _

from accounts import roles
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


# --- Polls ---------------------------------------------------------------------------------

VOTE = "participation.vote"
CHANGE_BALLOT = "participation.change_ballot"


@rule(VOTE)
def vote_reason(user, poll) -> str | None:
    """Why this person cannot vote in this poll now. Every verified account may vote,
    staff included: agents and the communication team are residents too."""
    if not poll.is_published:
        return _("This poll is not open.")
    status = poll.status
    if status == "closed":
        return _("This poll closed on %(date)s.") % {
            "date": formats.date_format(poll.effective_closes_at, "j F Y")
        }
    return participant_reason(user, poll.consultation)


@rule(CHANGE_BALLOT)
def change_ballot_reason(user, poll) -> str | None:
    if (why := vote_reason(user, poll)) is not None:
        return why
    if not poll.allow_change:
        return _("You have already voted in this poll, and it does not allow changing a ballot.")
    return None


# Rights in the Wagtail admin: the communication team and administrators edit polls
# and read their free-text answers; moderators do not see polls at all.
POLL_ADMIN_PERMISSIONS = {
    roles.COMMUNICATION: ["add_poll", "change_poll", "delete_poll", "view_poll"],
    roles.ADMINISTRATORS: ["add_poll", "change_poll", "delete_poll", "view_poll"],
}


def grant_poll_admin_permissions(apps=None) -> None:
    """Idempotent; called by the migration, load_demo and tests (a flushed test database
    loses what migrations wrote)."""
    if apps is None:
        from django.apps import apps
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    groups = roles.create_groups(apps)
    poll_type, _created = ContentType.objects.get_or_create(app_label="participation", model="poll")
    for role, codenames in POLL_ADMIN_PERMISSIONS.items():
        for codename in codenames:
            permission, _created = Permission.objects.get_or_create(
                content_type=poll_type,
                codename=codename,
                defaults={"name": f"Can {codename.replace('_', ' ')}"},
            )
            groups[role].permissions.add(permission)
