"""FranceConnect in Chromium, against the local OpenID Connect provider: the button, the
provider's pages, the first sign-in's short form, the sign-out at both ends."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_axe_violations
from tests.oidc import configure


@pytest.fixture
def franceconnect(settings, oidc_provider, live_site):
    configure(settings, oidc_provider, sites=[live_site.base_url])
    yield oidc_provider
    oidc_provider.misbehave("")


def test_citizen_signs_up_with_franceconnect_and_signs_out_at_both_ends(
    page, live_site, franceconnect
):
    from accounts.models import User

    person = franceconnect.person(
        "navigateur", email="lea.navigateur@exemple.fr", given_name="Léa", family_name="MARTIN"
    )
    page.goto(live_site.url("/compte/connexion/"))
    expect(page.get_by_role("link", name=re.compile("Qu’est-ce que FranceConnect"))).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="S’identifier avec FranceConnect").click()

    # At the provider (its own pages): sign in, then approve.
    page.get_by_label("Identifiant").fill(person["username"])
    page.get_by_label("Mot de passe").fill(person["password"])
    page.get_by_role("button", name="Se connecter").click()
    page.locator("input[name=allow]").click()

    # Back at Tribune: the short form of a first sign-in.
    expect(page.get_by_role("heading", name="Créer un compte")).to_be_visible()
    expect(page.get_by_role("textbox", name="E-mail")).to_have_value("lea.navigateur@exemple.fr")
    assert_no_axe_violations(page)
    page.get_by_label("J’ai 15 ans ou plus").check()
    page.get_by_label("J’accepte les conditions d’utilisation").check()
    page.get_by_role("button", name="Créer mon compte").click()

    user = live_site.run(User.objects.get, email="lea.navigateur@exemple.fr")
    nav = page.locator(".site-nav__user")
    expect(nav).to_contain_text(user.display_name)
    expect(page.locator("body")).not_to_contain_text("MARTIN")

    # Signing out of Tribune passes by the provider, which ends its session too.
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(re.compile(re.escape(live_site.base_url) + r"/(\?.*)?$"))
    expect(page.get_by_role("link", name="Se connecter")).to_be_visible()
    page.goto(franceconnect.url + "/whoami/")
    assert '"username": null' in page.content()


def test_an_agent_signs_in_with_proconnect_and_its_second_factor_opens_the_admin(
    page, live_site, franceconnect
):
    person = franceconnect.person(
        "agent-navigateur",
        email="moderation@demo.tribune.test",
        acr="https://proconnect.gouv.fr/assurance/self-asserted-2fa",
    )
    page.goto(live_site.url("/compte/connexion/?next=/admin/"))
    page.get_by_role("button", name="S’identifier avec ProConnect").click()
    page.get_by_label("Identifiant").fill(person["username"])
    page.get_by_label("Mot de passe").fill(person["password"])
    page.get_by_role("button", name="Se connecter").click()
    page.locator("input[name=allow]").click()
    # Straight into the admin: no authenticator code asked.
    page.wait_for_url(re.compile(re.escape(live_site.base_url) + r"/admin/"), timeout=30_000)
    expect(page.locator("input[name=code]")).to_have_count(0)
    expect(page.get_by_role("main")).to_be_visible()
