"""A small OpenID Connect provider for the tests: django-oauth-toolkit with OIDC on, in a
Django project of its own (own settings, own SQLite file), run as a separate process on
loopback by tests/oidc.py. It speaks the protocol FranceConnect and ProConnect speak
(discovery, authorization code with PKCE, RS256 ID tokens, JWKS, userinfo, end session),
and can be told to misbehave (tests/oidc_provider/views.py `mode`) so that Tribune's
refusals are tested against a real server."""
