import re

from allauth import urls as allauth_urls
from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from django.views.static import serve
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from accounts import views as account_views
from cms import views as cms_views
from config.french_urls import french

# One door in: every sign-in and password reset is allauth's, which rate-limits failures,
# refuses unverified addresses and asks staff for their second factor. Wagtail's own
# forms (the admin's sign-in and reset, the front-end sign-in of private pages) would
# take a password alone, so their addresses lead to allauth's, whatever the method.
doors = [
    path("admin/login/", account_views.sign_in_elsewhere, {"default_next": "/admin/"}),
    path("_util/login/", account_views.sign_in_elsewhere),
    re_path(r"^admin/password_reset/", RedirectView.as_view(pattern_name="account_reset_password")),
]

urlpatterns = [
    *doors,
    path("health/", cms_views.health, name="health"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    # allauth's pages at French addresses, URL names unchanged (config/french_urls.py).
    path("compte/", include(french(allauth_urls.urlpatterns))),
    path("i18n/", include("django.conf.urls.i18n")),
    path("sitemap.xml", sitemap, name="sitemap"),
    path("participation/", include("participation.urls")),
    path("", include("consent.urls")),
    path("", include("cms.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
elif not settings.PRODUCTION_LIKE:
    # `make run` serves like production (DEBUG off) but has no proxy in front: uploaded
    # images are served from var/media by Django. Production lets the proxy do it.
    urlpatterns += [
        re_path(
            rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]

# Wagtail's catch-all comes last: every other URL is a page of the tree.
urlpatterns += [path("", include(wagtail_urls))]

handler400 = "cms.views.bad_request"
handler403 = "cms.views.permission_denied"
handler404 = "cms.views.page_not_found"
handler500 = "cms.views.server_error"
