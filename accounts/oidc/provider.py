from allauth.account.models import EmailAddress
from allauth.socialaccount.providers.openid_connect.provider import (
    OpenIDConnectProvider,
    _pick_data,
)
from django.utils.crypto import get_random_string

from accounts.oidc.views import TribuneOIDCAdapter

# What Tribune keeps of what a provider sends (SocialAccount.extra_data). The real name,
# birth date and birth place are received from FranceConnect when the scopes ask for them
# but never stored: no feature needs them, and the public sees a pseudonym.
KEPT_CLAIMS = ("sub", "email", "acr", "amr", "idp_id", "address_postcode", "cog")


class TribuneOpenIDConnectProvider(OpenIDConnectProvider):
    """allauth's provider, with a `nonce` sent and checked and only the claims kept that
    features use."""

    oauth2_adapter_class = TribuneOIDCAdapter
    # The login and callback views come from accounts/oidc/urls.py (same URL names).
    package = "accounts.oidc"

    def redirect(self, request, process, next_url=None, data=None, **kwargs):
        # The nonce travels in the stashed state (the session), so the callback can
        # compare it with the ID token's.
        nonce = get_random_string(32)
        auth_params = kwargs.pop("auth_params", None) or self.get_auth_params()
        auth_params["nonce"] = nonce
        return super().redirect(
            request, process, next_url, data, auth_params=auth_params, nonce=nonce, **kwargs
        )

    def extract_extra_data(self, data):
        userinfo = _pick_data(data)
        id_token = data.get("id_token") or {}
        kept = {key: userinfo[key] for key in KEPT_CLAIMS if key in userinfo}
        for key in ("acr", "amr"):
            if key in id_token:
                kept[key] = id_token[key]
        address = userinfo.get("address")
        if isinstance(address, dict) and address.get("postal_code"):
            kept["address_postcode"] = str(address["postal_code"])
        return {"userinfo": kept}

    def extract_common_fields(self, data):
        # Only the address: the name received is never copied to the account.
        return {"email": _pick_data(data).get("email")}

    def extract_email_addresses(self, data):
        email = _pick_data(data).get("email")
        if not email:
            return []
        verified = bool(self.app.settings.get("email_verified")) or (
            _pick_data(data).get("email_verified") is True
        )
        return [EmailAddress(email=email, verified=verified, primary=True)]


provider_classes = [TribuneOpenIDConnectProvider]
