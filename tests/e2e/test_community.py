"""Community management in Chromium: the communication team reads the Participation
dashboard, changes the period and downloads an export; a citizen shares a consultation
(the counter moves) and answers the feedback question. axe-core on the public pages."""

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from participation import demo
from tests.e2e.conftest import assert_no_axe_violations

CAMILLE = "citoyenne@demo.tribune.test"
TEAM = "communication@demo.tribune.test"
# A person's desktop browser: Playwright's default user agent says "HeadlessChrome",
# which the visit and share counters rightly leave out as a robot.
DESKTOP = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Safari/537.36"
)


def consultation(live_site, slug):
    from participation.models import ConsultationPage

    return live_site.run(lambda: ConsultationPage.objects.get(slug=slug))


def shares(live_site, page_id, network):
    from django.db.models import Sum

    from participation.models import ShareCount

    return live_site.run(
        lambda: (
            ShareCount.objects.filter(page_id=page_id, network=network).aggregate(n=Sum("count"))[
                "n"
            ]
            or 0
        )
    )


def test_team_reads_the_dashboard_changes_the_period_and_exports(page, live_site):
    live_site.admin_login(page, TEAM, demo.DEMO_PASSWORD, demo.DEMO_TOTP_SECRET)
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.get_by_role("heading", name="Participation des 7 derniers jours")).to_be_visible()

    page.goto(live_site.url("/admin/participation/"))
    expect(page.get_by_role("heading", name=re.compile("^Tout le site"))).to_be_visible()
    velo = consultation(live_site, "plan-velo-2027")
    page.get_by_label("Consultation").select_option(str(velo.pk))
    today = date.today()
    start = (today - timedelta(days=25)).isoformat()
    page.get_by_label("Du", exact=True).fill(start)
    page.get_by_label("Au", exact=True).fill(today.isoformat())
    page.get_by_label("Regrouper par").select_option("week")
    page.get_by_role("button", name="Afficher", exact=True).click()
    expect(page).to_have_url(re.compile(f"start={start}"))
    expect(page.get_by_role("heading", name=re.compile("^Plan vélo"))).to_be_visible()
    expect(page.get_by_text("Chiffres par semaine (semaine commençant le)")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("^Visites : total"))).to_be_visible()

    # An impossible period is refused with a message next to the field.
    page.get_by_label("Au", exact=True).fill((today - timedelta(days=40)).isoformat())
    page.get_by_role("button", name="Afficher", exact=True).click()
    expect(page.get_by_text("La fin de la période doit venir après son début.")).to_be_visible()

    page.goto(live_site.url(f"/admin/participation/?consultation={velo.pk}"))
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").first.click()
    assert download.value.suggested_filename.startswith(f"consultation-{velo.pk}-comments-")
    content = open(download.value.path(), encoding="utf-8-sig").read()  # noqa: SIM115
    assert content.splitlines()[0].startswith("Numéro;Réponse à;Niveau;Auteur (pseudonyme)")
    assert "@demo.tribune.test" not in content


def test_citizen_shares_and_answers_the_feedback_question(browser, live_site):
    context = browser.new_context(locale="fr-FR", user_agent=DESKTOP)
    context.set_default_timeout(10_000)
    # No network here: the social network's page is answered locally.
    context.route(
        re.compile(r"https://www\.linkedin\.com/.*"),
        lambda route: route.fulfill(status=200, content_type="text/html", body="<p>LinkedIn</p>"),
    )
    page = context.new_page()
    try:
        velo = consultation(live_site, "plan-velo-2027")
        before = shares(live_site, velo.pk, "linkedin")
        live_site.login(page, CAMILLE, demo.DEMO_PASSWORD)
        page.goto(live_site.url(velo.url))
        assert page.locator('meta[property="og:title"]').get_attribute("content") == velo.title
        assert_no_axe_violations(page)

        page.get_by_role("link", name="Partager sur LinkedIn").click()
        expect(page).to_have_url(re.compile(r"^https://www\.linkedin\.com/sharing/"))
        assert shares(live_site, velo.pk, "linkedin") == before + 1

        page.goto(live_site.url(velo.url) + "#avis")
        form = page.locator("form#avis")
        expect(form.get_by_text("Cette consultation vous a-t-elle été utile ?")).to_be_visible()
        form.locator("#feedback-rating-4").check()
        form.get_by_label("Un commentaire ? (facultatif)").fill("Clair et utile.")
        form.get_by_role("button", name="Envoyer ma réponse").click()
        expect(page.get_by_text("Merci pour votre réponse !")).to_be_visible()
        expect(page.locator("form#avis")).to_have_count(0)
        assert_no_axe_violations(page)
    finally:
        context.close()


def test_published_results_page_is_accessible(page, live_site):
    from participation.models import ConsultationPage, ConsultationResults
    from participation.services import community

    def publish():
        closed = next(p for p in ConsultationPage.objects.live() if p.status == "closed")
        ConsultationResults.objects.update_or_create(
            consultation=closed,
            defaults={
                "summary": "Vous demandez des horaires élargis, surtout le samedi.",
                "decisions": "Ouverture le samedi jusqu’à 19 h.\n\nUn créneau le dimanche matin.",
            },
        )
        from accounts.models import User

        team = User.objects.get(email=TEAM)
        community.publish_results(user=team, consultation=closed)
        return closed.url

    url = live_site.run(publish)
    page.goto(live_site.url(url))
    expect(page.get_by_role("heading", name="Résultats de la consultation")).to_be_visible()
    expect(page.get_by_role("heading", name="Vous avez dit, nous avons fait")).to_be_visible()
    assert_no_axe_violations(page)
