"""Live updates in Chromium with two people on the same consultation: what one does
shows up in the other's page without a reload, while the other's half-written comment
stays where it is, as it is. axe-core checks the page after the live insertions."""

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import assert_no_axe_violations
from tests.e2e.test_visual import SCREENSHOTS

BIKE_PLAN = "/consultations/plan-velo-2027/"
DRAFT = "Je rédige tranquillement mon avis sur les pistes…"


def new_person():
    from django.db import transaction

    with transaction.atomic():
        user = factories.UserFactory()
    return user.email, user.display_name


def hide_comment(text):
    """A moderator hides a comment (the moderation services call the same
    state change and broadcast)."""
    from django.db import transaction

    from participation import events
    from participation.models import Comment, State
    from participation.services.comments import move_to_state

    comment = Comment.objects.get(body=text)
    with transaction.atomic():
        move_to_state(comment, State.HIDDEN)
        found = events.comment_state_changed(comment, was_published=True)
        transaction.on_commit(lambda: events.publish_all(found))


@pytest.fixture
def second_page(browser):
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"erreurs JavaScript dans la page : {errors}"


def card(page, text):
    return page.locator("article.comment__card", has_text=text).first


def connected(page):
    # The page's catch-up after the socket opened is a sign the socket is up; waiting
    # for it keeps the test from acting before the reader listens.
    page.wait_for_function("() => !!document.getElementById('live')")
    page.wait_for_timeout(800)


def test_what_one_person_does_shows_up_in_the_others_page(page, second_page, live_site):
    actor_email, _actor_name = live_site.run(new_person)
    reader_email, _reader_name = live_site.run(new_person)
    live_site.login(page, actor_email, factories.PASSWORD)
    live_site.login(second_page, reader_email, factories.PASSWORD)
    page.goto(live_site.url(BIKE_PLAN))
    reader = second_page
    reader.goto(live_site.url(BIKE_PLAN))
    reader.evaluate("window.__sameDocument = true")  # survives only if nothing reloads
    box = reader.get_by_label("Votre commentaire", exact=True)
    box.fill(DRAFT)
    connected(reader)

    # A new top-level comment: a button, announced politely; nothing moves.
    page.get_by_label("Votre commentaire", exact=True).fill("Un message en direct.")
    page.get_by_role("button", name="Publier", exact=True).click()
    expect(card(page, "Un message en direct.")).to_be_visible()
    show = reader.get_by_role("button", name="1 nouveau commentaire — afficher")
    expect(show).to_be_visible()
    expect(reader.locator("#live-region")).to_have_text(
        "1 nouveau commentaire est disponible au-dessus de la liste."
    )
    expect(box).to_be_focused()
    expect(box).to_have_value(DRAFT)
    expect(reader.get_by_text("Un message en direct.")).to_have_count(0)
    show.click()
    posted = card(reader, "Un message en direct.")
    expect(posted).to_be_visible()
    expect(reader.locator("#comment-list > li").first).to_contain_text("Un message en direct.")
    # Rendered for this reader: they may support it and reply to it.
    expect(posted.get_by_role("button", name=re.compile("^Soutenir"))).to_be_visible()
    box.click()

    # A reply lands under its parent.
    theirs = card(page, "Un message en direct.")
    theirs.get_by_role("link", name=re.compile("^Répondre")).click()
    theirs.get_by_label(re.compile("^Votre réponse")).fill("Et une réponse, en direct aussi.")
    theirs.get_by_role("button", name="Publier la réponse").click()
    expect(card(page, "Et une réponse, en direct aussi.")).to_be_visible()
    parent_item = reader.locator("li.comment", has=posted).first
    expect(
        parent_item.locator("article", has_text="Et une réponse, en direct aussi.")
    ).to_be_visible()
    # Announced like new comments, politely, without moving focus.
    expect(reader.locator("#live-region")).to_have_text(
        "1 nouvelle réponse est arrivée sous un commentaire."
    )
    expect(box).to_be_focused()

    # A support changes the count.
    shop = card(reader, "Je tiens un commerce")
    count = shop.locator(".support-count")
    before = int(count.inner_text())
    card(page, "Je tiens un commerce").get_by_role("button", name=re.compile("^Soutenir")).click()
    expect(count).to_have_text(str(before + 1))

    # A vote changes the number of participants.
    reader_poll = reader.get_by_role("region", name="Vos trajets à vélo")
    figure = reader_poll.locator(".poll__participants").first
    participants = int(figure.inner_text().split()[0])
    poll = page.get_by_role("region", name="Vos trajets à vélo")
    poll.get_by_label("Une ou plusieurs fois par semaine").check()
    poll.get_by_label("Des pistes séparées des voitures").check()
    poll.get_by_role("button", name="Voter").click()
    expect(poll.get_by_text("Vous avez voté à ce sondage")).to_be_visible()
    expect(figure).to_have_text(f"{participants + 1} participant·es")

    # A moderator hides the comment: its placeholder replaces it (its reply stays).
    parent_item = reader.locator("#" + parent_item.get_attribute("id"))
    live_site.run(hide_comment, "Un message en direct.")
    expect(reader.get_by_text("Un message en direct.")).to_have_count(0)
    expect(parent_item.locator(".comment__placeholder")).to_have_text(
        "Commentaire masqué par la modération"
    )
    expect(card(reader, "Et une réponse, en direct aussi.")).to_be_visible()

    # Through all this, the draft stayed as it was, and the page never reloaded.
    expect(box).to_have_value(DRAFT)
    assert reader.evaluate("window.__sameDocument") is True
    assert_no_axe_violations(reader)


