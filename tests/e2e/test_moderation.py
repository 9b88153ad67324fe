"""Moderation in Chromium: a citizen posts under a priori moderation and sees
it waiting; a moderator signs in to the admin with a TOTP code, approves it, and it
appears publicly; a rejection reaches its author, who contests it. axe-core checks the
public pages involved."""

import re

from playwright.sync_api import expect

from participation import demo
from tests.e2e.conftest import assert_no_axe_violations

KARIM = "citoyen@demo.tribune.test"
MODERATION = "moderation@demo.tribune.test"
SLUG = "budget-participatif-tilleuls"  # a priori moderation in the demo


def consultation_url(live_site):
    from participation.models import ConsultationPage

    return live_site.url(live_site.run(lambda: ConsultationPage.objects.get(slug=SLUG).url))


def card(page, text):
    return page.locator("article.comment__card", has_text=text).first


def post_comment(page, live_site, text):
    page.goto(consultation_url(live_site))
    page.get_by_label("Votre commentaire", exact=True).fill(text)
    page.get_by_role("button", name="Publier", exact=True).click()
    expect(card(page, text)).to_be_visible()
    expect(card(page, text)).to_contain_text(re.compile("attente", re.IGNORECASE))


def moderator_page(browser, live_site):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    live_site.admin_login(page, MODERATION, demo.DEMO_PASSWORD, demo.DEMO_TOTP_SECRET)
    return context, page


def row(page, text):
    return page.locator("li.moderation__row", has_text=text).first


def test_a_priori_comment_is_approved_by_a_moderator_signed_in_with_totp(page, browser, live_site):
    text = "Un banc à l’ombre près de l’aire de jeux des Tilleuls."
    live_site.login(page, KARIM, demo.DEMO_PASSWORD)
    post_comment(page, live_site, text)
    expect(page.get_by_role("link", name="Lire la charte de modération")).to_be_visible()
    assert_no_axe_violations(page)

    context, admin = moderator_page(browser, live_site)
    try:
        admin.goto(live_site.url("/admin/moderation/"))
        pending = row(admin, text)
        expect(pending).to_be_visible()
        pending.get_by_role("button", name="Publier").click()
        expect(admin.get_by_text("Commentaire publié.")).to_be_visible()
    finally:
        context.close()

    visitor = browser.new_context(locale="fr-FR")
    try:
        public = visitor.new_page()
        public.goto(consultation_url(live_site))
        expect(card(public, text)).to_be_visible()
        expect(card(public, text)).not_to_contain_text(re.compile("attente", re.IGNORECASE))
        assert_no_axe_violations(public)
        public.get_by_role("link", name="Bilan de la modération de cette consultation").click()
        expect(public.get_by_role("heading", level=1)).to_contain_text("Modération de")
        assert_no_axe_violations(public)
    finally:
        visitor.close()


def test_a_rejection_reaches_its_author_who_contests_it(page, browser, live_site):
    text = "Mon voisin fait trop de bruit le soir, il faut le dire ici."
    live_site.login(page, KARIM, demo.DEMO_PASSWORD)
    post_comment(page, live_site, text)

    context, admin = moderator_page(browser, live_site)
    try:
        admin.goto(live_site.url("/admin/moderation/"))
        pending = row(admin, text)
        pending.get_by_label("Motif (charte de modération)").select_option(label="Hors sujet")
        pending.get_by_label("Note à l’auteur ou l’autrice (facultatif)").fill(
            "Ce sujet relève de la médiation de quartier."
        )
        pending.get_by_role("button", name="Refuser").click()
        expect(admin.get_by_text("Commentaire refusé")).to_be_visible()
    finally:
        context.close()

    mail = live_site.emails_to(KARIM)[-1]
    assert "Hors sujet" in mail.body and "médiation de quartier" in mail.body
    page.goto(live_site.url("/participation/moderation/mes-decisions/"))
    decision = page.locator("li.moderation-decision", has_text=text).first
    expect(decision).to_contain_text("Hors sujet")
    expect(decision).to_contain_text("médiation de quartier")
    assert_no_axe_violations(page)
    decision.get_by_label("Pourquoi cette décision devrait-elle changer ?").fill(
        "Le bruit concerne l’aménagement de la place, donc le budget."
    )
    decision.get_by_role("button", name="Contester cette décision").click()
    expect(page.get_by_text("Votre contestation a été envoyée")).to_be_visible()
    expect(page.locator("li.moderation-decision", has_text=text).first).to_contain_text(
        "Vous avez contesté cette décision."
    )
    assert_no_axe_violations(page)


