"""Whose identity FranceConnect verified, and where they live when it said so.

A person is « identité vérifiée » while their account is linked to FranceConnect (a
sign-in with it, or a link from « Mes données »). Their places are what FranceConnect
sent and Tribune kept (accounts.oidc.provider.KEPT_CLAIMS): the postcode of the address
claim and the INSEE commune code (`cog`), when present.
"""

PROVIDER = "franceconnect"


def _link(user):
    if not getattr(user, "is_authenticated", False):
        return None
    # Cached per user instance: read for every poll of a page.
    if not hasattr(user, "_franceconnect_link"):
        user._franceconnect_link = user.socialaccount_set.filter(provider=PROVIDER).first()
    return user._franceconnect_link


def is_verified(user) -> bool:
    return _link(user) is not None


def places(user) -> set[str]:
    """The places of a verified person: from FranceConnect's address claim, or else the
    postcode they declared in « Mes données » (the pages say which one counts)."""
    link = _link(user)
    if link is None:
        return set()
    claims = (link.extra_data or {}).get("userinfo") or {}
    sent = {str(claims[key]).strip() for key in ("address_postcode", "cog") if claims.get(key)}
    if sent:
        return sent
    return {user.declared_postcode} if user.declared_postcode else set()
