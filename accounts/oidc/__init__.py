"""Sign-in with FranceConnect and ProConnect: allauth's OpenID Connect provider, stricter.

allauth 65 skips the ID token's signature when it fetched the token itself, sends no
`nonce` and has no RP-initiated logout; FranceConnect requires all three. This package
keeps allauth's flow (state, PKCE, accounts, linking) and adds what is missing.
"""
