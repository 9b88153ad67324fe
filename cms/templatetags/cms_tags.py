from django import template
from django.utils.translation import gettext as _

from cms import queries

register = template.Library()


@register.simple_tag(takes_context=True)
def main_menu(context):
    """Pages under the site root marked "show in menus", in tree order."""
    request = context.get("request")
    return queries.main_menu(request) if request else []


@register.simple_tag(takes_context=True)
def is_current(context, page) -> bool:
    current = context.get("page")
    return bool(current and (current.pk == page.pk or current.path.startswith(page.path)))


@register.filter
def status_label(status) -> str:
    return {
        "open": _("Open"),
        "upcoming": _("Upcoming"),
        "closed": _("Closed"),
    }.get(str(status), "")


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (pagination links keep the
    filters)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


# Open Graph and Twitter Card need absolute addresses (issue 7).
@register.simple_tag(takes_context=True)
def absolute_url(context, url):
    if not url or url.startswith(("http://", "https://")):
        return url or ""
    request = context.get("request")
    return request.build_absolute_uri(url) if request else url
