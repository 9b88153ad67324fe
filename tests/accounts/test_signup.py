"""Sign-up, e-mail verification, login and password reset, in French."""

import re

from allauth.account.models import EmailAddress
from django.core import mail

from accounts import roles
from accounts.models import User
from tests import factories

SIGNUP = {
    "email": "nadia@exemple.fr",
    "display_name": "Nadia du Centre",
    "password1": "une-phrase-de-passe-solide",
    "password2": "une-phrase-de-passe-solide",
    # What consent adds to the form (tests/consent/test_signup_consent.py).
    "age": "15_or_more",
    "accept_terms": "on",
}


def confirmation_link(message):
    return re.search(r"https?://[^/\s]+(/compte/confirmer-adresse/[^\s]+/)", message.body).group(1)


def test_signup_sends_a_french_verification_email(client, site_tree):
    response = client.post("/compte/inscription/", SIGNUP)
    assert response.status_code == 302
    user = User.objects.get(email="nadia@exemple.fr")
    assert user.display_name == "Nadia du Centre"
    assert user.groups.filter(name=roles.CITIZENS).exists()
    assert not user.has_verified_email
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nadia@exemple.fr"]
    assert "Confirmez votre adresse e-mail" in message.subject
    assert "/compte/confirmer-adresse/" in message.body


def test_login_is_refused_until_the_email_is_confirmed(client, site_tree):
    client.post("/compte/inscription/", SIGNUP)
    client.logout()
    response = client.post(
        "/compte/connexion/", {"login": SIGNUP["email"], "password": SIGNUP["password1"]}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/compte/confirmer-adresse/")
    assert "_auth_user_id" not in client.session

    link = confirmation_link(mail.outbox[-1])
    page = client.get(link)
    assert page.status_code == 200
    assert "Confirmer" in page.content.decode()
    client.post(link)
    assert EmailAddress.objects.get(email=SIGNUP["email"]).verified
    assert User.objects.get(email=SIGNUP["email"]).has_verified_email


def test_signup_errors_are_french_and_keep_what_was_typed(client, site_tree):
    response = client.post("/compte/inscription/", {**SIGNUP, "password2": "autre-chose-encore"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Vous devez saisir deux fois le même mot de passe" in html
    assert 'value="nadia@exemple.fr"' in html
    assert 'value="Nadia du Centre"' in html
    assert 'aria-invalid="true"' in html
    assert not User.objects.filter(email=SIGNUP["email"]).exists()


def test_display_name_may_not_be_an_email(client, site_tree):
    response = client.post("/compte/inscription/", {**SIGNUP, "display_name": "nadia@exemple.fr"})
    assert "votre pseudonyme est public" in response.content.decode().lower()


def test_empty_display_name_gives_a_pseudonym(client, site_tree):
    client.post("/compte/inscription/", {**SIGNUP, "display_name": ""})
    assert User.objects.get(email=SIGNUP["email"]).display_name.startswith("Participant·e")


def test_password_reset_email_is_french(client, users, site_tree):
    user = users["citizen"]
    response = client.post("/compte/mot-de-passe/oubli/", {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "réinitialisation de mot de passe" in mail.outbox[0].subject


def test_signup_is_rate_limited(client, site_tree, settings):
    settings.ACCOUNT_RATE_LIMITS = {"signup": "2/m/ip"}
    for i in range(2):
        client.post("/compte/inscription/", {**SIGNUP, "email": f"n{i}@exemple.fr"})
        client.logout()
    response = client.post("/compte/inscription/", {**SIGNUP, "email": "n9@exemple.fr"})
    assert response.status_code == 429
    assert not User.objects.filter(email="n9@exemple.fr").exists()


def test_account_addresses_are_french_and_former_ones_redirect(client, db):
    from django.urls import reverse

    assert reverse("account_login") == "/compte/connexion/"
    assert reverse("account_signup") == "/compte/inscription/"
    assert reverse("account_reset_password") == "/compte/mot-de-passe/oubli/"
    assert client.get("/compte/connexion/").status_code == 200
    old = client.get("/compte/login/?next=/mes-donnees/")
    assert old.status_code == 301 and old["Location"] == "/compte/connexion/?next=/mes-donnees/"
    assert client.get("/compte/password/reset/")["Location"] == "/compte/mot-de-passe/oubli/"
    posted = client.post("/compte/signup/")
    assert posted.status_code == 308 and posted["Location"] == "/compte/inscription/"


def test_the_sign_up_button_says_what_it_does(client, db):
    html = client.get("/compte/inscription/").content.decode()
    assert "Créer mon compte</button>" in html
    assert "Création de compte</button>" not in html


def test_the_sign_in_message_reads_well_with_a_display_name(client, users):
    from django.contrib.messages import get_messages

    user = users["citizen"]
    response = client.post(
        "/compte/connexion/", {"login": user.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said == [f"Bienvenue, {user.display_name} : vous êtes connecté·e."]
