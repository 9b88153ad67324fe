from django import template
from django.utils.html import format_html
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


# Open Graph and Twitter Card need absolute addresses.
@register.simple_tag(takes_context=True)
def absolute_url(context, url):
    if not url or url.startswith(("http://", "https://")):
        return url or ""
    request = context.get("request")
    return request.build_absolute_uri(url) if request else url


def _marked(field) -> str:
    """The field's label, followed for a required field by a visible « (obligatoire) ».
    The mark is hidden from assistive technologies, which already hear "required" from
    the input's `required` attribute (RGAA 11.10), so the field's name stays its label."""
    if not field.field.required:
        return field.label
    return format_html(
        '{} <span class="required-mark" aria-hidden="true">{}</span>',
        field.label,
        _("(required)"),
    )


@register.simple_tag
def marked_label(field):
    return field.label_tag(contents=_marked(field))


@register.simple_tag
def marked_legend(field):
    return field.legend_tag(contents=_marked(field))


@register.simple_tag
def first_input_id(field) -> str:
    """The id of the field's first input (the first radio of a group), for links that
    take the person to it."""
    for widget in field.subwidgets:
        if widget.id_for_label:
            return widget.id_for_label
    return field.auto_id or ""
