"""A visitor reads the consultations, creates an account, confirms it and logs in."""

from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_axe_violations


def test_visitor_reads_signs_up_confirms_and_logs_in(page, live_site):
    page.goto(live_site.url("/"))
    expect(page).to_have_title("Accueil — Démo participe")
    expect(page.get_by_role("heading", name="Consultations en cours")).to_be_visible()
    assert_no_axe_violations(page)

    page.get_by_role("link", name="Voir toutes les consultations").click()
    expect(page.get_by_role("heading", level=1, name="Consultations")).to_be_visible()
    assert_no_axe_violations(page)

    page.get_by_label("Statut").select_option("upcoming")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_text("1 consultation", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Réaménagement de la place du Marché")).to_be_visible()
    page.get_by_label("Statut").select_option("open")
    page.get_by_role("button", name="Filtrer").click()

    page.get_by_role("link", name="Plan vélo 2027").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Plan vélo 2027")
    expect(page.get_by_text("Ouverte jusqu’au")).to_be_visible()
    assert_no_axe_violations(page)

    page.get_by_role("link", name="Créer un compte").click()
    expect(page.get_by_role("heading", name="Créer un compte")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("textbox", name="E-mail").fill("lucie@exemple.fr")
    page.get_by_label("Nom public (pseudonyme)").fill("Lucie des Quais")
    page.get_by_label("Mot de passe (obligatoire) :", exact=True).fill("une-phrase-de-passe-solide")
    page.get_by_label("Mot de passe (confirmation)").fill("une-phrase-de-passe-solide")
    page.get_by_label("J’ai 15 ans ou plus").check()
    page.get_by_label("J’accepte les conditions d’utilisation").check()
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.get_by_role("heading", name="Vérifiez votre adresse e-mail")).to_be_visible()
    assert_no_axe_violations(page)

    page.goto(live_site.confirmation_link("lucie@exemple.fr"))
    expect(page.get_by_role("heading", name="Confirmer l'adresse e-mail")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_text("Connecté·e : Lucie des Quais")).to_be_visible()

    page.get_by_role("button", name="Se déconnecter").click()
    live_site.login(page, "lucie@exemple.fr", "une-phrase-de-passe-solide")
    expect(page.get_by_text("Connecté·e : Lucie des Quais")).to_be_visible()
    assert_no_axe_violations(page)


def test_search_from_the_header(page, live_site):
    page.goto(live_site.url("/"))
    page.get_by_role("searchbox", name="Rechercher sur le site").fill("médiathèque")
    page.get_by_role("button", name="Rechercher").first.click()
    expect(page.get_by_role("link", name="Nouveaux horaires de la médiathèque")).to_be_visible()
    assert_no_axe_violations(page)


def test_keyboard_user_can_skip_to_content(page, live_site):
    page.goto(live_site.url("/"))
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"


def test_unknown_page_is_a_french_404(page, live_site):
    response = page.goto(live_site.url("/nulle-part/"))
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page introuvable")).to_be_visible()
    assert_no_axe_violations(page)
