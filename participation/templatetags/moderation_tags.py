"""Moderation pieces of public pages: the charter link of every comment form, and the
banner of a frozen consultation."""

from django import template
from django.utils.translation import gettext as _

from cms.models import NavigationSettings

register = template.Library()


@register.simple_tag(takes_context=True)
def charter_url(context) -> str:
    """The charter page's address, looked up once per request."""
    request = context.get("request")
    cache = getattr(request, "_tribune_charter_url", None) if request else None
    if cache is not None:
        return cache
    # The charter is the footer's page (cms.NavigationSettings), one per site.
    page = NavigationSettings.for_request(request).charter_page if request else None
    url = page.specific.url if page is not None and page.live else ""
    if request is not None:
        request._tribune_charter_url = url
    return url or ""


@register.simple_tag
def freeze_banner(consultation) -> str:
    crisis = consultation.crisis
    if crisis is not None and crisis.frozen:
        return crisis.freeze_message or _("This consultation is frozen: it is read-only for now.")
    return ""