def test_a_moderator_works_the_queue_with_the_keyboard_only(page, live_site):
    """j/k move between rows, p publishes, r goes to the reason and Enter
    rejects; the shortcuts are documented on the page and act only inside a row."""
    from participation.models import Comment, ConsultationPage, State
    from participation.services import comments

    first = "Des bancs le long de la promenade, au clavier."
    second = "Un message hors sujet, refusé au clavier."

    def post_pending():
        from accounts.models import User

        camille = User.objects.get(email="citoyenne@demo.tribune.test")
        consultation = ConsultationPage.objects.get(slug=SLUG)
        return [
            comments.post_comment(author=camille, consultation=consultation, body=text).pk
            for text in (first, second)
        ]

    published_id, rejected_id = live_site.run(post_pending)
    live_site.admin_login(page, MODERATION, demo.DEMO_PASSWORD, demo.DEMO_TOTP_SECRET)
    page.goto(live_site.url("/admin/moderation/"))
    assert_no_axe_violations(page)
    shortcuts_help = page.locator("#moderation-shortcuts")
    expect(shortcuts_help.get_by_text("Raccourcis clavier", exact=True)).to_be_visible()

    # A key typed outside the rows does nothing.
    page.get_by_label("Rechercher dans le texte").press("p")
    expect(page.get_by_label("Rechercher dans le texte")).to_have_value("p")
    page.get_by_label("Rechercher dans le texte").fill("")

    def focused_row_text():
        return page.evaluate(
            "document.activeElement.closest('li.moderation__row')?.textContent || ''"
        )

    def tab_into_the_rows():
        for _press in range(80):
            page.keyboard.press("Tab")
            if focused_row_text():
                return
        raise AssertionError("la file n’a jamais reçu le focus au clavier")

    def go_to(text):
        for key in ("j", "k"):
            for _press in range(40):
                if text in focused_row_text():
                    return
                page.keyboard.press(key)
        raise AssertionError(f"ligne introuvable au clavier : {text}")

    tab_into_the_rows()
    go_to(first)
    page.keyboard.press("p")
    expect(page.get_by_text("Commentaire publié.")).to_be_visible()

    # Back from the server, focus is in the list again: no need to tab back in.
    page.wait_for_function("document.activeElement.closest('li.moderation__row') !== null")
    go_to(second)
    page.keyboard.press("r")
    reason = row(page, second).get_by_label("Motif (charte de modération)")
    expect(reason).to_be_focused()
    page.keyboard.type("Hors")
    expect(reason).to_have_value("off_topic")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Commentaire refusé")).to_be_visible()

    page.wait_for_function("document.activeElement.closest('li.moderation__row') !== null")
    page.keyboard.press("?")
    expect(shortcuts_help).to_have_attribute("open", "")
    expect(shortcuts_help.get_by_text("publier", exact=True)).to_be_visible()
    expect(page.locator("#keyboard-shortcuts-dialog")).to_be_hidden()  # not Wagtail's list
    page.keyboard.press("Escape")
    expect(shortcuts_help).not_to_have_attribute("open", "")
    # Wagtail's messages fade in: measured mid-fade, their contrast is too low.
    expect(page.locator(".messages > ul")).to_have_css("opacity", "1")
    assert_no_axe_violations(page)

    states = live_site.run(
        lambda: dict(
            Comment.objects.filter(pk__in=[published_id, rejected_id]).values_list("pk", "state")
        )
    )
    assert states == {published_id: State.PUBLISHED, rejected_id: State.REJECTED}


def test_official_answer_bans_and_alerts_screens_work_and_pass_axe(page, browser, live_site):
    """The moderator answers officially from the admin, lifts a ban after the
    confirmation page and marks the alerts seen; axe-core is clean on each screen."""
    from accounts.models import User
    from participation.models import Ban, Comment, ModerationAlert, State
    from participation.services import moderation

    def prepare():
        moderator = User.objects.get(email=MODERATION)
        camille = User.objects.get(email=demo.CAMILLE)
        comment = Comment.objects.filter(
            state=State.PUBLISHED, depth=0, consultation__slug="plan-velo-2027"
        ).first()
        moderation.ban(moderator=moderator, user=camille, reason="Insultes répétées.", days=7)
        return comment.pk

    def official_answers():
        return Comment.objects.filter(parent_id=comment_id, is_official=True).count()

    comment_id = live_site.run(prepare)
    answers_before = live_site.run(official_answers)
    live_site.admin_login(page, MODERATION, demo.DEMO_PASSWORD, demo.DEMO_TOTP_SECRET)

    page.goto(live_site.url(f"/admin/moderation/commentaires/{comment_id}/repondre/"))
    assert_no_axe_violations(page)
    page.get_by_role("textbox").fill("La Ville étudie cette proposition pour le budget 2027.")
    page.get_by_role("button", name="Publier la réponse officielle").click()
    expect(page.get_by_text("Réponse officielle publiée sous le commentaire.")).to_be_visible()
    assert live_site.run(official_answers) == answers_before + 1

    page.goto(live_site.url("/admin/moderation/bannissements/"))
    assert_no_axe_violations(page)
    page.get_by_role("link", name=re.compile("Lever le bannissement.*Camille")).click()
    expect(page.get_by_role("button", name="Oui, lever le bannissement")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Oui, lever le bannissement").click()
    assert (
        live_site.run(lambda: Ban.objects.active().filter(user__email=demo.CAMILLE).exists())
        is False
    )

    page.goto(live_site.url("/admin/moderation/alertes/"))
    assert_no_axe_violations(page)
    # A citizen's comment on the watch list is announced on the open panel, live.
    expect(page.locator("[data-moderation-alerts]")).to_have_attribute("data-live", "connected")
    citizen = browser.new_context(locale="fr-FR")
    citizen_page = citizen.new_page()
    live_site.login(citizen_page, KARIM, demo.DEMO_PASSWORD)
    citizen_page.goto(live_site.url("/consultations/plan-velo-2027/"))
    citizen_page.get_by_label("Votre commentaire", exact=True).fill(
        "C’est une urgence, ce carrefour."
    )
    citizen_page.get_by_role("button", name="Publier", exact=True).click()
    citizen.close()
    expect(page.locator("#alerts-incoming")).to_have_text(
        "De nouvelles alertes sont arrivées : rafraîchissez la liste pour les voir."
    )
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Rafraîchir la liste").click()
    expect(page.locator("#alerts-incoming")).to_have_text("")
    expect(page.locator(".moderation-alert", has_text="urgence").first).to_be_visible()
    if page.get_by_role("button", name="Tout marquer comme vu").count():
        page.get_by_role("button", name="Tout marquer comme vu").click()
        expect(page.locator(".messages > ul")).to_have_css("opacity", "1")
        assert_no_axe_violations(page)
    assert live_site.run(lambda: ModerationAlert.objects.filter(seen_at=None).count()) == 0
