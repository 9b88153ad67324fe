from django import template

from consent.services import cookies, records

register = template.Library()


@register.simple_tag(takes_context=True)
def consent_state(context):
    """What base.html needs: whether to show the cookie banner, whether the signed-in
    person must accept new terms. One cached read of the cookie groups per page."""
    request = context.get("request")
    if request is None:
        return {"banner": False, "terms_pending": False}
    return {
        "banner": not context.get("hide_cookie_banner") and bool(cookies.pending_groups(request)),
        "banner_text": cookies.banner_text(),
        "terms_pending": records.needs_terms_acceptance(request.user),
    }


@register.filter
def duration(days) -> str:
    """730 → "2 ans", 182 → "6 mois", 7 → "7 jours": how people say a retention period."""
    from django.utils.translation import ngettext

    days = int(days)
    years = round(days / 365.25)
    if years and abs(days - years * 365.25) <= 1:
        return ngettext("%(count)d year", "%(count)d years", years) % {"count": years}
    months = round(days / 30.44)
    if days >= 28 and abs(days - months * 30.44) <= 2:
        return ngettext("%(count)d month", "%(count)d months", months) % {"count": months}
    return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
