"""Anonymous pages built once, served to every anonymous reader from the shared cache.

What an anonymous reader sees of a Wagtail page (home, consultation list, consultation
pages, news…) is the same for all of them, but each request rendered it afresh: 7–9
pages/s where a bare page answers 96 (DESIGN.md, "Measured"). The first anonymous GET of
a page renders it and keeps the HTML in the default cache (Redis in production, shared
by every process); the next ones get it back for a few cache reads and one indexed query.

A kept page is served only while all of these hold:
- the published version of cms.queries is the one it was built under (publishing,
  unpublishing, moving a page, saving a site, a setting, a view restriction, a poll…);
- the page's own stamp has not moved (apps register what it is: for a consultation, the
  newest event of its live journal — a comment published or moderated, a poll result);
- it is younger than TRIBUNE_PAGE_CACHE_SECONDS, for whatever nothing signals (the
  figures of the home page, a date passing).

Only for anonymous GETs without a query string, without a session holding anything,
without pending messages, on pages without view restrictions. The personal bits of an
anonymous page — the CSRF token of its forms (language switch, cookie banner) and the
CSP nonce of its scripts — are rendered as placeholders and filled in for each response,
so nobody receives someone else's token. The cookie banner differs for a visitor who has
chosen: that choice, the language and the host are part of the key.

With Redis out, the resilient cache goes on in each process's memory and the published
version is unreadable: pages are then rendered for each request, as before.
"""

import hashlib
import logging
import time

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from wagtail import hooks
from wagtail import views as wagtail_views

from cms import queries

logger = logging.getLogger(__name__)

# Letters and dashes only: they come out of HTML escaping unchanged.
CSRF_PLACEHOLDER = "tribune-page-cache-csrf-token"
NONCE_PLACEHOLDER = "tribune-page-cache-csp-nonce"
KEY = "tribune:page:{digest}"
SERVED_HOOK = "tribune_page_served_from_cache"

_stamps = []


def register_stamp(function) -> None:
    """function(page_id) -> str: what changes when the page must be rebuilt beyond the
    published version (apps above cms register theirs: cms never imports them)."""
    if function not in _stamps:
        _stamps.append(function)


def stamp(page_id: int) -> str:
    return "|".join(str(function(page_id)) for function in _stamps)


def building(request) -> bool:
    return getattr(request, "_tribune_page_key", None) is not None


def placeholders(request):
    """Context processor: while a page is built for the cache, the CSRF token and the
    CSP nonce are placeholders, filled in for each response."""
    if building(request):
        return {"csrf_token": CSRF_PLACEHOLDER, "csp_nonce": NONCE_PLACEHOLDER}
    return {}


def cacheable(request) -> bool:
    if request.method != "GET" or request.META.get("QUERY_STRING"):
        return False
    if request.COOKIES.get(CookieStorage.cookie_name):
        return False  # messages waiting to be shown
    # A session holding anything (a signed-in person, pending messages, a page password
    # typed): rendered for that person alone.
    if request.COOKIES.get(settings.SESSION_COOKIE_NAME) and list(request.session.keys()):
        return False
    return not request.user.is_authenticated


def _key(request, version: str) -> str:
    from consent.services import cookies

    banner = "banner" if cookies.pending_groups(request) else "chosen"
    parts = (version, request.get_host(), request.LANGUAGE_CODE, banner, request.path)
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    return KEY.format(digest=digest)


def _personal(content: str, request) -> str:
    """The page for this request: its own CSRF token and CSP nonce."""
    if CSRF_PLACEHOLDER in content:
        content = content.replace(CSRF_PLACEHOLDER, get_token(request))
    if NONCE_PLACEHOLDER in content:
        content = content.replace(NONCE_PLACEHOLDER, str(request._csp_nonce))
    return content


class AnonymousPageCacheMiddleware:
    """Serves kept anonymous pages before Wagtail's view runs; keeps the ones it rendered.
    Placed after the middleware that reads the request (session, locale, CSRF, consent),
    so the responses of kept pages go through them on the way out like any other."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if building(request):
            self._keep(request, response)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if view_func is not wagtail_views.serve or not settings.TRIBUNE_PAGE_CACHE_SECONDS:
            return None
        try:
            if not cacheable(request):
                return None
            version = queries.published_version()
            if not version:
                return None  # Redis out: every page rendered afresh
            request._tribune_published_version = version
            key = _key(request, version)
            entry = cache.get(key)
        except Exception:
            logger.warning("page cache unavailable: page rendered afresh", exc_info=True)
            return None
        if entry is not None and entry["stamp"] == stamp(entry["page"]):
            for hook in hooks.get_hooks(SERVED_HOOK):
                hook(request, entry["page"])
            response = HttpResponse(
                _personal(entry["content"], request), content_type=entry["content_type"]
            )
            response["X-Page-Cache"] = "hit"
            return response
        request._tribune_page_key = key
        return None

    def _keep(self, request, response) -> None:
        page_id = getattr(request, "_tribune_page_id", None)
        page_stamp = getattr(request, "_tribune_page_stamp", None)
        content = None
        if (
            page_id is not None
            and page_stamp is not None
            and response.status_code == 200
            and not response.streaming
            and response.get("Content-Type", "").startswith("text/html")
            and not response.cookies
        ):
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            content = response.content.decode(response.charset)
            try:
                cache.set(
                    request._tribune_page_key,
                    {
                        "page": page_id,
                        "stamp": page_stamp,
                        "content": content,
                        "content_type": response["Content-Type"],
                        "built": time.time(),
                    },
                    timeout=settings.TRIBUNE_PAGE_CACHE_SECONDS,
                )
                response["X-Page-Cache"] = "miss"
            except Exception:
                logger.warning("page not kept in the cache", exc_info=True)
        if response.streaming or not response.get("Content-Type", "").startswith("text/"):
            return
        if content is None and hasattr(response, "render") and not response.is_rendered:
            response.render()
        body = content if content is not None else response.content.decode(response.charset)
        if CSRF_PLACEHOLDER in body or NONCE_PLACEHOLDER in body:
            response.content = _personal(body, request).encode(response.charset)


def note_served_page(page, request, serve_args=(), serve_kwargs=None) -> None:
    """before_serve_page: which page this is and its stamp, read before it renders (an
    event arriving during the render then makes the kept copy stale, never the reverse).
    A page with view restrictions is never kept."""
    if not building(request):
        return
    if page.get_view_restrictions():
        request._tribune_page_key = None
        return
    request._tribune_page_id = page.pk
    request._tribune_page_stamp = stamp(page.pk)
