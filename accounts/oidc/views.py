import hmac
import logging

import jwt
import requests
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _

logger = logging.getLogger("tribune.oidc")

# Clocks of two servers differ a little: FranceConnect's own guide allows a few seconds.
LEEWAY_SECONDS = 30


class TribuneOIDCAdapter(OpenIDConnectOAuth2Adapter):
    """Checks every ID token in full: signature with an expected algorithm and a key of the
    provider's key set, issuer, audience, expiry and the nonce of this sign-in."""

    state: dict | None = None

    def complete_login(self, request, app, token, **kwargs):
        raw = kwargs["response"].get("id_token")
        if not raw:
            raise OAuth2Error("no id_token in the token response")
        claims = self.verify_id_token(app, raw)
        data = {"id_token": claims, "userinfo": self._fetch_user_info(token.token)}
        if data["userinfo"].get("sub") != claims["sub"]:
            raise OAuth2Error("userinfo and id_token name different subjects")
        if self.state is not None:
            # Kept for the logout at the provider (end_session_endpoint needs it), with
            # the provider's name; moved to the session at sign-in (accounts.apps).
            self.state["id_token"] = raw
        return self.get_provider().sociallogin_from_response(request, data)

    def verify_id_token(self, app, raw: str) -> dict:
        config = self.openid_config
        expected_issuer = app.settings.get("server_url", "").rstrip("/")
        if config.get("issuer", "").rstrip("/") != expected_issuer:
            raise OAuth2Error("the discovery document names another issuer")
        try:
            header = jwt.get_unverified_header(raw)
        except jwt.PyJWTError as error:
            raise OAuth2Error("unreadable id_token") from error
        algorithm = header.get("alg")
        if algorithm not in settings.TRIBUNE_OIDC_ALGORITHMS:
            raise OAuth2Error(f"unexpected id_token algorithm {algorithm!r}")
        try:
            _alg, key = jwtkit.fetch_key(raw, config["jwks_uri"], jwtkit.lookup_kid_jwk)
            claims = jwt.decode(
                raw,
                key=key,
                algorithms=[algorithm],
                issuer=config["issuer"],
                audience=app.client_id,
                leeway=LEEWAY_SECONDS,
                options={"require": ["iss", "aud", "exp", "iat", "sub", "nonce"]},
            )
        except (jwt.PyJWTError, KeyError, ValueError) as error:
            raise OAuth2Error(f"id_token refused: {error}") from error
        expected_nonce = (self.state or {}).get("nonce") or ""
        if not expected_nonce or not hmac.compare_digest(
            str(claims["nonce"]).encode(), expected_nonce.encode()
        ):
            raise OAuth2Error("id_token nonce differs from this sign-in's")
        return claims


class TribuneCallbackView(OAuth2CallbackView):
    def _get_state(self, request, provider):
        state, response = super()._get_state(request, provider)
        self.adapter.state = state
        return state, response


def _provider_down(request, provider_id, error):
    logger.warning("OIDC provider %s unreachable: %s", provider_id, type(error).__name__)
    messages.error(
        request,
        _(
            "%(provider)s is not answering at the moment. Try again in a few minutes, or "
            "sign in with your e-mail address and password."
        )
        % {"provider": _provider_name(provider_id)},
    )
    return redirect("account_login")


def _provider_name(provider_id):
    return {"franceconnect": "FranceConnect", "proconnect": "ProConnect"}.get(
        provider_id, provider_id
    )


def login(request, provider_id):
    try:
        view = OAuth2LoginView.adapter_view(TribuneOIDCAdapter(request, provider_id))
        return view(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None
    except (requests.RequestException, ValueError) as error:
        # The discovery document could not be read: nothing was stashed worth keeping.
        return _provider_down(request, provider_id, error)


def callback(request, provider_id):
    try:
        view = TribuneCallbackView.adapter_view(TribuneOIDCAdapter(request, provider_id))
        return view(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None
