"""ProConnect for the team, against the local OpenID Connect provider: an agent's
account is found by its verified address; a second factor asserted by ProConnect
opens the admin, otherwise Tribune's own code is still asked."""

import itertools

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import SESSION_KEY

from accounts import roles
from accounts.models import User
from tests import factories
from tests.oidc import local_path

START = "/compte/oidc/proconnect/connexion/"
MFA_ACR = "https://proconnect.gouv.fr/assurance/self-asserted-2fa"
_people = itertools.count()


def sign_in(client, provider, person):
    response = client.post(START)
    assert response.status_code == 302
    back = provider.authorize(provider.browser(person), response["Location"])
    return client.get(local_path(back))


def agent_at_provider(provider, email, **claims):
    return provider.person(f"agent{next(_people)}", email=email, **claims)


@pytest.fixture
def moderator(franceconnect):
    roles.create_groups()
    return factories.UserFactory(
        email="moderatrice@ville.fr", role=roles.MODERATORS, is_staff=True, second_factor=False
    )


def test_an_agent_is_matched_to_their_team_account_and_a_second_factor_opens_the_admin(
    client, franceconnect, moderator
):
    person = agent_at_provider(franceconnect, "moderatrice@ville.fr", acr=MFA_ACR)
    response = sign_in(client, franceconnect, person)
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(moderator.pk)
    assert User.objects.filter(email="moderatrice@ville.fr").count() == 1
    assert client.get("/admin/").status_code == 200


def test_amr_mfa_counts_as_a_second_factor(client, franceconnect, moderator):
    person = agent_at_provider(franceconnect, "moderatrice@ville.fr", amr=["pwd", "mfa"])
    sign_in(client, franceconnect, person)
    assert client.get("/admin/").status_code == 200


def test_without_a_second_factor_at_proconnect_tribune_still_asks_for_one(
    client, franceconnect, moderator
):
    person = agent_at_provider(franceconnect, "moderatrice@ville.fr", acr="eidas1")
    sign_in(client, franceconnect, person)
    assert client.session[SESSION_KEY] == str(moderator.pk)
    refused = client.get("/admin/")
    assert refused.status_code == 403
    assert "Double authentification requise" in refused.content.decode()


def test_an_agent_with_an_authenticator_types_its_code_when_proconnect_asserts_none(
    client, franceconnect
):
    roles.create_groups()
    factories.UserFactory(email="com@ville.fr", role=roles.COMMUNICATION, is_staff=True)
    person = agent_at_provider(franceconnect, "com@ville.fr", acr="eidas1")
    response = sign_in(client, franceconnect, person)
    assert response.status_code == 302
    assert "/double-authentification/verifier/" in response["Location"]
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize("who", ("citizen", "unknown", "unverified"))
def test_proconnect_opens_no_citizen_account_and_creates_none(client, franceconnect, who):
    roles.create_groups()
    if who == "citizen":
        factories.UserFactory(email="habitant@ville.fr")
    elif who == "unverified":
        agent = factories.UserFactory(
            email="habitant@ville.fr", role=roles.AGENTS, second_factor=False
        )
        EmailAddress.objects.filter(user=agent).update(verified=False)
    person = agent_at_provider(franceconnect, "habitant@ville.fr", acr=MFA_ACR)
    before = User.objects.count()
    response = sign_in(client, franceconnect, person)
    assert SESSION_KEY not in client.session
    assert User.objects.count() == before
    page = client.get(response["Location"]) if response.status_code == 302 else response
    assert not page.context["user"].is_authenticated
