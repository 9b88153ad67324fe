"""The bell of the header: the signed-in person's unread count. base.html calls it only
for signed-in people, so anonymous pages (and the kept copies of cms.pagecache, built
for anonymous visitors only) cost no query and carry no count."""

from django import template

from participation.queries.notifications import unread_count

register = template.Library()


@register.inclusion_tag("participation/notifications/bell.html", takes_context=True)
def notification_bell(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    count = unread_count(user) if user is not None and user.is_authenticated else 0
    return {"count": count, "csp_nonce": context.get("csp_nonce", "")}
