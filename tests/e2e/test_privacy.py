"""Cookies, « Mes données », export and deletion in Chromium, with axe-core on each page.

What the browser receives is checked twice: the Set-Cookie headers of every response,
and what scripts can read through document.cookie.
"""

import io
import zipfile

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import assert_no_axe_violations

AUDIENCE = "tribune_visite"
NECESSARY = {"sessionid", "csrftoken", "django_language", "cookie_consent"}


class CookieWatch:
    """Every Set-Cookie header the page receives."""

    def __init__(self, page):
        self.responses = []
        page.on("response", lambda response: self.responses.append(response))

    def set_names(self):
        names = set()
        for response in self.responses:
            for header in response.header_values("set-cookie"):
                name, _, rest = header.partition("=")
                value = rest.split(";", 1)[0].strip('"')
                if value and "max-age=0" not in header.lower():
                    names.add(name.strip())
        return names


def expect_choice_saved_in_place(page):
    """With JavaScript the banner becomes a short confirmation, read politely."""
    expect(page.locator("#cookie-banner")).to_contain_text(
        "Vos choix sur les cookies sont enregistrés."
    )
    expect(page.locator("#live-region")).to_have_text("Vos choix sur les cookies sont enregistrés.")


def script_cookies(page):
    return {
        part.split("=")[0].strip() for part in page.evaluate("document.cookie").split(";") if part
    }


def browser_cookies(context):
    return {cookie["name"] for cookie in context.cookies()}


def test_first_visit_shows_the_banner_and_refusing_sets_no_audience_cookie(
    page, context, live_site
):
    watch = CookieWatch(page)
    page.goto(live_site.url("/"))
    banner = page.get_by_role("region", name="Cookies sur ce site")
    expect(banner).to_be_visible()
    for name in ("Tout accepter", "Tout refuser"):
        expect(banner.get_by_role("button", name=name)).to_be_visible()
    expect(banner.get_by_role("link", name="Personnaliser")).to_be_visible()
    assert_no_axe_violations(page)
    assert watch.set_names() <= NECESSARY
    assert browser_cookies(context) <= NECESSARY and script_cookies(page) <= NECESSARY

    banner.get_by_role("button", name="Tout refuser").click()
    expect_choice_saved_in_place(page)
    page.goto(live_site.url(live_site.urls["open"]))
    page.goto(live_site.url("/"))
    expect(page.get_by_role("region", name="Cookies sur ce site")).to_have_count(0)
    assert AUDIENCE not in watch.set_names()
    assert AUDIENCE not in browser_cookies(context) and AUDIENCE not in script_cookies(page)
    assert "cookie_consent" in browser_cookies(context)


def test_accepting_then_withdrawing_from_the_footer(page, context, live_site):
    page.goto(live_site.url("/"))
    page.get_by_role("button", name="Tout accepter").click()
    expect_choice_saved_in_place(page)
    page.goto(live_site.url(live_site.urls["open"]))
    assert AUDIENCE in browser_cookies(context)

    page.get_by_role("contentinfo").get_by_role("link", name="Gestion des cookies").click()
    expect(page.get_by_role("heading", level=1, name="Gestion des cookies")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("group", name="Autoriser « Mesure d'audience » ?").get_by_label(
        "Refuser"
    ).check()
    page.get_by_role("button", name="Enregistrer mes choix").click()
    expect(page.get_by_text("Vos choix sur les cookies sont enregistrés.")).to_be_visible()
    assert page.url == live_site.url(live_site.urls["open"])  # back where they were
    assert AUDIENCE not in browser_cookies(context)
    assert AUDIENCE not in script_cookies(page)
    page.reload()
    assert AUDIENCE not in browser_cookies(context)


def test_the_banner_works_without_javascript(browser, live_site):
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_site.url("/"))
        page.get_by_role("button", name="Fermer (refuser)").click()
        expect(page.get_by_text("Vos choix sur les cookies sont enregistrés.")).to_be_visible()
        expect(page.get_by_role("region", name="Cookies sur ce site")).to_have_count(0)
        assert AUDIENCE not in browser_cookies(context)
    finally:
        context.close()


@pytest.fixture
def person(live_site):
    return live_site.run(factories.UserFactory, display_name="Inès des Prés")


def test_the_privacy_centre_and_its_export(page, live_site, person):
    page.goto(live_site.url("/"))
    page.get_by_role("button", name="Tout refuser").click()
    live_site.login(page, person.email, factories.PASSWORD)
    page.get_by_role("link", name="Mes données").click()
    expect(page.get_by_role("heading", level=1, name="Mes données")).to_be_visible()
    expect(page.get_by_role("heading", name="Ce que nous détenons sur vous")).to_be_visible()
    assert_no_axe_violations(page)

    page.get_by_label("Nom public").fill("Inès D.")
    page.get_by_role("button", name="Enregistrer mon nom public").click()
    expect(page.get_by_text("Votre nom public est modifié.")).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Télécharger mes données (ZIP)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".zip")
    archive = zipfile.ZipFile(io.BytesIO(open(download.path(), "rb").read()))  # noqa: SIM115
    assert {"profil.json", "profil.csv", "consentements.json", "LISEZMOI.txt"} <= set(
        archive.namelist()
    )
    assert "Inès D." in archive.read("profil.json").decode()


def test_account_deletion_end_to_end(page, live_site, person):
    from accounts.models import User

    page.goto(live_site.url("/"))
    page.get_by_role("button", name="Tout refuser").click()
    live_site.login(page, person.email, factories.PASSWORD)
    page.goto(live_site.url("/mes-donnees/"))
    page.get_by_role("link", name="Supprimer mon compte…").click()
    # allauth asks for the password again first.
    page.get_by_label("Mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_role("heading", level=1, name="Supprimer mon compte")).to_be_visible()
    expect(page.get_by_text("Participant·e supprimé·e").first).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_label("Garder mes contributions").check()
    page.get_by_role("button", name="Supprimer définitivement mon compte").click()
    expect(page.get_by_text("Cochez la case pour confirmer la suppression.")).to_be_visible()
    page.get_by_label("Je comprends que mon compte sera supprimé").check()
    page.get_by_role("button", name="Supprimer définitivement mon compte").click()
    expect(page.get_by_text("Votre compte est supprimé.")).to_be_visible()
    expect(page.get_by_role("link", name="Se connecter")).to_be_visible()
    assert not live_site.run(lambda: User.objects.filter(pk=person.pk).exists())
    assert live_site.emails_to(person.email)[-1].subject == "Votre compte a été supprimé"


def test_signup_page_is_accessible_and_explains_the_age_rule(page, live_site):
    page.goto(live_site.url("/compte/inscription/"))
    page.get_by_role("button", name="Tout refuser").click()
    expect_choice_saved_in_place(page)
    expect(page.get_by_label("J’ai 15 ans ou plus")).not_to_be_checked()
    expect(page.get_by_label("Recevoir des e-mails")).not_to_be_checked()
    assert_no_axe_violations(page)
    page.get_by_role("textbox", name="E-mail").fill("jeune@exemple.fr")
    page.get_by_label("Mot de passe (obligatoire) :", exact=True).fill("une-phrase-de-passe-solide")
    page.get_by_label("Mot de passe (confirmation)").fill("une-phrase-de-passe-solide")
    page.get_by_label("J’ai moins de 15 ans").check()
    page.get_by_label("J’accepte les conditions d’utilisation").check()
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.locator("#error-summary")).to_contain_text("consentement d’un parent")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.get_by_role("textbox", name="E-mail")).to_have_value("jeune@exemple.fr")
    assert_no_axe_violations(page)
