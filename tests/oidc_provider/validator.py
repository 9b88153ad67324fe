import base64
import json
import time

from django.conf import settings
from jwcrypto import jwk, jwt
from oauth2_provider.oauth2_validators import OAuth2Validator

from tests.oidc_provider import state


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Validator(OAuth2Validator):
    # Every claim of the identity is sent, whatever the scope: the tests choose them.
    oidc_claim_scope = None

    def get_additional_claims(self, request):
        claims = {"email": request.user.email}
        claims.update(state.IDENTITIES.get(request.user.get_username(), {}))
        return claims

    def finalize_id_token(self, id_token, token, token_handler, request):
        claims, expiration_time = self.get_id_token_dictionary(token, token_handler, request)
        id_token.update(**claims)
        if "nonce" not in id_token and request.nonce:
            id_token["nonce"] = request.nonce
        mode = state.MODE["value"]
        key = request.client.jwk_key
        header = {"typ": "JWT", "alg": "RS256", "kid": key.thumbprint()}
        if mode == "nonce":
            id_token["nonce"] = "une-autre-connexion"
        elif mode == "expired":
            id_token["iat"] = int(time.time()) - 7200
            id_token["exp"] = int(time.time()) - 3600
        elif mode == "issuer":
            id_token["iss"] = "http://127.0.0.1:1/un-autre-fournisseur"
        elif mode == "hs256":
            header = {"typ": "JWT", "alg": "HS256", "kid": header["kid"]}
            key = jwk.JWK(kty="oct", k=_b64(request.client.client_secret.encode()))
        elif mode == "other_key":
            # Signed by a key the provider does not publish, under the published key's id.
            key = jwk.JWK.from_pem(settings.OIDC_OTHER_PRIVATE_KEY.encode())
        signed = jwt.JWT(header=json.dumps(header), claims=json.dumps(id_token, default=str))
        signed.make_signed_token(key)
        self._save_id_token(id_token["jti"], request, expiration_time)
        serialized = signed.serialize()
        if mode == "tampered":
            head, _payload, signature = serialized.split(".")
            changed = dict(id_token, acr="eidas3")
            serialized = ".".join((head, _b64(json.dumps(changed).encode()), signature))
        return serialized
