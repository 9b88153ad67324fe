import logging
from datetime import date

from cookie_consent.middleware import CleanCookiesMiddleware as LibraryCleanCookiesMiddleware
from cookie_consent.util import get_cookie_value_from_request
from django.conf import settings
from django.db import DatabaseError
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from consent.models import AudienceDay
from consent.services import cookies

logger = logging.getLogger(__name__)


class ConsentCookieMiddleware:
    """Drops a consent cookie that is forged, damaged or older than 6 months before
    anything reads it: the request then counts as "no choice" (the banner shows, and
    the library's CleanCookiesMiddleware removes optional cookies), and the browser is
    told to forget the bad cookie."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = settings.COOKIE_CONSENT_NAME
        rejected = False
        request.consent_values = {}
        if raw := request.COOKIES.get(name):
            values = cookies.read(raw)
            if values is None:
                rejected = True
                del request.COOKIES[name]
                # No value in the log: it may carry the visitor's consent id.
                logger.warning(
                    "consent cookie rejected (bad signature or expired) on %s", request.path
                )
            else:
                request.consent_values = values
        response = self.get_response(request)
        if rejected and name not in response.cookies:
            response.delete_cookie(name, domain=settings.COOKIE_CONSENT_DOMAIN)
        return response


class CleanCookiesMiddleware(LibraryCleanCookiesMiddleware):
    """The library's cleaner (removes optional cookies without consent), which reads the
    cookie groups from the database when its cache is cold: during a database outage it
    must not turn /health/'s JSON or the 503 page into another error."""

    def process_response(self, request, response):
        try:
            return super().process_response(request, response)
        except DatabaseError:
            logger.warning("cookie groups unreadable: optional cookies not cleaned this time")
            return response


class AudienceMiddleware:
    """The one optional cookie: once the audience group is accepted, `tribune_visite`
    holds the date of the visitor's last visit (no identifier). The first page of each
    day counts the visitor once, as new or returning, in AudienceDay."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.method == "GET"
            and response.status_code == 200
            and response.get("Content-Type", "").startswith("text/html")
            and not request.path.startswith(self._admin_prefix())
            and get_cookie_value_from_request(request, cookies.AUDIENCE) is True
        ):
            self._count(request, response)
        return response

    @staticmethod
    def _admin_prefix():
        return reverse("wagtailadmin_home")

    def _count(self, request, response):
        name = settings.TRIBUNE_AUDIENCE_COOKIE
        today = timezone.localdate()
        last = request.COOKIES.get(name, "")
        if last == today.isoformat():
            return
        try:
            returning = date.fromisoformat(last) < today
        except ValueError:
            returning = False  # absent, or not a date: counted as a first visit
        field = "returning_visitors" if returning else "new_visitors"
        day, _created = AudienceDay.objects.get_or_create(day=today)
        AudienceDay.objects.filter(pk=day.pk).update(**{field: F(field) + 1})
        response.set_cookie(
            name,
            today.isoformat(),
            max_age=settings.TRIBUNE_AUDIENCE_COOKIE_DAYS * 24 * 60 * 60,
            secure=settings.COOKIE_CONSENT_SECURE,
            httponly=True,
            samesite="Lax",
        )
