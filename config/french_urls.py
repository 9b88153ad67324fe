"""allauth's account addresses in French (« /compte/connexion/ », not « /compte/login/ »),
built from allauth's own URL list so every view and URL name stays as allauth made it
(`reverse("account_login")` keeps working), with a permanent redirect from each former
English address (bookmarks, links in e-mails already sent)."""

import re

from django.http import HttpResponsePermanentRedirect
from django.urls import URLPattern, URLResolver, path, re_path
from django.urls.resolvers import RegexPattern

# One word of an address → its French word. Words not listed stay as they are.
SEGMENTS = {
    "login": "connexion",
    "logout": "deconnexion",
    "signup": "inscription",
    "inactive": "compte-inactif",
    "reauthenticate": "confirmer-identite",
    "code": "code",
    "confirm": "confirmer",
    "email": "adresse-email",
    "confirm-email": "confirmer-adresse",
    "password": "mot-de-passe",
    "change": "modifier",
    "set": "definir",
    "reset": "oubli",
    "key": "cle",
    "done": "termine",
    "2fa": "double-authentification",
    "authenticate": "verifier",
    "totp": "application",
    "activate": "activer",
    "deactivate": "desactiver",
    "recovery-codes": "codes-de-secours",
    "generate": "generer",
    "download": "telecharger",
}
LITERAL = re.compile(r"^\^?[\w-]+$")


def _translate(route: str) -> str:
    parts = []
    for part in route.split("/"):
        caret = part.startswith("^")
        word = part[1:] if caret else part
        if LITERAL.match(part) and word in SEGMENTS:
            part = ("^" if caret else "") + SEGMENTS[word]
        parts.append(part)
    return "/".join(parts)


def moved(request, *args, **kwargs):
    """The same address in French, query string kept. 301 for reading; 308 keeps the
    method and body of a form posted to a former address."""
    target = "/".join(SEGMENTS.get(part, part) for part in request.path.split("/"))
    if request.META.get("QUERY_STRING"):
        target += "?" + request.META["QUERY_STRING"]
    response = HttpResponsePermanentRedirect(target)
    if request.method not in ("GET", "HEAD"):
        response.status_code = 308
    return response


def _endpoints(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _endpoints(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix, pattern


def french(patterns) -> list:
    """Every endpoint of `patterns` at its French address, then redirects from the
    former ones."""
    translated, redirects = [], []
    for prefix, pattern in _endpoints(patterns):
        regex = isinstance(pattern.pattern, RegexPattern)
        route = str(pattern.pattern)
        if regex:
            route = "^" + re.escape(prefix) + route.removeprefix("^") if prefix else route
        else:
            route = prefix + route
        make = re_path if regex else path
        new_route = _translate(route)
        translated.append(make(new_route, pattern.callback, pattern.default_args, pattern.name))
        if new_route != route:
            redirects.append(make(route, moved))
    return translated + redirects
