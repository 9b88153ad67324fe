"""The cookie choice: django-cookie-consent's groups and cookie format, signed by Tribune.

The consent cookie keeps the library's format ("audience=<version>|…", read by its
template tags and by CleanCookiesMiddleware) with three more pairs: `cid`, a random
consent id (its salted hash identifies the visitor in ConsentRecord), `at`, when the
choice was made, and `sig`, an HMAC of everything else. A cookie whose signature does
not match, or older than COOKIE_CONSENT_MAX_AGE (6 months), counts as no choice at all:
the banner comes back and optional cookies are removed (ConsentCookieMiddleware).

A group's version is the creation date of its newest cookie (the library's rule): add
a cookie to a group and everyone's earlier choice for it stops counting.
"""

import logging
import secrets
import time
from datetime import timedelta

from cookie_consent.cache import all_cookie_groups
from cookie_consent.util import (
    dict_to_cookie_str,
    get_not_accepted_or_declined_cookie_groups,
    parse_cookie_str,
)
from django.conf import settings
from django.core.signing import Signer
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from consent.models import Decision, Purpose
from consent.services import records

logger = logging.getLogger(__name__)

AUDIENCE = "audience"
NECESSARY = "necessaires"
META_KEYS = ("cid", "at", "sig")
PURPOSES = {AUDIENCE: Purpose.AUDIENCE_COOKIES}

_signer = Signer(salt="tribune.cookie-consent", algorithm="sha256")


def banner_text() -> str:
    """The sentence every cookie decision is recorded against (its hash is the proof)."""
    return _(
        "With your consent, Tribune sets one audience-measurement cookie: it only holds "
        "the date of your last visit, so we can count returning visitors. Necessary "
        "cookies (session, security, language, this choice) need no consent. Your choice "
        "lasts 6 months and can be changed at any time through « Gestion des cookies »."
    )


def _payload(values: dict) -> str:
    return "|".join(f"{key}={values[key]}" for key in sorted(values) if key != "sig")


def sign(values: dict) -> str:
    return dict_to_cookie_str({**values, "sig": _signer.signature(_payload(values))})


def read(raw: str, *, now: float | None = None) -> dict | None:
    """The values of a consent cookie, or None when it is forged, damaged or expired."""
    values = parse_cookie_str(raw)
    signature = values.get("sig", "")
    if not signature or not constant_time_compare(signature, _signer.signature(_payload(values))):
        return None
    try:
        made_at = int(values["at"])
    except (KeyError, ValueError):
        return None
    now = time.time() if now is None else now
    if not (now - settings.COOKIE_CONSENT_MAX_AGE <= made_at <= now + 300):
        return None
    return values


def consent_id(request) -> str:
    return getattr(request, "consent_values", {}).get("cid", "")


def pending_groups(request):
    """Optional groups without a valid decision: the banner shows while there is one."""
    return get_not_accepted_or_declined_cookie_groups(request)


def apply_choice(request, response, accepted: set[str], *, now=None) -> dict:
    """Record the visitor's decision for every optional group and set the signed cookie.

    `accepted`: varnames of the groups accepted; every other optional group is refused,
    and its cookies are removed from the browser at once.
    """
    now = now or timezone.now()
    groups = all_cookie_groups()
    previous = getattr(request, "consent_values", None) or {}
    values = {key: value for key, value in previous.items() if key not in META_KEYS}
    values["cid"] = previous.get("cid") or secrets.token_urlsafe(16)
    values["at"] = str(int(now.timestamp()))
    lasts = timedelta(seconds=settings.COOKIE_CONSENT_MAX_AGE)
    with transaction.atomic():
        for varname, group in groups.items():
            granted = varname in accepted
            version = group.get_version() if granted else settings.COOKIE_CONSENT_DECLINE
            if not granted:
                for cookie in group.cookie_set.all():
                    response.delete_cookie(cookie.name, cookie.path, cookie.domain or None)
            was = previous.get(varname)
            if granted:
                decision = Decision.GRANTED
            elif was and was != settings.COOKIE_CONSENT_DECLINE:
                decision = Decision.WITHDRAWN
            else:
                decision = Decision.REFUSED
            values[varname] = version
            records.record(
                purpose=PURPOSES.get(varname, f"cookies:{varname}"),
                decision=decision,
                version=group.get_version() or "0",
                text=banner_text(),
                user=request.user,
                visitor_id=values["cid"],
                now=now,
                lasts=lasts,
            )
    response.set_cookie(
        settings.COOKIE_CONSENT_NAME,
        sign(values),
        max_age=settings.COOKIE_CONSENT_MAX_AGE,
        domain=settings.COOKIE_CONSENT_DOMAIN,
        secure=settings.COOKIE_CONSENT_SECURE,
        httponly=settings.COOKIE_CONSENT_HTTPONLY,
        samesite=settings.COOKIE_CONSENT_SAMESITE,
    )
    request.consent_values = values
    return values
