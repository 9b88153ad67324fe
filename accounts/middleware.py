"""Everyone who reaches the Wagtail admin has a second factor (issue 5).

The admin's own sign-in form would let a password alone through, so /admin/login/
sends people to allauth's sign-in, which asks for the TOTP code (or a recovery code)
of accounts that have one. A staff account without a second factor is refused every
admin page, with the way to enrol.
"""

from django.conf import settings
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode

ADMIN_PREFIX = "/admin/"
ADMIN_LOGIN = "/admin/login/"


def has_second_factor(user) -> bool:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import is_mfa_enabled

    return is_mfa_enabled(user, [Authenticator.Type.TOTP])


class AdminSecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith(ADMIN_PREFIX) and settings.TRIBUNE_ADMIN_REQUIRE_SECOND_FACTOR:
            if path.startswith(ADMIN_LOGIN):
                target = request.GET.get("next") or ADMIN_PREFIX
                return redirect(f"{reverse('account_login')}?{urlencode({'next': target})}")
            user = request.user
            if (
                user.is_authenticated
                and user.has_perm("wagtailadmin.access_admin")
                and not has_second_factor(user)
            ):
                return TemplateResponse(
                    request,
                    "accounts/admin_second_factor.html",
                    {"activate_url": reverse("mfa_activate_totp")},
                    status=403,
                ).render()  # returned by a middleware: nothing renders it later
        return self.get_response(request)
