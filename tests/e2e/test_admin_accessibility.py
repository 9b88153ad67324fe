"""Every admin screen the team uses, checked with axe-core (WCAG 2.1 A/AA and axe's
best practices: one h1, unique landmarks), without a JavaScript error, each with an
h1 that says what the screen is."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_axe_violations

BIKE_PLAN_TITLE = "Plan vélo 2027"


def ids():
    from participation.models import ConsultationPage, Poll

    page = ConsultationPage.objects.get(slug="plan-velo-2027")
    return {"page": page.pk, "poll": Poll.objects.filter(consultation=page).first().pk}


def screens(known):
    page, poll = known["page"], known["poll"]
    return [
        ("/admin/", None),
        ("/admin/pages/", None),
        (f"/admin/pages/{page}/edit/", BIKE_PLAN_TITLE),
        ("/admin/moderation/", "Modération"),
        ("/admin/moderation/?file=tout", "Modération"),
        ("/admin/moderation/alertes/", "Alertes"),
        ("/admin/moderation/bannissements/", "Bannissements"),
        (f"/admin/moderation/crise/{page}/", None),
        ("/admin/participation/", "Participation"),
        (f"/admin/participation/?consultation={page}", BIKE_PLAN_TITLE),
        ("/admin/participation/calendrier/", "Calendrier éditorial"),
        (f"/admin/participation/{page}/resultats/", BIKE_PLAN_TITLE),
        (f"/admin/participation/{page}/objectifs/", BIKE_PLAN_TITLE),
        ("/admin/polls/", "Sondages"),
        ("/admin/polls/new/", None),
        (f"/admin/polls/edit/{poll}/", "Vos trajets à vélo"),
        (f"/admin/polls/inspect/{poll}/", "Vos trajets à vélo"),
        ("/admin/moderator_scopes/", None),
        ("/admin/consent/consentrecord/", None),
        ("/admin/account/", None),
    ]


def assert_no_axe_violations_with_best_practices(page):
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={
            "runOnly": {
                "type": "tag",
                "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
            },
            "resultTypes": ["violations"],
        },
    )
    assert results.violations_count == 0, f"axe-core sur {page.url} :\n{results.generate_report()}"


@pytest.fixture
def admin_page(browser, admin_storage_state):
    context = browser.new_context(
        locale="fr-FR", viewport={"width": 1280, "height": 900}, storage_state=admin_storage_state
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Wagtail's Stimulus controllers report their failures on the console.
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and "Failed to load resource" not in message.text
            else None
        ),
    )
    page.errors = errors
    yield page
    context.close()


def test_every_admin_screen_of_the_team_passes_axe(admin_page, live_site):
    page = admin_page
    for path, heading in screens(live_site.run(ids)):
        page.goto(live_site.url(path))
        page.wait_for_load_state("networkidle")
        h1 = page.locator("h1")
        expect(h1.first).to_be_visible()
        if heading:
            expect(h1.first).to_contain_text(heading)
        assert_no_axe_violations_with_best_practices(page)
        assert not page.errors, f"erreurs JavaScript sur {path} : {page.errors}"


def test_admin_widgets_have_names(admin_page, live_site):
    page = admin_page
    known = live_site.run(ids)
    page.goto(live_site.url(f"/admin/pages/{known['page']}/edit/"))
    # The tag field's typing box is named by the field's label.
    expect(page.get_by_role("textbox", name="Thèmes")).to_be_visible()
    # Each rich-text area has a name: the field's label or the block's type.
    expect(page.get_by_role("textbox", name="Objectifs", exact=True)).to_be_attached()
    expect(page.get_by_role("textbox", name="Paragraphe").first).to_be_attached()

    page.goto(live_site.url(f"/admin/polls/edit/{known['poll']}/"))
    # Nested inline forms: "Choix 1" of each question is told apart by its question.
    expect(page.get_by_role("region", name=re.compile(r"^Question 1 Choix 1$"))).to_have_count(1)
    expect(page.get_by_role("region", name=re.compile(r"^Question 2 Choix 1$"))).to_have_count(1)

    page.goto(live_site.url("/admin/participation/"))
    table = page.get_by_role("region", name=re.compile("^Chiffres par"))
    expect(table).to_have_attribute("tabindex", "0")

    page.goto(live_site.url("/admin/participation/calendrier/"))
    expect(page.locator('[aria-current="date"]')).to_have_count(1)
    assert_no_axe_violations(page)
