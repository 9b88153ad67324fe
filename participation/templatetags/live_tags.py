"""The live-updates part of a consultation page (static/js/live.js reads it)."""

from django import template
from django.utils import timezone
from django.utils.html import json_script

from participation.queries.live import reader_context
from participation.views.live import page_cursor

register = template.Library()


@register.simple_tag
def live_cursor() -> str:
    """Where catching up starts: the moment the page was rendered (no query)."""
    return page_cursor(timezone.now())


@register.simple_tag(takes_context=True)
def live_reader_context(context, consultation):
    """The reader context of static/js/live.js (participation.queries.live), once per
    page: what this reader may do with comments that arrive live. Visitors all get the
    same one, so a page shared between them stays shareable."""
    request = context.get("request")
    if request is None:
        return ""
    return json_script(reader_context(request, consultation), "reader-context")
