"""Signing out of Tribune ends the provider's session too (RP-initiated logout).

FranceConnect requires it: otherwise the next person at a shared computer would be
signed in again by FranceConnect without typing anything. The ID token is kept in the
session from sign-in to sign-out, only for the `id_token_hint`, and leaves it then.
"""

import logging

import requests
from allauth.account import app_settings as account_settings
from django.shortcuts import resolve_url
from django.utils.crypto import get_random_string
from django.utils.http import urlencode

logger = logging.getLogger("tribune.oidc")

SESSION_KEY = "tribune_oidc"


def remember(session, provider_id: str, id_token: str) -> None:
    session[SESSION_KEY] = {"provider": provider_id, "id_token": id_token}


def signed_in_with(session) -> str | None:
    record = session.get(SESSION_KEY) if session is not None else None
    return record.get("provider") if isinstance(record, dict) else None


def end_session_url(request) -> str | None:
    """The provider's end-session address for this session, or None (no provider
    session, or the provider cannot be reached: Tribune's own sign-out still happens)."""
    from accounts.oidc.views import TribuneOIDCAdapter  # views import allauth's views

    record = request.session.pop(SESSION_KEY, None)
    if not isinstance(record, dict) or not record.get("id_token"):
        return None
    try:
        config = TribuneOIDCAdapter(request, record["provider"]).openid_config
    except (requests.RequestException, ValueError, LookupError) as error:
        logger.warning(
            "OIDC logout at %s skipped: %s", record.get("provider"), type(error).__name__
        )
        return None
    endpoint = config.get("end_session_endpoint")
    if not endpoint:
        return None
    back = request.build_absolute_uri(resolve_url(account_settings.LOGOUT_REDIRECT_URL))
    query = urlencode(
        {
            "id_token_hint": record["id_token"],
            "state": get_random_string(32),
            "post_logout_redirect_uri": back,
        }
    )
    return f"{endpoint}?{query}"
