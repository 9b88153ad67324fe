from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods


@require_http_methods(["GET", "HEAD", "POST"])
def sign_in_elsewhere(request, default_next="/"):
    """A sign-in address of Wagtail's: the way to allauth's form, keeping where the person
    was going (allauth checks that `next` stays on the site). A password posted here is
    never read."""
    target = request.GET.get("next") or default_next
    return redirect(f"{reverse('account_login')}?{urlencode({'next': target})}")
