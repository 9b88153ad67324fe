"""The admin opens only to staff whose session passed the second factor.

Every door that signs people in leads to allauth's forms (config/urls.py sends Wagtail's
own sign-in and password reset there), and allauth asks for the authenticator code of
accounts that have one. This middleware then judges each request's session
(accounts.permissions): staff roles count only where the second factor was passed, and
the admin answers, in French:

- a person signed in without any right to the admin: a 403 page, not the endless
  redirect between the admin and the sign-in form that Wagtail would start;
- a staff account without an authenticator: a 403 page with the way to enrol;
- a staff account whose session has not typed a code (signed in before enrolling, or by
  a door that asked only a password): the code form, then back to the page asked for.
"""

from django.conf import settings
from django.contrib.auth.middleware import get_user
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode

from accounts import permissions

ADMIN_PREFIX = "/admin/"
# Signing out must stay possible from a session that may not use the admin.
ADMIN_OPEN = ("/admin/logout/",)


class StaffSecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Lazy like Django's own: pages that never look at the person pay nothing.
        request.user = SimpleLazyObject(
            lambda: permissions.judge_session(get_user(request), request.session)
        )
        path = request.path_info
        if (
            path.startswith(ADMIN_PREFIX)
            and not path.startswith(ADMIN_OPEN)
            and settings.TRIBUNE_ADMIN_REQUIRE_SECOND_FACTOR
        ):
            refusal = self.refuse_admin(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def refuse_admin(self, request):
        user = request.user
        if not user.is_authenticated:
            return None  # Wagtail sends them to the sign-in form (WAGTAILADMIN_LOGIN_URL)
        if not user.has_perm("wagtailadmin.access_admin"):
            return TemplateResponse(
                request, "accounts/admin_refused.html", status=403
            ).render()  # returned by a middleware: nothing renders it later
        passed = permissions.passed_second_factor(request.session, user)
        # A session that passed a second factor elsewhere (ProConnect asserting one)
        # needs no authenticator of Tribune's.
        if not passed and not permissions.has_second_factor(user):
            return TemplateResponse(
                request,
                "accounts/admin_second_factor.html",
                {"activate_url": reverse("mfa_activate_totp")},
                status=403,
            ).render()
        if not passed:
            target = request.get_full_path() if request.method == "GET" else ADMIN_PREFIX
            return redirect(f"{reverse('mfa_reauthenticate')}?{urlencode({'next': target})}")
        return None
