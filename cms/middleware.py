from django.conf import settings
from django.middleware.csp import ContentSecurityPolicyMiddleware as DjangoCSPMiddleware
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.urls import reverse
from django.utils import translation
from django.utils.csp import CSP
from wagtail import views as wagtail_views

from cms import queries

# The Wagtail admin still relies on inline styles and scripts of its own; it gets a
# policy that allows them, while the public site keeps the strict nonce-based one.
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
