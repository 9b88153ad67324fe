from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from participation import permissions
from participation.viewsets import ModeratorScopeViewSet, PollViewSet


@hooks.register("register_admin_viewset")
def register_polls():
    return PollViewSet("polls")


# --- Moderation (issue 5) --------------------------------------------------------------


@hooks.register("register_admin_viewset")
def register_moderator_scopes():
    return ModeratorScopeViewSet("moderator_scopes")


class ModerationMenuItem(MenuItem):
    def is_shown(self, request):
        return permissions.is_moderator(request.user)


@hooks.register("register_admin_urls")
def register_moderation_urls():
    from participation.views import moderation_admin as views

    return [
        path("moderation/", views.queue, name="moderation_queue"),
        path("moderation/commentaires/<int:pk>/action/", views.act, name="moderation_act"),
        path(
            "moderation/commentaires/<int:pk>/historique/", views.history, name="moderation_history"
        ),
        path("moderation/commentaires/<int:pk>/bannir/", views.ban, name="moderation_ban"),
        path("moderation/selection/", views.bulk, name="moderation_bulk"),
        path("moderation/contestations/<int:pk>/", views.decide_appeal, name="moderation_appeal"),
        path("moderation/crise/<int:consultation_id>/", views.crisis, name="moderation_crisis"),
        path("moderation/alertes/", views.alerts, name="moderation_alerts"),
    ]


@hooks.register("register_admin_menu_item")
def register_moderation_menu_item():
    return ModerationMenuItem(
        _("Moderation"), reverse("moderation_queue"), icon_name="warning", order=150
    )


@hooks.register("register_log_actions")
def register_moderation_log_actions(actions):
    """Every moderation action, rule firing and crisis switch, in Wagtail's audit log."""
    for action, label, message in [
        ("tribune.moderation.publish", _("Publish comment"), _("Comment published")),
        ("tribune.moderation.reject", _("Reject comment"), _("Comment rejected")),
        ("tribune.moderation.hide", _("Hide comment"), _("Comment hidden")),
        ("tribune.moderation.restore", _("Restore comment"), _("Comment restored")),
        ("tribune.moderation.handled", _("Handle reports"), _("Reports marked as handled")),
        ("tribune.moderation.ban", _("Ban author"), _("Author banned")),
        ("tribune.moderation.lift_ban", _("Lift ban"), _("Ban lifted")),
        ("tribune.moderation.appeal", _("Contest decision"), _("Decision contested by its author")),
        ("tribune.moderation.appeal_decided", _("Decide appeal"), _("Appeal decided")),
        ("tribune.rule.word_filter", _("Word filter"), _("Held by the word filter")),
        ("tribune.rule.links", _("Too many links"), _("Held for its number of links")),
        ("tribune.rule.reports", _("Report threshold"), _("Held after reports by several people")),
        ("tribune.crisis.a_priori", _("Crisis: a priori"), _("A priori moderation switched")),
        ("tribune.crisis.slow_mode", _("Crisis: slow mode"), _("Slow mode changed")),
        ("tribune.crisis.freeze", _("Crisis: freeze"), _("Consultation frozen or unfrozen")),
    ]:
        actions.register_action(action, label, message)