# --- Render once, deliver to all --------------------------------------------------------


def post_from_elsewhere(email, text):
    """The person posts from another device: their open page learns of it only through
    the live frame, like everyone else's."""
    from accounts.models import User
    from participation.models import ConsultationPage
    from participation.services import comments

    return comments.post_comment(
        author=User.objects.get(email=email),
        consultation=ConsultationPage.objects.get(slug="plan-velo-2027"),
        body=text,
    ).pk


def banned_person():
    from django.db import transaction

    from accounts import roles
    from participation.services import moderation

    with transaction.atomic():
        user = factories.UserFactory()
        moderator = factories.UserFactory(role=roles.MODERATORS, is_staff=True)
        moderation.ban(moderator=moderator, user=user, reason="Insultes répétées.", days=7)
    return user.email


def counting_requests(page) -> list:
    """Every HTTP request the page sends from now on (the WebSocket's frames are not
    requests; its ping is a frame)."""
    sent = []
    page.on("request", lambda request: sent.append(f"{request.method} {request.url}"))
    return sent


def test_a_live_comment_costs_readers_no_request_and_each_sees_their_own_tools(
    browser, page, second_page, live_site
):
    author_email, _name = live_site.run(new_person)
    reader_email, _name = live_site.run(new_person)
    banned_email = live_site.run(banned_person)
    live_site.login(page, author_email, factories.PASSWORD)
    live_site.login(second_page, reader_email, factories.PASSWORD)
    visitor_context = browser.new_context(locale="fr-FR")
    visitor = visitor_context.new_page()
    banned_context = browser.new_context(locale="fr-FR")
    banned = banned_context.new_page()
    live_site.login(banned, banned_email, factories.PASSWORD)
    pages = {"author": page, "reader": second_page, "visitor": visitor, "banned": banned}
    for each in pages.values():
        # The catch-up the page sends once its socket is open (what happened between
        # rendering and connecting): after it, the page only listens.
        with each.expect_response(lambda response: "/direct/?after=" in response.url):
            each.goto(live_site.url(BIKE_PLAN))
    requests = {who: counting_requests(each) for who, each in pages.items()}

    text = "Publié depuis mon téléphone, en direct."
    live_site.run(post_from_elsewhere, author_email, text)
    for each in pages.values():
        each.get_by_role("button", name="1 nouveau commentaire — afficher").click()
        expect(card(each, text)).to_be_visible()
    # Shown on four pages, and not one of them asked the server for anything.
    assert requests == {who: [] for who in pages}, requests

    mine = card(page, text)
    # The author's own tools, within the edit window; no support or report of oneself.
    expect(mine.get_by_text("Modifier", exact=True)).to_be_visible()
    expect(mine.get_by_text("Supprimer", exact=True)).to_be_visible()
    expect(mine.get_by_role("button", name=re.compile("^Soutenir"))).to_have_count(0)
    expect(mine.get_by_role("link", name=re.compile("^Signaler"))).to_have_count(0)
    expect(mine.get_by_role("link", name=re.compile("^Répondre"))).to_be_visible()
    # Another reader: support, reply, report; none of the author's tools.
    theirs = card(second_page, text)
    expect(theirs.get_by_text("Modifier", exact=True)).to_have_count(0)
    expect(theirs.get_by_text("Supprimer", exact=True)).to_have_count(0)
    support = theirs.get_by_role("button", name=re.compile("^Soutenir"))
    expect(support).to_have_attribute("aria-pressed", "false")
    expect(theirs.get_by_role("link", name=re.compile("^Répondre"))).to_be_visible()
    expect(theirs.get_by_role("link", name=re.compile("^Signaler"))).to_be_visible()
    # A banned person and a visitor: no reply, no support button, no tools.
    for who in ("banned", "visitor"):
        seen = card(pages[who], text)
        expect(seen.get_by_role("link", name=re.compile("^Répondre"))).to_have_count(0)
        expect(seen.get_by_role("button")).to_have_count(0)
        expect(seen.get_by_role("link", name=re.compile("^Signaler"))).to_have_count(0)
        expect(seen.get_by_text("Modifier", exact=True)).to_have_count(0)
    expect(pages["banned"].locator("#reply-form, form[action$='repondre/']")).to_have_count(0)

    # « Vous soutenez »: pressed for the one who supports, a count for everyone else.
    support.click()
    expect(support).to_have_attribute("aria-pressed", "true")
    expect(card(page, text).locator(".comment__supports")).to_have_text("1 soutien")
    expect(card(visitor, text).locator(".comment__supports")).to_have_text("1 soutien")

    # The author's edit form is a real form with this session's token: it saves, and the
    # new text reaches the others through a frame.
    mine.get_by_text("Modifier", exact=True).click()
    mine.get_by_label("Texte de votre commentaire").fill("Corrigé depuis ma page.")
    mine.get_by_role("button", name="Enregistrer la modification").click()
    expect(card(second_page, "Corrigé depuis ma page.")).to_be_visible()
    expect(card(second_page, "Corrigé depuis ma page.").locator(".comment__edited")).to_be_visible()
    assert not [url for url in requests["visitor"] if "/direct/" in url], requests["visitor"]
    assert_no_axe_violations(second_page)
    assert_no_axe_violations(page)
    # To look at: the settled cards, as the author and as another reader, 1280 and 320 px.
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    card(page, "Corrigé depuis ma page.").scroll_into_view_if_needed()
    page.screenshot(path=SCREENSHOTS / "live-comment-author-1280.png")
    second_page.set_viewport_size({"width": 320, "height": 800})
    card(second_page, "Corrigé depuis ma page.").scroll_into_view_if_needed()
    second_page.screenshot(path=SCREENSHOTS / "live-comment-reader-320.png")
    visitor_context.close()
    banned_context.close()


