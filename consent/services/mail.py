"""E-mails of the consent app, in the site's language, rendered from templates."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
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


def send(template: str, *, to: str, context: dict) -> None:
    """Send `template`_subject.txt / `template`_message.txt to one address.

    Never raises: the action it reports is already committed; the log says it failed
    (without the address: no personal data in logs)."""
    with override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}_message.txt", context)
    try:
        send_mail(subject, body, None, [to])
    except Exception:
        logger.exception("e-mail %s could not be sent", template)
