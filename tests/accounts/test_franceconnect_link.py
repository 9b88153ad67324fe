"""Linking FranceConnect to an account made with a password, and unlinking it, from
« Mes données », against the local OpenID Connect provider."""

from allauth.socialaccount.models import SocialAccount

from tests import factories
from tests.accounts.test_franceconnect import first_sign_in, new_person
from tests.oidc import local_path

CENTRE = "/mes-donnees/"


def password_sign_in(client, user):
    response = client.post(
        "/compte/connexion/", {"login": user.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 302


def link(client, provider, person):
    page = client.get(CENTRE).content.decode()
    assert "Relier mon compte à" in page
    start = client.post(f"/compte/oidc/franceconnect/connexion/?process=connect&next={CENTRE}")
    assert start.status_code == 302
    back = provider.authorize(provider.browser(person), start["Location"])
    return client.get(local_path(back))


def test_a_password_account_links_and_unlinks_franceconnect(client, franceconnect):
    user = factories.UserFactory(email="camille@exemple.fr")
    password_sign_in(client, user)
    person, _email = new_person(franceconnect)
    response = link(client, franceconnect, person)
    assert response.status_code == 302
    assert response["Location"] == CENTRE
    account = SocialAccount.objects.get(provider="franceconnect")
    assert account.user == user
    page = client.get(CENTRE).content.decode()
    assert "Votre compte est relié à FranceConnect" in page
    assert "Angela" not in page and "DUBOIS" not in page

    response = client.post("/compte/3rdparty/", {"account": account.pk})
    assert response.status_code == 302
    assert not SocialAccount.objects.exists()
    assert "Relier mon compte à" in client.get(CENTRE).content.decode()
    # The password still opens the account.
    client.post("/compte/deconnexion/")
    password_sign_in(client, user)


def test_an_identity_linked_to_another_account_is_not_moved(client, franceconnect):
    person, _email = new_person(franceconnect)
    first_sign_in(client, franceconnect, person)
    owner = SocialAccount.objects.get().user
    client.post("/compte/deconnexion/")
    other = factories.UserFactory(email="autre@exemple.fr")
    password_sign_in(client, other)
    response = link(client, franceconnect, person)
    page = (
        client.get(response["Location"]).content.decode()
        if response.status_code == 302
        else response.content.decode()
    )
    assert SocialAccount.objects.get().user == owner
    assert "déjà" in page


def test_an_account_without_password_keeps_its_only_way_in(client, franceconnect):
    person, _email = new_person(franceconnect)
    first_sign_in(client, franceconnect, person)
    account = SocialAccount.objects.get()
    response = client.post("/compte/3rdparty/", {"account": account.pk})
    assert SocialAccount.objects.filter(pk=account.pk).exists()
    assert "mot de passe" in response.content.decode()
