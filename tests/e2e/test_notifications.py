"""A citizen asks the city a question; an agent answers officially; the citizen's open
page shows the bell's count rise without a reload and announces it politely. axe-core
checks the notification centre and the e-mail choices page."""

from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import assert_no_axe_violations

BIKE_PLAN = "/consultations/plan-velo-2027/"
QUESTION = "Quand la piste de la rue Haute sera-t-elle finie ?"


def new_person():
    from django.db import transaction

    with transaction.atomic():
        user = factories.UserFactory()
    return user.email


def answer_officially(question_text):
    """The agent's answer, committed as a request would (the fan-out runs on commit)."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from participation.models import Comment
    from participation.services import comments

    agent = get_user_model().objects.get(email="agent@demo.tribune.test")
    question = Comment.objects.select_related("consultation").get(body=question_text)
    with transaction.atomic():
        comments.post_comment(
            author=agent,
            consultation=question.consultation.specific,
            parent=question,
            body="Les travaux finissent en mars.",
            official=True,
        )


def test_an_official_answer_raises_the_bell_live(page, live_site):
    email = live_site.run(new_person)
    live_site.login(page, email, factories.PASSWORD)
    page.goto(live_site.url(BIKE_PLAN))
    page.get_by_label("Votre commentaire", exact=True).fill(QUESTION)
    page.get_by_role("button", name="Publier", exact=True).click()
    expect(page.get_by_text(QUESTION).first).to_be_visible()
    bell = page.locator("#notification-count")
    expect(bell).to_have_attribute("data-count", "0")
    page.wait_for_timeout(800)  # the personal stream is open

    live_site.run(answer_officially, QUESTION)

    expect(bell).to_have_attribute("data-count", "1")
    expect(bell).to_have_text("1 non lue")
    expect(page.locator("#live-region")).to_have_text("Nouvelle notification : 1 non lue.")

    page.get_by_role("link", name="Notifications").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes notifications")
    expect(
        page.get_by_role("paragraph").filter(has_text="Une réponse officielle a été donnée")
    ).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Tout marquer comme lu").click()
    expect(page.locator("#notification-count")).to_have_attribute("data-count", "0")

    page.get_by_role("link", name="Choisir ce que vous recevez par e-mail").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes notifications par e-mail")
    assert_no_axe_violations(page)
    page.get_by_role("group", name="Une réponse à mon commentaire").get_by_label(
        "Résumé quotidien"
    ).check()
    page.get_by_role("button", name="Enregistrer mes choix").click()
    expect(page.get_by_text("Vos choix sont enregistrés.")).to_be_visible()

    # Commenting followed the consultation: « Mes abonnements » lists it, with its stop.
    page.get_by_role("link", name="Mes abonnements").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes abonnements")
    expect(page.get_by_role("main")).to_contain_text("Plan vélo 2027")
    assert_no_axe_violations(page)
