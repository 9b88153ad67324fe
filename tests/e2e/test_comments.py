"""A citizen takes part in a thread in Chromium: comment, reply, support, edit, delete,
report — in place with JavaScript, and by plain form posts without it. axe-core checks
every page visited."""

import re

import pytest
from playwright.sync_api import expect

from participation import demo
from tests.e2e.conftest import assert_no_axe_violations

CAMILLE = "citoyenne@demo.tribune.test"
KARIM = "citoyen@demo.tribune.test"


def consultation_url(live_site, slug):
    from participation.models import ConsultationPage

    return live_site.url(live_site.run(lambda: ConsultationPage.objects.get(slug=slug).url))


def card(page, text):
    """The comment (article) that contains `text`."""
    return page.locator("article.comment__card", has_text=text).first


@pytest.fixture
def no_js_page(browser, live_site):
    context = browser.new_context(
        locale="fr-FR", viewport={"width": 390, "height": 844}, java_script_enabled=False
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def test_citizen_takes_part_in_place_with_javascript(page, live_site):
    live_site.login(page, CAMILLE, demo.DEMO_PASSWORD)
    page.goto(consultation_url(live_site, "plan-velo-2027"))
    expect(page.get_by_role("heading", name=re.compile("^Commentaires"))).to_be_visible()
    assert_no_axe_violations(page)
    page.evaluate("window.__sameDocument = true")  # survives only if nothing reloads

    # Comment
    page.get_by_label("Votre commentaire", exact=True).fill(
        "Des arceaux devant la médiathèque, svp.\nMerci !"
    )
    page.get_by_label("Pour", exact=True).check()
    page.get_by_role("button", name="Publier", exact=True).click()
    mine = card(page, "Des arceaux devant la médiathèque")
    expect(mine).to_be_visible()
    expect(mine.locator(".badge--position")).to_have_text("Pour")
    expect(page.locator("#live-region")).to_have_text("Votre commentaire est publié.")
    expect(page.get_by_label("Votre commentaire", exact=True)).to_have_value("")
    expect(page.locator("#comment-list > li").first).to_contain_text("Des arceaux")

    # Reply to someone else's comment
    theirs = card(page, "Je tiens un commerce")
    theirs.get_by_role("link", name="Répondre à Yves, commerçant").click()
    expect(theirs.get_by_label("Votre réponse à Yves, commerçant")).to_be_focused()
    theirs.get_by_label("Votre réponse à Yves, commerçant").fill("Une aire de livraison aiderait.")
    theirs.get_by_role("button", name="Publier la réponse").click()
    reply = card(page, "Une aire de livraison aiderait.")
    expect(reply).to_be_visible()
    expect(page.locator("#live-region")).to_have_text("Votre réponse est publiée.")
    expect(theirs.get_by_role("link", name="Répondre à Yves, commerçant")).to_be_focused()

    # Support it, then take the support back
    support = theirs.get_by_role("button", name=re.compile("^Soutenir"))
    expect(support).to_have_attribute("aria-pressed", "false")
    support.click()
    support = theirs.get_by_role("button", name=re.compile("^Soutenir"))
    expect(support).to_have_attribute("aria-pressed", "true")
    expect(support).to_contain_text("2")
    expect(page.locator("#live-region")).to_have_text("Vous soutenez ce commentaire.")
    support.click()
    expect(theirs.get_by_role("button", name=re.compile("^Soutenir"))).to_have_attribute(
        "aria-pressed", "false"
    )

    # Edit my comment, then delete it
    mine.get_by_text("Modifier", exact=True).click()
    mine.get_by_label("Texte de votre commentaire").fill(
        "Des arceaux couverts devant la médiathèque."
    )
    mine.get_by_role("button", name="Enregistrer la modification").click()
    mine = card(page, "Des arceaux couverts")
    expect(mine.get_by_text("modifié", exact=True)).to_be_visible()
    assert_no_axe_violations(page)
    mine.get_by_text("Supprimer", exact=True).click()
    mine.get_by_role("button", name="Supprimer définitivement").click()
    expect(page.get_by_text("Des arceaux couverts")).to_have_count(0)
    expect(page.locator("#live-region")).to_have_text("Votre commentaire est supprimé.")

    # Long reply lists open in place
    first = page.locator("#comment-list > li", has_text="La traversée du boulevard")
    first.get_by_role("link", name="Voir les 4 réponses").click()
    expect(first.get_by_text("Il y a eu un accrochage la semaine dernière")).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True
    assert_no_axe_violations(page)


def test_refused_text_stays_in_place_and_focus_stays_in_the_form(page, live_site):
    live_site.login(page, CAMILLE, demo.DEMO_PASSWORD)
    page.goto(consultation_url(live_site, "boite-a-idees"))
    page.get_by_label("Votre commentaire", exact=True).fill("x" * 2001)
    page.get_by_role("button", name="Publier", exact=True).focus()
    page.keyboard.press("Enter")  # keyboard only
    expect(page.locator("#comment-body-errors")).to_contain_text(
        "Votre commentaire fait 2001 caractères : 2000 au maximum"
    )
    expect(page.locator("#live-region")).to_contain_text("Votre commentaire fait 2001 caractères")
    field = page.get_by_label("Votre commentaire", exact=True)
    expect(field).to_have_value("x" * 2001)
    expect(field).to_have_attribute("aria-invalid", "true")
    assert page.evaluate(
        "document.getElementById('comment-compose').contains(document.activeElement)"
    )
    assert_no_axe_violations(page)


def test_citizen_takes_part_without_javascript(no_js_page, live_site):
    # axe-core needs JavaScript: the same pages are checked in the tests below.
    page = no_js_page
    live_site.login(page, KARIM, demo.DEMO_PASSWORD)
    url = consultation_url(live_site, "boite-a-idees")
    page.goto(url)

    page.get_by_label("Votre commentaire", exact=True).fill(
        "Un composteur collectif au square Pasteur ?"
    )
    page.get_by_role("button", name="Publier", exact=True).click()
    expect(page).to_have_url(re.compile(r"\?commentaire=\d+#commentaire-\d+$"))
    expect(page.get_by_text("Votre commentaire est publié.")).to_be_visible()
    mine = card(page, "Un composteur collectif")
    expect(mine).to_be_visible()

    theirs = card(page, "ouvrir la piscine municipale")
    theirs.get_by_role("link", name="Répondre à Nadia K.").click()  # the reply page
    expect(page.get_by_role("heading", name="Répondre à un commentaire")).to_be_visible()
    page.get_by_label("Votre réponse à Nadia K.").fill("Le samedi soir aussi, ce serait bien.")
    page.get_by_role("button", name="Publier la réponse").click()
    expect(page.get_by_text("Votre réponse est publiée.")).to_be_visible()
    expect(card(page, "Le samedi soir aussi")).to_be_visible()

    theirs = card(page, "ouvrir la piscine municipale")
    theirs.get_by_role("button", name=re.compile("^Soutenir")).click()
    expect(page.get_by_text("Vous soutenez ce commentaire.")).to_be_visible()
    expect(
        card(page, "ouvrir la piscine municipale").get_by_role(
            "button", name=re.compile("^Soutenir")
        )
    ).to_have_attribute("aria-pressed", "true")

    page.goto(url)  # the permalink view starts at the supported comment's thread
    mine = card(page, "Un composteur collectif")
    mine.get_by_text("Modifier", exact=True).click()
    mine.get_by_label("Texte de votre commentaire").fill(
        "Un composteur collectif au square Pasteur."
    )
    mine.get_by_role("button", name="Enregistrer la modification").click()
    expect(page.get_by_text("Votre commentaire est modifié.")).to_be_visible()
    mine = card(page, "au square Pasteur.")
    expect(mine.get_by_text("modifié", exact=True)).to_be_visible()

    mine.get_by_text("Supprimer", exact=True).click()
    mine.get_by_role("button", name="Supprimer définitivement").click()
    expect(page.get_by_text("Votre commentaire est supprimé.")).to_be_visible()
    expect(page.get_by_text("Un composteur collectif")).to_have_count(0)

    card(page, "Merci pour les nouveaux bancs").get_by_role("link", name="Signaler").click()
    expect(page.get_by_role("heading", name="Signaler un commentaire")).to_be_visible()
    page.get_by_label("Hors sujet").check()
    page.get_by_role("button", name="Envoyer le signalement").click()
    expect(page.get_by_text("votre signalement a été transmis")).to_be_visible()

    # "Voir les N réponses" is an ordinary link to every reply.
    page.goto(consultation_url(live_site, "plan-velo-2027"))
    traversee = page.locator("#comment-list > li", has_text="La traversée du boulevard")
    traversee.get_by_role("link", name="Voir les 4 réponses").click()
    expect(page.get_by_role("heading", name="Réponses à un commentaire")).to_be_visible()
    expect(page.get_by_text("Il y a eu un accrochage la semaine dernière")).to_be_visible()


def test_action_pages_are_accessible(page, live_site):
    live_site.login(page, CAMILLE, demo.DEMO_PASSWORD)
    page.goto(consultation_url(live_site, "plan-velo-2027"))
    theirs = card(page, "Je tiens un commerce")
    theirs.get_by_role("link", name="Signaler").click()
    expect(page.get_by_role("heading", name="Signaler un commentaire")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Envoyer le signalement").click()
    expect(
        page.get_by_text("Choisissez la raison de votre signalement.", exact=True)
    ).to_be_visible()
    assert_no_axe_violations(page)
    page.goto(consultation_url(live_site, "plan-velo-2027"))
    traversee = page.locator("#comment-list > li", has_text="La traversée du boulevard")
    href = traversee.get_by_role("link", name="Voir les 4 réponses").get_attribute("href")
    page.goto(live_site.url(href))
    expect(page.get_by_role("heading", name="Réponses à un commentaire")).to_be_visible()
    assert_no_axe_violations(page)
    reply_href = href.replace("reponses", "repondre")
    page.goto(live_site.url(reply_href))
    expect(page.get_by_role("heading", name="Répondre à un commentaire")).to_be_visible()
    assert_no_axe_violations(page)


def test_visitor_is_told_why_they_cannot_comment(page, live_site):
    page.goto(consultation_url(live_site, "plan-velo-2027"))
    thread = page.locator("#commentaires")
    expect(thread.get_by_text("Connectez-vous pour participer.")).to_be_visible()
    expect(page.get_by_role("button", name="Publier", exact=True)).to_have_count(0)
    page.goto(consultation_url(live_site, "horaires-mediatheque"))
    expect(thread.get_by_text("Cette consultation est terminée.")).to_be_visible()
    assert_no_axe_violations(page)


def test_pending_comment_is_shown_to_its_author_only(page, live_site):
    live_site.login(page, KARIM, demo.DEMO_PASSWORD)
    page.goto(consultation_url(live_site, "budget-participatif-tilleuls"))
    expect(page.get_by_text("En attente de modération")).to_be_visible()
    expect(
        page.get_by_text("Les commentaires sont relus par la modération avant d’être publiés.")
    ).to_be_visible()
    assert_no_axe_violations(page)
