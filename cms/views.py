import logging
import sys
from urllib.parse import quote

from django.conf import settings
from django.db import DatabaseError
from django.http import JsonResponse
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from wagtail.models import Page

from cms import health as health_checks
from cms import queries
from cms.search import stemmed_query

logger = logging.getLogger(__name__)

# What a dead database or Redis raises; turned into a French 503 page, not a 500.
try:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    UNAVAILABLE = (DatabaseError, RedisConnectionError, RedisTimeoutError, ConnectionError)
except ImportError:  # pragma: no cover - redis is a dependency
    UNAVAILABLE = (DatabaseError, ConnectionError)


# In-place actions (static/js/enhance.js): the same view answers a fragment.
FRAGMENT_HEADER = "X-Tribune-Fragment"
ANNOUNCE_HEADER = "X-Tribune-Announce"


def wants_fragment(request) -> bool:
    return request.headers.get(FRAGMENT_HEADER) == "1"


def fragment(request, template_name, context, *, announce="", status=200):
    """The HTML of one element of the page (a template partial, "page.html#comment"),
    with the message to read to screen readers in a header."""
    response = TemplateResponse(request, template_name, context, status=status)
    if announce:
        response[ANNOUNCE_HEADER] = quote(str(announce))
    response["Vary"] = FRAGMENT_HEADER
    return response


def search(request):
    query = " ".join(request.GET.get("q", "").split())[:200]
    results = Page.objects.none()
    if query:
        # Stems of the query against the pages' stems (cms.search): French word forms
        # meet on every database, SQLite included.
        results = Page.objects.live().public().specific().search(stemmed_query(query))
    listing = queries.paginate(
        results, request.GET.get("page"), settings.TRIBUNE_SEARCH_RESULTS_PER_PAGE
    )
    return TemplateResponse(
        request,
        "cms/search.html",
        {"query": query, "listing": listing, "filter_errors": listing.errors if query else []},
    )


def health(request):
    """State of each service, for load balancers and monitoring. 200 while pages can be
    served: "ok", or "degraded" when Redis is out (pages come from the database, live
    updates by polling); 503 "down" only when the database does not answer. A plain
    view: its database check uses the request's connection, returned when it ends."""
    found = health_checks.states()
    states = {name: state for name, (state, _detail) in found.items()}
    detail = {name: text for name, (state, text) in found.items() if state != "up"}
    if any(states[name] != "up" for name in health_checks.ESSENTIAL):
        status, code = "down", 503
        message = "Service indisponible : la base de données ne répond pas."
    elif detail:
        status, code = "degraded", 200
        message = (
            "Service dégradé : Redis ne répond pas ; les pages sont servies depuis la base "
            "et les mises à jour en direct passent par l’interrogation périodique."
        )
    else:
        status, code, message = "ok", 200, "Service opérationnel."
    body = {"status": status, "message": message, "services": states}
    if detail:
        body["detail"] = detail
    return JsonResponse(
        body,
        status=code,
        headers={"Cache-Control": "no-store"},
        json_dumps_params={"ensure_ascii": False},  # read by people too
    )


# --- Error pages -------------------------------------------------------------------------
# They render templates that need no database, so they still work when it is down.


def bad_request(request, exception=None, reason=""):
    """The French 400 page. A request refused before the middleware that signs people
    in ran (a foreign Host header, an address with a null character) gets a page that
    needs neither the session nor the site's settings: the site of a foreign host is
    unknown, and base.html would raise again while rendering the error."""
    if not hasattr(request, "user"):
        return render(request, "400_plain.html", {"reason": reason}, status=400)
    return render(request, "400.html", {"reason": reason}, status=400)


def permission_denied(request, exception=None):
    reason = str(exception) if exception and str(exception) else ""
    return render(request, "403.html", {"reason": reason}, status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # Called while the exception is being handled: tell an outage from a bug.
    if isinstance(sys.exception(), UNAVAILABLE):
        return render(request, "503.html", status=503)
    return render(request, "500.html", status=500)


def csrf_failure(request, reason=""):
    logger.info("CSRF failure on %s: %s", request.path, reason)
    return render(
        request,
        "403_csrf.html",
        {"retry_url": request.path, "title": _("Form expired")},
        status=403,
    )
