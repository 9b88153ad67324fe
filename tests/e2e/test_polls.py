"""Citizens vote in the demo polls and read the results, with and without JavaScript;
the communication team builds a poll with nested questions and choices in the admin."""

import re

import pytest
from playwright.sync_api import expect

from participation import demo
from tests.e2e.conftest import assert_no_axe_violations

BIKE_PLAN = "/consultations/plan-velo-2027/"
LIBRARY = "/consultations/horaires-mediatheque/"


def bike_poll(page):
    return page.get_by_role("region", name="Vos trajets à vélo")


def live_region(page):
    return page.locator("#live-region")


def participants(poll) -> int:
    return int(poll.locator(".poll__participants").inner_text().split()[0])


def test_citizen_votes_in_place_and_sees_the_results(page, live_site):
    live_site.login(page, "citoyenne@demo.tribune.test", demo.DEMO_PASSWORD)
    page.goto(live_site.url(BIKE_PLAN))
    poll = bike_poll(page)
    expect(
        poll.get_by_text("Les résultats s’affichent une fois que vous avez voté.")
    ).to_be_visible()
    assert_no_axe_violations(page)
    before = participants(poll)
    page.evaluate("window.sameDocument = true")

    poll.get_by_label("Une ou plusieurs fois par semaine").check()
    for label in (
        "Des pistes séparées des voitures",
        "Des carrefours sécurisés",
        "Du stationnement vélo sécurisé",
        "Un atelier de réparation participatif",
    ):
        poll.get_by_label(label).check()
    poll.get_by_label(re.compile("Un carrefour ou une rue")).fill("Le rond-point de la gare.")
    poll.get_by_role("button", name="Voter").click()

    # Refused in place: the message, the answers kept, the page not reloaded.
    poll = bike_poll(page)
    expect(
        poll.get_by_text("Vous pouvez choisir 3 réponses au plus : vous en avez coché 4.")
    ).to_be_visible()
    expect(live_region(page)).to_contain_text("Votre vote n’a pas pu être enregistré")
    expect(poll.get_by_label("Une ou plusieurs fois par semaine")).to_be_checked()
    expect(poll.get_by_label("Un atelier de réparation participatif")).to_be_checked()
    expect(poll.get_by_label(re.compile("Un carrefour ou une rue"))).to_have_value(
        "Le rond-point de la gare."
    )
    assert_no_axe_violations(page)

    poll.get_by_label("Un atelier de réparation participatif").uncheck()
    poll.get_by_role("button", name="Voter").click()
    poll = bike_poll(page)
    expect(live_region(page)).to_have_text(
        "Votre vote est enregistré. Merci de votre participation !"
    )
    expect(poll.get_by_text("Vous avez voté à ce sondage")).to_be_visible()
    expect(poll.get_by_text(f"{before + 1} participant·es", exact=True)).to_be_visible()
    expect(poll.locator(".poll-results__mine").first).to_have_text("(votre choix)")
    assert page.evaluate("window.sameDocument") is True
    # Focus stays in the poll, not thrown back to the top of the page.
    assert page.evaluate("document.activeElement.closest('.poll') !== null")

    poll.get_by_text("Voir ces résultats sous forme de tableau").first.click()
    table = poll.get_by_role("table").first
    expect(table).to_be_visible()
    expect(table.get_by_role("columnheader", name="Part des participant·es")).to_be_visible()
    assert_no_axe_violations(page)

    # Change of mind, with the keyboard alone.
    poll.get_by_text("Modifier mon vote").focus()
    page.keyboard.press("Enter")
    poll.get_by_label("Tous les jours ou presque").focus()
    page.keyboard.press("Space")
    poll.get_by_role("button", name="Enregistrer mon nouveau vote").focus()
    page.keyboard.press("Enter")
    expect(live_region(page)).to_have_text("Votre vote est modifié.")
    expect(bike_poll(page).get_by_text(f"{before + 1} participant·es", exact=True)).to_be_visible()
    assert page.evaluate("window.sameDocument") is True


