"""Forms as a screen-reader or keyboard user meets them: required fields are marked
before sending, and a refused form says « Erreur » in the page title and puts focus on
the summary of the problems (or on the first field in error when it updates in
place)."""

import re

from playwright.sync_api import expect

from participation import demo
from tests import factories
from tests.e2e.conftest import assert_no_axe_violations

BIKE_PLAN = "/consultations/plan-velo-2027/"


def new_person():
    from django.db import transaction

    with transaction.atomic():
        return factories.UserFactory()


def refuse_cookies(page):
    page.get_by_role("button", name="Tout refuser").click()
    expect(page.locator("#cookie-banner")).to_contain_text("Vos choix sur les cookies")


def test_a_failed_sign_in_says_error_and_focuses_the_summary(page, live_site):
    page.goto(live_site.url("/compte/connexion/"))
    refuse_cookies(page)
    expect(page.locator("label[for=id_login] .required-mark")).to_have_text("(obligatoire)")
    page.get_by_label("E-mail").fill("citoyenne@demo.tribune.test")
    page.get_by_label("Mot de passe").fill("pas-le-bon-mot-de-passe")
    page.get_by_role("button", name="Connexion").click()
    expect(page).to_have_title(re.compile("^Erreur : "))
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("mot de passe")
    assert_no_axe_violations(page)


def test_a_failed_sign_up_leads_to_each_field_in_error(page, live_site):
    page.goto(live_site.url("/compte/inscription/"))
    refuse_cookies(page)
    for field in ("id_email", "id_password1", "id_accept_terms"):
        expect(page.locator(f"label[for={field}] .required-mark")).to_be_visible()
    expect(page.locator("label[for=id_display_name] .required-mark")).to_have_count(0)
    expect(page.get_by_role("textbox", name="Nom public")).to_have_attribute(
        "autocomplete", "nickname"
    )
    page.get_by_role("textbox", name="E-mail").fill("pas-une-adresse")
    page.locator("form.form button[type=submit]").click()
    expect(page).to_have_title(re.compile("^Erreur : "))
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_contain_text("Le formulaire comporte")
    expect(page.get_by_role("textbox", name="E-mail")).to_have_value("pas-une-adresse")
    summary.get_by_role("link", name=re.compile("^E-mail")).click()
    expect(page.get_by_role("textbox", name="E-mail")).to_be_focused()
    assert_no_axe_violations(page)


def test_report_form_marks_its_required_reason(page, live_site):
    live_site.login(page, "citoyen@demo.tribune.test", demo.DEMO_PASSWORD)
    page.goto(live_site.url(BIKE_PLAN))
    page.locator("a.comment__report").first.click()
    expect(page.locator("legend .required-mark, label .required-mark").first).to_be_visible()
    page.get_by_role("button", name="Envoyer le signalement").click()
    expect(page).to_have_title(re.compile("^Erreur : "))
    expect(page.locator("#error-summary")).to_be_focused()
    assert_no_axe_violations(page)


def test_a_refused_ballot_moves_focus_to_the_first_question_in_error(page, live_site):
    person = live_site.run(new_person)
    live_site.login(page, person.email, factories.PASSWORD)
    page.goto(live_site.url(BIKE_PLAN))
    poll = page.get_by_role("region", name="Vos trajets à vélo")
    expect(poll.locator("legend .required-mark").first).to_have_text("(obligatoire)")
    poll.get_by_role("button", name="Voter").click()
    focused = page.locator(":focus")
    expect(focused).to_have_attribute("aria-invalid", "true")
    assert poll.evaluate("(e) => e.contains(document.activeElement)")
    assert_no_axe_violations(page)
