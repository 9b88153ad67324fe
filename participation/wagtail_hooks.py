from django.db import transaction
from django.dispatch import receiver
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.log_actions import LogFormatter
from wagtail.signals import page_published

from participation import events, permissions
from participation.models import ConsultationPage
from participation.services import community as community_services
from participation.views import dashboard as dashboard_views
from participation.viewsets import ModeratorScopeViewSet, PollViewSet


@hooks.register("register_admin_viewset")
def register_polls():
    return PollViewSet("polls")


# The signal rather than the after_publish_page hook: workflow approval and scheduled
# publishing (publish_scheduled) publish too, outside the editor's publish button.
@receiver(page_published, sender=ConsultationPage)
def announce_consultation_status(sender, instance, **kwargs):
    """Readers with the page open see new dates or a closing at once."""
    transaction.on_commit(lambda: events.publish_all(events.consultation_status(instance)))


# --- Moderation ------------------------------------------------------------------------


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
        path("moderation/commentaires/<int:pk>/repondre/", views.answer, name="moderation_answer"),
        path("moderation/selection/", views.bulk, name="moderation_bulk"),
        path("moderation/contestations/<int:pk>/", views.decide_appeal, name="moderation_appeal"),
        path("moderation/crise/<int:consultation_id>/", views.crisis, name="moderation_crisis"),
        path("moderation/alertes/", views.alerts, name="moderation_alerts"),
        path("moderation/alertes/vues/", views.alerts_seen, name="moderation_alerts_seen"),
        path("moderation/alertes/<int:pk>/vue/", views.alert_seen, name="moderation_alert_seen"),
        path("moderation/bannissements/", views.bans, name="moderation_bans"),
        path(
            "moderation/bannissements/<int:pk>/lever/", views.lift_ban, name="moderation_lift_ban"
        ),
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
        (
            "tribune.moderation.official_answer",
            _("Answer officially"),
            _("Answered officially from the moderation queue"),
        ),
        ("tribune.moderation.appeal", _("Contest decision"), _("Decision contested by its author")),
        ("tribune.moderation.appeal_decided", _("Decide appeal"), _("Appeal decided")),
        ("tribune.rule.word_filter", _("Word filter"), _("Held by the word filter")),
        ("tribune.rule.links", _("Too many links"), _("Held for its number of links")),
        ("tribune.rule.reports", _("Report threshold"), _("Held after reports by several people")),
    ]:
        actions.register_action(action, label, message)

    # Crisis switches say which way they went: the history reads « Consultation gelée »
    # or « Consultation dégelée », never « gelée ou dégelée ».
    @actions.register_action("tribune.crisis.a_priori")
    class APrioriSwitched(LogFormatter):
        label = _("Crisis: a priori")

        def format_message(self, log_entry):
            if log_entry.data.get("on"):
                return _("A priori moderation switched on")
            return _("A priori moderation switched off")

    @actions.register_action("tribune.crisis.slow_mode")
    class SlowModeChanged(LogFormatter):
        label = _("Crisis: slow mode")

        def format_message(self, log_entry):
            minutes = log_entry.data.get("minutes") or 0
            if not minutes:
                return _("Slow mode switched off")
            return ngettext(
                "Slow mode: one comment per person every %(minutes)s minute",
                "Slow mode: one comment per person every %(minutes)s minutes",
                minutes,
            ) % {"minutes": minutes}

    @actions.register_action("tribune.crisis.freeze")
    class FreezeSwitched(LogFormatter):
        label = _("Crisis: freeze")

        def format_message(self, log_entry):
            if log_entry.data.get("on"):
                return _("Consultation frozen")
            return _("Consultation unfrozen")


# --- Community management -------------------------------------------------------------


@hooks.register("before_serve_page")
def count_visit(page, request, serve_args, serve_kwargs):
    """Cookieless audience: one counter per page and day, nothing about the visitor."""
    community_services.record_visit(request, page)


@hooks.register("tribune_page_served_from_cache")
def count_cached_visit(request, page_id):
    """A page served from the anonymous page cache is a visit all the same."""
    community_services.record_visit(request, page_id)


@hooks.register("register_admin_urls")
def register_community_urls():
    return [
        path("participation/", dashboard_views.dashboard, name="participation_dashboard"),
        path(
            "participation/<int:consultation_id>/export/<str:kind>.<str:fmt>",
            dashboard_views.export,
            name="participation_export",
        ),
        path(
            "participation/<int:consultation_id>/resultats/",
            dashboard_views.results,
            name="participation_results",
        ),
        path(
            "participation/<int:consultation_id>/objectifs/",
            dashboard_views.objectives,
            name="participation_objectives",
        ),
        path(
            "participation/calendrier/",
            dashboard_views.editorial_calendar,
            name="participation_calendar",
        ),
    ]


class RuleMenuItem(MenuItem):
    def __init__(self, *args, perm, **kwargs):
        super().__init__(*args, **kwargs)
        self.perm = perm

    def is_shown(self, request):
        return permissions.can(request.user, self.perm, None)


@hooks.register("register_admin_menu_item")
def register_dashboard_menu_item():
    return RuleMenuItem(
        _("Participation"),
        reverse("participation_dashboard"),
        icon_name="table",
        order=250,
        perm=permissions.SEE_MODERATION_FIGURES,
    )


@hooks.register("register_admin_menu_item")
def register_calendar_menu_item():
    return RuleMenuItem(
        _("Editorial calendar"),
        reverse("participation_calendar"),
        icon_name="date",
        order=260,
        perm=permissions.SEE_FIGURES,
    )


class EngagementPanel(Component):
    """The communication team's summary on the admin home: last 7 days, next dates."""

    name = "engagement_summary"
    order = 50
    template_name = "participation/community/admin/home_panel.html"

    def get_context_data(self, parent_context):
        from datetime import timedelta

        from django.utils import timezone

        from participation.queries import community as queries
        from participation.services import community as services

        services.refresh_figures()
        today = timezone.localdate()
        week = queries.figures(start=today - timedelta(days=6), end=today)
        return {
            "figures": week,
            "events": dashboard_views.calendar_events(today, today + timedelta(days=14))[:8],
            "dashboard_url": reverse("participation_dashboard"),
            "calendar_url": reverse("participation_calendar"),
        }


@hooks.register("construct_homepage_panels")
def add_engagement_panel(request, panels):
    if permissions.can(request.user, permissions.SEE_FIGURES, None):
        panels.append(EngagementPanel())
