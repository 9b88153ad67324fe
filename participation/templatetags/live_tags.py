"""The live-updates part of a consultation page (static/js/live.js reads it)."""

from django import template
from django.utils import timezone

from participation.views.live import page_cursor

register = template.Library()


@register.simple_tag
def live_cursor() -> str:
    """Where catching up starts: the moment the page was rendered (no query)."""
    return page_cursor(timezone.now())
