"""Every FranceConnect answer that does not check out is refused, against the real local
provider told to misbehave: nobody is signed in, nothing is recorded, the person reads
why in French and the log says which check refused."""

import logging
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from django.core import mail

from accounts.models import User
from tests import factories
from tests.accounts.test_franceconnect import START, first_sign_in, new_person, start
from tests.oidc import configure, free_port, local_path

REFUSED = "La connexion avec FranceConnect n’a pas pu aboutir"


def assert_refused(client, response, email):
    assert response.status_code == 401
    assert REFUSED in response.content.decode()
    assert not response.context["user"].is_authenticated
    assert not User.objects.filter(email=email).exists()
    assert not SocialAccount.objects.exists()


@pytest.mark.parametrize(
    ("mode", "logged"),
    [
        ("nonce", "nonce"),
        ("expired", "expired"),
        ("tampered", "Signature verification failed"),
        ("hs256", "unexpected id_token algorithm 'HS256'"),
        ("other_key", "Signature verification failed"),
        ("issuer", "Invalid issuer"),
    ],
)
def test_an_id_token_that_does_not_check_out_is_refused(
    client, franceconnect, caplog, mode, logged
):
    person, email = new_person(franceconnect)
    franceconnect.misbehave(mode)
    with caplog.at_level(logging.WARNING, logger="tribune.oidc"):
        response, _authorize = start(client, franceconnect, person)
    assert_refused(client, response, email)
    assert logged in caplog.text
    assert email not in caplog.text


def test_a_callback_with_another_state_is_refused(client, franceconnect, caplog):
    person, email = new_person(franceconnect)
    response = client.post(START)
    browser = franceconnect.browser(person)
    back = franceconnect.authorize(browser, response["Location"])
    parts = urlsplit(back)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query["state"] = "un-etat-fabrique"
    with caplog.at_level(logging.WARNING, logger="tribune.oidc"):
        refused = client.get(f"{parts.path}?{urlencode(query)}")
    assert_refused(client, refused, email)
    assert "refused" in caplog.text


def test_a_callback_replayed_is_refused(client, franceconnect):
    person, _email = new_person(franceconnect)
    first_sign_in(client, franceconnect, person)
    client.post("/compte/deconnexion/")
    authorize = client.post(START)["Location"]
    back = franceconnect.authorize(franceconnect.browser(person), authorize)
    assert client.get(local_path(back)).status_code == 302
    client.post("/compte/deconnexion/")
    replay = client.get(local_path(back))
    assert REFUSED in replay.content.decode()
    assert not replay.context["user"].is_authenticated


def test_cancelling_at_the_provider_says_so(client, franceconnect, caplog):
    person, email = new_person(franceconnect)
    with caplog.at_level(logging.WARNING, logger="tribune.oidc"):
        response, _ = start(client, franceconnect, person, allow=False)
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "Vous avez annulé la connexion" in page.content.decode()
    assert not page.context["user"].is_authenticated
    assert not User.objects.filter(email=email).exists()
    assert "cancelled" in caplog.text


def test_an_address_of_another_account_is_never_merged(client, franceconnect):
    owner = factories.UserFactory(email="deja.inscrite@exemple.fr", display_name="Déjà là")
    person = franceconnect.person("homonyme", email="deja.inscrite@exemple.fr")
    response, _ = start(client, franceconnect, person)
    assert response.status_code == 302
    form = client.get(response["Location"])
    assert not form.context["user"].is_authenticated
    answer = client.post(
        response["Location"],
        {"email": "deja.inscrite@exemple.fr", "age": "15_or_more", "accept_terms": "on"},
        follow=True,
    )
    # Said only to the address's owner (the page must not tell a stranger that the
    # address has an account): an e-mail explaining how to sign in, then link.
    assert not answer.context["user"].is_authenticated
    assert not SocialAccount.objects.exists()
    assert User.objects.filter(email="deja.inscrite@exemple.fr").get() == owner
    assert not owner.socialaccount_set.exists()
    (message,) = mail.outbox
    assert message.to == ["deja.inscrite@exemple.fr"]
    assert "existe déjà" in message.subject + message.body


def test_a_provider_that_is_down_gets_a_french_message_and_passwords_still_work(
    client, franceconnect, settings, caplog
):
    configure(
        settings,
        franceconnect,
        sites=["http://testserver"],
        server_url=f"http://127.0.0.1:{free_port()}/o",
    )
    user = factories.UserFactory(email="mot.de.passe@exemple.fr")
    with caplog.at_level(logging.WARNING, logger="tribune.oidc"):
        response = client.post(START, follow=True)
    text = response.content.decode()
    assert "FranceConnect ne répond pas pour le moment" in text
    assert "unreachable" in caplog.text
    signed_in = client.post(
        "/compte/connexion/",
        {"login": "mot.de.passe@exemple.fr", "password": factories.PASSWORD},
    )
    assert signed_in.status_code == 302
    assert client.get("/").context["user"] == user
