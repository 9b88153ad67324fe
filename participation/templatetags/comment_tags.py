import functools
import re

from django import template
from django.utils.html import urlize
from django.utils.safestring import mark_safe

from participation import permissions
from participation.forms.comments import new_key
from participation.queries import comments as queries
from participation.templatetags import comment_cards as cards

register = template.Library()

# urlize escapes the text and links the addresses; only the rel it writes is touched.
NOFOLLOW = re.compile(r'<a href="([^"]*)" rel="nofollow">')


@register.filter
def comment_text(body: str) -> str:
    """Plain text as HTML: everything escaped, addresses turned into links that search
    engines do not follow (user-generated content), line breaks kept."""
    return mark_safe(_comment_html(body or ""))  # noqa: S308 - built from escaped text


# urlize is the costliest step of a thread page; the same texts come back on every view.
@functools.lru_cache(maxsize=4096)
def _comment_html(body: str) -> str:
    html = urlize(body, nofollow=True, autoescape=True)
    html = NOFOLLOW.sub(r'<a href="\1" rel="nofollow ugc">', html)
    paragraphs = re.split(r"\n{2,}", html)
    return "".join(f"<p>{part.replace(chr(10), '<br>')}</p>" for part in paragraphs if part)


@register.simple_tag(takes_context=True)
def comment_thread(context, consultation):
    """The page of the thread that the request asks for (sort, cursor, permalink)."""
    request = context["request"]
    params = request.GET
    return queries.thread_page(
        consultation,
        request.user,
        sort=params.get("tri"),
        cursor=params.get("apres"),
        official_only=params.get("officielles") == "1",
        focus=params.get("commentaire"),
    )


@register.simple_tag
def comment_reason(user, consultation):
    """Why this person cannot comment here, or "" when they can."""
    return permissions.reason(user, permissions.COMMENT, consultation) or ""


@register.simple_tag
def form_key():
    return new_key()


@register.simple_tag
def sorts():
    return list(queries.SORTS.values())


@register.filter
def edit_deadline(comment):
    return permissions.edit_deadline(comment)


@register.simple_tag
def comment_limit():
    from django.conf import settings

    return settings.TRIBUNE_COMMENT_MAX_LENGTH


def _card_options(context) -> dict:
    """What every comment of the page needs, looked up once per request."""
    from cms.models import BrandingSettings

    request = context.get("request")
    if request is None:
        return {"csrf_token": str(context.get("csrf_token", "")), "institution": ""}
    options = getattr(request, "_tribune_card_options", None)
    if options is None:
        options = request._tribune_card_options = {
            "csrf_token": str(context.get("csrf_token", "")),
            "institution": BrandingSettings.for_request(request).institution_name,
            "request": request,
        }
    return options


@register.simple_tag(takes_context=True)
def comment_item(context, comment):
    """A comment and the replies shown under it, as a list item."""
    return cards.item_html(comment, **_card_options(context))


@register.simple_tag(takes_context=True)
def comment_card(context, comment):
    return cards.card_html(
        comment,
        **_card_options(context),
        standalone=bool(context.get("standalone")),
        edit_form=context.get("edit_form"),
        delete_error=context.get("delete_error", ""),
        support_error=context.get("support_error", ""),
    )


@register.simple_tag(takes_context=True)
def comment_support(context, comment):
    return cards.support_html(
        comment, str(context.get("csrf_token", "")), context.get("support_error", "")
    )


@register.simple_tag(takes_context=True)
def thread_title_suffix(context) -> str:
    """What the page's <title> adds when the thread is sorted, filtered or paged, so a
    screen-reader user knows which view of the thread a page is (RGAA 8.6)."""
    from django.utils.translation import gettext as _

    params = context["request"].GET
    parts = []
    sort = queries.SORTS.get(params.get("tri") or "")
    if sort is not None and sort.slug != queries.DEFAULT_SORT:
        parts.append(_("comments sorted by “%(sort)s”") % {"sort": sort.label})
    if params.get("officielles") == "1":
        parts.append(_("official answers only"))
    if params.get("apres"):
        parts.append(_("next comments"))
    return f" — {', '.join(parts)}" if parts else ""
