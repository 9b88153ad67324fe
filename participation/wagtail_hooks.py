from wagtail import hooks

from participation.viewsets import PollViewSet


@hooks.register("register_admin_viewset")
def register_polls():
    return PollViewSet("polls")


# --- Community management (issue 7) ---------------------------------------------------

from django.urls import path, reverse  # noqa: E402
from django.utils.translation import gettext_lazy as _  # noqa: E402
from wagtail.admin.menu import MenuItem  # noqa: E402
from wagtail.admin.ui.components import Component  # noqa: E402

from participation import permissions  # noqa: E402
from participation.services import community as community_services  # noqa: E402
from participation.views import dashboard as dashboard_views  # noqa: E402


@hooks.register("before_serve_page")
def count_visit(page, request, serve_args, serve_kwargs):
    """Cookieless audience: one counter per page and day, nothing about the visitor."""
    community_services.record_visit(request, page)


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
