"""Sign-up, e-mail verification, login and password reset, in French."""

import re

from allauth.account.models import EmailAddress
from django.core import mail

from accounts import roles
from accounts.models import User

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
    return re.search(r"https?://[^/\s]+(/compte/confirm-email/[^\s]+/)", message.body).group(1)


def test_signup_sends_a_french_verification_email(client, site_tree):
    response = client.post("/compte/signup/", SIGNUP)
    assert response.status_code == 302
    user = User.objects.get(email="nadia@exemple.fr")
    assert user.display_name == "Nadia du Centre"
    assert user.groups.filter(name=roles.CITIZENS).exists()
    assert not user.has_verified_email
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nadia@exemple.fr"]
    assert "Confirmez votre adresse e-mail" in message.subject
    assert "/compte/confirm-email/" in message.body


def test_login_is_refused_until_the_email_is_confirmed(client, site_tree):
    client.post("/compte/signup/", SIGNUP)
    client.logout()
    response = client.post(
        "/compte/login/", {"login": SIGNUP["email"], "password": SIGNUP["password1"]}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/compte/confirm-email/")
    assert "_auth_user_id" not in client.session

    link = confirmation_link(mail.outbox[-1])
    page = client.get(link)
    assert page.status_code == 200
    assert "Confirmer" in page.content.decode()
    client.post(link)
    assert EmailAddress.objects.get(email=SIGNUP["email"]).verified
    assert User.objects.get(email=SIGNUP["email"]).has_verified_email


def test_signup_errors_are_french_and_keep_what_was_typed(client, site_tree):
    response = client.post("/compte/signup/", {**SIGNUP, "password2": "autre-chose-encore"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Vous devez saisir deux fois le même mot de passe" in html
    assert 'value="nadia@exemple.fr"' in html
    assert 'value="Nadia du Centre"' in html
    assert 'aria-invalid="true"' in html
    assert not User.objects.filter(email=SIGNUP["email"]).exists()


def test_display_name_may_not_be_an_email(client, site_tree):
    response = client.post("/compte/signup/", {**SIGNUP, "display_name": "nadia@exemple.fr"})
    assert "votre pseudonyme est public" in response.content.decode().lower()


def test_empty_display_name_gives_a_pseudonym(client, site_tree):
    client.post("/compte/signup/", {**SIGNUP, "display_name": ""})
    assert User.objects.get(email=SIGNUP["email"]).display_name.startswith("Participant·e")


def test_password_reset_email_is_french(client, users, site_tree):
    user = users["citizen"]
    response = client.post("/compte/password/reset/", {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "réinitialisation de mot de passe" in mail.outbox[0].subject


def test_signup_is_rate_limited(client, site_tree, settings):
    settings.ACCOUNT_RATE_LIMITS = {"signup": "2/m/ip"}
    for i in range(2):
        client.post("/compte/signup/", {**SIGNUP, "email": f"n{i}@exemple.fr"})
        client.logout()
    response = client.post("/compte/signup/", {**SIGNUP, "email": "n9@exemple.fr"})
    assert response.status_code == 429
    assert not User.objects.filter(email="n9@exemple.fr").exists()
