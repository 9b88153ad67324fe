"""Moderation in Chromium (issue 5): a citizen posts under a priori moderation and sees
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