def post_while_broadcasts_fail(email, missed, then):
    """`missed` is saved and journalled while the channel layer is out (its broadcast is
    skipped: the breaker is open), then `then` is broadcast as usual."""
    from cms.breaker import breaker_for
    from participation import events

    breaker = breaker_for(events.BROADCASTS)
    breaker.failed(ConnectionError("Redis stopped for the test"))
    try:
        post_from_elsewhere(email, missed)
    finally:
        breaker.reset()
    post_from_elsewhere(email, then)


def test_a_page_that_missed_a_frame_catches_up_when_the_next_one_arrives(page, live_site):
    author_email, _name = live_site.run(new_person)
    with page.expect_response(lambda response: "/direct/?after=" in response.url):
        page.goto(live_site.url(BIKE_PLAN))
    requests = counting_requests(page)
    live_site.run(post_while_broadcasts_fail, author_email, "Jamais diffusé.", "Diffusé ensuite.")
    show = page.get_by_role("button", name="2 nouveaux commentaires — afficher")
    expect(show).to_be_visible()
    # One request, for the gap: the frame that arrived named a row this page never got.
    assert [url for url in requests if "/direct/" in url] == [requests[0]], requests
    assert len(requests) == 1
    show.click()
    expect(card(page, "Jamais diffusé.")).to_be_visible()
    expect(card(page, "Diffusé ensuite.")).to_be_visible()
