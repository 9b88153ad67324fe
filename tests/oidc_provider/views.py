import json

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth import login as django_login
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.models import Application

from tests.oidc_provider import state

LOGIN_PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>Fournisseur d'identité de test</title></head><body><main>
<h1>Fournisseur d'identité de test</h1>{error}
<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">
<input type="hidden" name="next" value="{next}">
<p><label for="username">Identifiant</label> <input id="username" name="username"></p>
<p><label for="password">Mot de passe</label>
<input id="password" name="password" type="password"></p>
<p><button type="submit">Se connecter</button></p></form></main></body></html>"""


def login(request):
    next_url = request.POST.get("next") or request.GET.get("next") or "/whoami/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/whoami/"
    error = ""
    if request.method == "POST":
        user = authenticate(
            request, username=request.POST.get("username"), password=request.POST.get("password")
        )
        if user is not None:
            django_login(request, user)
            return HttpResponseRedirect(next_url)
        error = "<p>Identifiant ou mot de passe incorrect.</p>"
    page = LOGIN_PAGE.format(error=error, csrf=get_token(request), next=escape(next_url))
    return HttpResponse(page)


def whoami(request):
    user = request.user
    return JsonResponse({"username": user.get_username() if user.is_authenticated else None})


@csrf_exempt
def control(request, what):
    """The tests' switches (loopback only, test project only)."""
    data = json.loads(request.body or b"{}")
    if what == "mode":
        state.MODE["value"] = data.get("mode", "")
    elif what == "identity":
        user, _created = get_user_model().objects.get_or_create(username=data["username"])
        user.email = data.get("email", "")
        user.set_password(data["password"])
        user.save()
        state.IDENTITIES[data["username"]] = data.get("claims", {})
    elif what == "client":
        Application.objects.update_or_create(
            client_id=data["client_id"],
            defaults={
                "name": data["client_id"],
                "client_secret": data["secret"],
                "hash_client_secret": False,
                "client_type": Application.CLIENT_CONFIDENTIAL,
                "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
                "redirect_uris": " ".join(data["redirect_uris"]),
                "post_logout_redirect_uris": " ".join(data.get("post_logout_redirect_uris", [])),
                "algorithm": Application.RS256_ALGORITHM,
                "skip_authorization": data.get("skip_authorization", False),
            },
        )
    return JsonResponse({"ok": True})
