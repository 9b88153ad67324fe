import logging
import re

from django.conf import settings
from django.http import QueryDict
from django.middleware.csp import ContentSecurityPolicyMiddleware as DjangoCSPMiddleware
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.urls import reverse
from django.utils import translation
from django.utils.csp import CSP
from django.utils.translation import gettext as _
from wagtail import views as wagtail_views

from cms import queries
from cms.views import bad_request

logger = logging.getLogger(__name__)

# The Wagtail admin writes inline scripts no nonce can reach (its choosers, date fields
# and inline panels: docs/decisions/0007-admin-content-security-policy.md); it gets a
# policy that allows them and nothing else, while every other answer keeps the strict
# nonce-based one.
ADMIN_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}


class ContentSecurityPolicyMiddleware(DjangoCSPMiddleware):
    def process_response(self, request, response):
        if request.path.startswith(reverse("wagtailadmin_home")) and not hasattr(
            response, "_csp_config"
        ):
            response._csp_config = ADMIN_CSP
        return super().process_response(request, response)


class LocaleMiddleware(DjangoLocaleMiddleware):
    """French unless the person chose another language with the switch.

    The browser's Accept-Language is ignored on purpose: a French public body speaks
    French to everyone by default, and a page must not change language by surprise.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = dict(settings.LANGUAGES)
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class PublishedRouteMiddleware:
    """Pages served by Wagtail are found through cms.queries.prime_route: one query for
    the page instead of two per level of the tree, plus the site's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if view_func is wagtail_views.serve and request.method in ("GET", "HEAD"):
            queries.prime_route(request, view_kwargs.get("path", view_args[0] if view_args else ""))


# C0 control characters but tab, line feed and carriage return: nobody types them, a
# paste or a script sends them. PostgreSQL refuses NUL in text (a DataError, shown as
# an outage) and XML and spreadsheet files cannot hold the others.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def without_control_characters(text: str) -> str:
    return CONTROL_CHARACTERS.sub("", text)


def _cleaned(data: QueryDict) -> QueryDict | None:
    """A copy of `data` without control characters in its values, or None when it
    had none (the common case costs one scan)."""
    if not any(CONTROL_CHARACTERS.search(value) for value in _values(data)):
        return None
    cleaned = QueryDict(mutable=True, encoding=data.encoding)
    for key, values in data.lists():
        cleaned.setlist(
            without_control_characters(key), [without_control_characters(v) for v in values]
        )
    cleaned._mutable = False
    return cleaned


def _values(data: QueryDict):
    for key, values in data.lists():
        yield key
        yield from values


class ControlCharactersMiddleware:
    """One place for control characters in what people send, so no view or form can
    turn them into a server error:

    * a null character in the address (path or query string) is refused with a French
      400 page: no page or search has one, and the database would refuse it;
    * the other control characters are removed from the query string and from form
      fields, the admin's included (Django's forms refuse NUL, but views reading
      request.POST directly and the admin's own fields would pass them on);
    * cookies holding control characters are ignored (a forged session cookie would
      reach the database), and they are removed from the other headers (a session
      records the browser's User-Agent).

    Placed before the session middleware, which reads the session cookie; the POST
    body is read in process_view, after the CSRF check has read it anyway.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info or "\x00" in "".join(_values(request.GET)):
            logger.info("request refused: null character in the address of %s", request.method)
            return bad_request(
                request,
                reason=_(
                    "The address contains a null character, which no page of this site "
                    "uses. Check the link or type the address again."
                ),
            )
        if (query := _cleaned(request.GET)) is not None:
            request.GET = query
        for name, value in list(request.META.items()):
            # Headers end up in the database too (the browser of a session).
            if name.startswith("HTTP_") and isinstance(value, str):
                request.META[name] = without_control_characters(value)
        if any(CONTROL_CHARACTERS.search(value) for value in request.COOKIES.values()):
            request.COOKIES = {
                name: value
                for name, value in request.COOKIES.items()
                if not CONTROL_CHARACTERS.search(value)
            }
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method == "POST" and (form := _cleaned(request.POST)) is not None:
            logger.info("control characters removed from a form sent to %s", request.path)
            request.POST = form
        return None


class SecurityHeadersMiddleware:
    """What Django's SecurityMiddleware does not set: the Permissions-Policy header on
    every answer, and, behind HTTPS, Secure on every cookie, including those a library
    sets without asking the project's settings. First in the list, so error pages
    raised by the other middleware (a foreign Host header) get them too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if settings.SECURE_COOKIES:
            for morsel in response.cookies.values():
                morsel["secure"] = True
        return response
