"""E-mails of the consent app, in the site's language, rendered from templates."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template import Context
from django.template.loader import get_template
from django.utils.translation import override

logger = logging.getLogger(__name__)


def contact_address() -> str:
    """The address people write to (« Navigation et pied de page » of the default
    site). Read by model name: consent sits below cms and never imports it."""
    from django.apps import apps

    try:
        navigation = apps.get_model("cms", "NavigationSettings")
    except LookupError:
        return ""
    return (
        navigation.objects.filter(site__is_default_site=True)
        .values_list("contact_email", flat=True)
        .first()
        or ""
    )


def render_text(template_name: str, context: dict) -> str:
    """A plain-text template rendered without HTML escaping: a display name such as
    « O'Neil & co » reads as typed, not « O&#x27;Neil &amp; co ». Plain text is never
    read as HTML, so there is nothing to escape (an HTML part, if one is ever added,
    goes through the usual escaping templates)."""
    return get_template(template_name).template.render(Context(context, autoescape=False))


def send(template: str, *, to: str, context: dict) -> None:
    """Send `template`_subject.txt / `template`_message.txt to one address.

    Never raises: the action it reports is already committed; the log says it failed
    (without the address: no personal data in logs)."""
    with override(settings.LANGUAGE_CODE):
        subject = " ".join(render_text(f"{template}_subject.txt", context).split())
        body = render_text(f"{template}_message.txt", context)
    try:
        send_mail(subject, body, None, [to])
    except Exception:
        logger.exception("e-mail %s could not be sent", template)
