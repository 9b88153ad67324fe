"""The roles of DESIGN.md, as Django groups. Names are the ones people see in the admin."""

from django.utils.translation import gettext_lazy as _

CITIZENS = "Citoyens"
AGENTS = "Agents"
MODERATORS = "Modérateurs"
COMMUNICATION = "Équipe communication"
ADMINISTRATORS = "Administrateurs"

ALL = (CITIZENS, AGENTS, MODERATORS, COMMUNICATION, ADMINISTRATORS)
DEFAULT = CITIZENS

DESCRIPTIONS = {
    CITIZENS: _("Default role: reads, comments, supports, votes."),
    AGENTS: _("May answer officially in the name of the institution."),
    MODERATORS: _("Work the moderation queue in the admin."),
    COMMUNICATION: _("Write, schedule and publish consultations and news; read figures."),
    ADMINISTRATORS: _("Manage roles, settings, retention and exports."),
}

# Roles that reach the Wagtail admin.
STAFF = (MODERATORS, COMMUNICATION, ADMINISTRATORS)


def has_role(user, *roles: str) -> bool:
    """True when the user belongs to one of the roles; the group names are cached per user.

    A staff role counts only when the user's session passed the second factor: the mark
    `second_factor_passed` is put by accounts.permissions.judge_session on the user of
    every request and WebSocket connection; users without a mark (commands, tasks) keep
    their roles.
    """
    if not user.is_authenticated:
        return False
    if getattr(user, "second_factor_passed", True) is False:
        roles = tuple(role for role in roles if role not in STAFF)
        if not roles:
            return False
    if not hasattr(user, "_role_names"):
        user._role_names = frozenset(user.groups.values_list("name", flat=True))
    if user.is_superuser and ADMINISTRATORS in roles:
        return True
    return bool(user._role_names & set(roles))


def create_groups(apps=None):
    """Create the role groups when missing; staff roles may open the Wagtail admin.

    Takes the migration's app registry (the data migration calls it) or, by default,
    the live one (tests and load_demo call it: a flushed test database loses what
    migrations wrote).
    """
    if apps is None:
        from django.apps import apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")

    groups = {name: Group.objects.get_or_create(name=name)[0] for name in ALL}
    admin_type, _created = ContentType.objects.get_or_create(
        app_label="wagtailadmin", model="admin"
    )
    access_admin, _created = Permission.objects.get_or_create(
        content_type=admin_type,
        codename="access_admin",
        defaults={"name": "Can access Wagtail admin"},
    )
    for name in STAFF:
        groups[name].permissions.add(access_admin)
    return groups
