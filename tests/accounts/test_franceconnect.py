"""Signing in with FranceConnect against a real OpenID Connect provider on loopback."""

import itertools
from urllib.parse import parse_qs, urlsplit

from allauth.socialaccount.models import SocialAccount

from accounts.models import User
from consent.models import ConsentRecord
from tests.oidc import local_path

START = "/compte/oidc/franceconnect/connexion/"
_people = itertools.count()


def new_person(provider, **claims):
    number = next(_people)
    claims.setdefault("given_name", "Angela Claire Louise")
    claims.setdefault("family_name", "DUBOIS")
    claims.setdefault("birthdate", "1962-08-24")
    return provider.person(
        f"personne{number}", email=f"angela{number}@exemple.fr", **claims
    ), f"angela{number}@exemple.fr"


def start(client, provider, person, *, allow=True):
    """Press the button, sign in at the provider, come back: the callback's response."""
    response = client.post(START)
    assert response.status_code == 302
    authorize = response["Location"]
    assert authorize.startswith(provider.issuer + "/authorize/")
    browser = provider.browser(person)
    back = provider.authorize(browser, authorize, allow=allow)
    assert back.startswith("http://testserver/compte/oidc/franceconnect/connexion/callback/")
    return client.get(local_path(back)), authorize


def first_sign_in(client, provider, person):
    response, _authorize = start(client, provider, person)
    assert response.status_code == 302
    form = client.get(response["Location"])
    assert form.status_code == 200
    return client.post(
        response["Location"],
        {"email": form.context["form"]["email"].value(), "age": "15_or_more", "accept_terms": "on"},
    )


def test_button_shown_on_sign_in_and_sign_up_only_when_configured(client, franceconnect, settings):
    for page in ("/compte/connexion/", "/compte/inscription/"):
        text = client.get(page).content.decode()
        assert "S’identifier avec" in text
        assert "FranceConnect" in text
        assert "Qu’est-ce que FranceConnect\u00a0?" in text
    assert "ProConnect" in client.get("/compte/connexion/").content.decode()
    assert "ProConnect" not in client.get("/compte/inscription/").content.decode()
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": []}}
    assert "FranceConnect" not in client.get("/compte/connexion/").content.decode()


def test_authorization_request_uses_pkce_nonce_and_state(client, franceconnect):
    response = client.post(START)
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert len(query["nonce"][0]) >= 32
    assert query["state"][0]
    assert query["acr_values"] == ["eidas1"]
    assert query["response_type"] == ["code"]


def test_first_sign_in_creates_a_pseudonymous_account(client, franceconnect):
    person, email = new_person(franceconnect, birthplace="75107", address={"postal_code": "69001"})
    response = first_sign_in(client, franceconnect, person)
    assert response.status_code == 302
    user = User.objects.get(email=email)
    assert user.display_name.startswith("Participant·e ")
    assert (user.first_name, user.last_name) == ("", "")
    assert user.has_verified_email
    assert ConsentRecord.objects.filter(user=user).exists()
    account = SocialAccount.objects.get(user=user, provider="franceconnect")
    kept = str(account.extra_data)
    for received in ("Angela", "DUBOIS", "1962-08-24", "75107"):
        assert received not in kept
    assert account.extra_data["userinfo"]["address_postcode"] == "69001"
    home = client.get("/")
    assert "Angela" not in home.content.decode()
    assert home.context["user"] == user


def test_second_sign_in_goes_straight_in(client, franceconnect):
    person, email = new_person(franceconnect)
    first_sign_in(client, franceconnect, person)
    client.post("/compte/deconnexion/")
    response, _ = start(client, franceconnect, person)
    assert response.status_code == 302
    assert client.get("/").context["user"].email == email
    assert User.objects.filter(email=email).count() == 1


def test_signing_out_ends_the_provider_session_with_the_id_token_hint(client, franceconnect):
    person, _email = new_person(franceconnect)
    first_sign_in(client, franceconnect, person)
    assert "tribune_oidc" in client.session
    # The confirmation page (sign-out without JavaScript) leaves the token in place.
    assert client.get("/compte/deconnexion/").status_code == 200
    assert "tribune_oidc" in client.session
    response = client.post("/compte/deconnexion/")
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == franceconnect.issuer + "/logout/"
    query = parse_qs(target.query)
    assert query["post_logout_redirect_uri"] == ["http://testserver/"]
    assert len(query["state"][0]) >= 32
    assert query["id_token_hint"][0].count(".") == 2
    # Tribune's session is over and keeps no token.
    assert not client.get("/").context["user"].is_authenticated
    assert "tribune_oidc" not in client.session
    # The provider, given the hint, ends its own session and sends the person back.
    browser = franceconnect.browser(person)
    back = browser.get(response["Location"], allow_redirects=False, timeout=5)
    assert back.status_code == 302
    assert back.headers["Location"].startswith("http://testserver/")
    assert browser.get(franceconnect.url + "/whoami/", timeout=5).json() == {"username": None}


def test_signing_out_of_a_password_session_stays_at_tribune(client, franceconnect):
    from tests import factories

    client.force_login(factories.UserFactory())
    response = client.post("/compte/deconnexion/")
    assert response["Location"] == "/"