@pytest.fixture
def page_without_javascript(browser, live_site):
    context = browser.new_context(
        locale="fr-FR", viewport={"width": 390, "height": 844}, java_script_enabled=False
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_citizen_votes_without_javascript(page_without_javascript, live_site):
    page = page_without_javascript
    live_site.login(page, "citoyen@demo.tribune.test", demo.DEMO_PASSWORD)
    page.goto(live_site.url(BIKE_PLAN))
    poll = bike_poll(page)
    poll.get_by_label("Des carrefours sécurisés").check()
    poll.get_by_label(re.compile("Un carrefour ou une rue")).fill("Avenue Jean-Jaurès.")
    poll.get_by_role("button", name="Voter").click()

    expect(page.get_by_text("Votre vote n’a pas pu être enregistré")).to_be_visible()
    poll = bike_poll(page)
    expect(poll.get_by_text("Choisissez une réponse.")).to_be_visible()
    expect(poll.get_by_label("Des carrefours sécurisés")).to_be_checked()
    expect(poll.get_by_label(re.compile("Un carrefour ou une rue"))).to_have_value(
        "Avenue Jean-Jaurès."
    )

    poll.get_by_label("Rarement ou jamais").check()
    poll.get_by_role("button", name="Voter").click()
    expect(page).to_have_url(re.compile(r"/consultations/plan-velo-2027/#sondage-\d+$"))
    expect(
        page.get_by_text("Votre vote est enregistré. Merci de votre participation !")
    ).to_be_visible()
    poll = bike_poll(page)
    expect(poll.get_by_text("Vous avez voté à ce sondage")).to_be_visible()
    expect(poll.get_by_text("(votre choix)").first).to_be_visible()
    # The table alternative opens without JavaScript (<details>).
    poll.get_by_text("Voir ces résultats sous forme de tableau").first.click()
    expect(poll.get_by_role("table").first).to_be_visible()


def test_results_of_a_closed_poll_are_readable_by_everyone(page, live_site):
    page.goto(live_site.url(LIBRARY))
    poll = page.get_by_role("region", name="Les horaires de votre médiathèque")
    expect(poll.get_by_text("Sondage clos")).to_be_visible()
    expect(poll.get_by_text("320 participant·es", exact=True)).to_be_visible()
    expect(
        poll.get_by_role("heading", name="Quelle proposition d'horaires préférez-vous ?")
    ).to_be_visible()
    expect(poll.get_by_role("button", name="Voter")).to_have_count(0)
    poll.get_by_text("Voir ces résultats sous forme de tableau").first.click()
    expect(poll.get_by_role("table").first).to_contain_text("A — ouverture le dimanche")
    assert_no_axe_violations(page)


def test_communication_builds_a_poll_with_nested_questions_in_the_admin(page, live_site):
    # The admin asks for the second factor after the password.
    live_site.admin_login(
        page, "communication@demo.tribune.test", demo.DEMO_PASSWORD, demo.DEMO_TOTP_SECRET
    )
    expect(page).to_have_url(re.compile(r"/admin/$"))

    page.get_by_role("link", name="Sondages").click()
    page.get_by_role("link", name="Ajouter : sondage").first.click()
    page.get_by_role("button", name="Choisissez une page (Consultation)").click()
    page.get_by_role("dialog").get_by_role("link", name="Boîte à idées permanente").click()
    page.get_by_role("textbox", name="Titre").fill("Le marché du dimanche")
    page.get_by_role("checkbox", name="Affiché sur la page de la consultation").check()

    page.locator("#id_questions-0-text").fill("Faut-il un marché le dimanche ?")
    add_choice = page.get_by_role("button", name="Ajouter : choix")
    add_choice.first.click()
    add_choice.first.click()
    page.locator("#id_questions-0-choices-0-label").fill("Oui")
    page.locator("#id_questions-0-choices-1-label").fill("Non")

    # A second question added in the browser gets its own nested list of choices.
    page.get_by_role("button", name="Ajouter : question").click()
    page.locator("#id_questions-1-text").fill("Quels étals ?")
    page.locator("#id_questions-1-kind").select_option("multiple")
    page.locator("#id_questions-1-max_choices").fill("2")
    for _ in range(3):
        add_choice.nth(1).click()
    for index, label in enumerate(["Fruits et légumes", "Fromages", "Fleurs"]):
        page.locator(f"#id_questions-1-choices-{index}-label").fill(label)
    page.get_by_role("button", name="Créer").click()
    expect(page).to_have_url(re.compile(r"/admin/polls/$"))
    expect(page.get_by_role("link", name="Le marché du dimanche")).to_be_visible()

    page.goto(live_site.url("/consultations/boite-a-idees/"))
    poll = page.get_by_role("region", name="Le marché du dimanche")
    expect(poll.get_by_role("group", name="Quels étals ?")).to_be_visible()
    expect(poll.get_by_text("Fromages")).to_be_visible()
    assert_no_axe_violations(page)
