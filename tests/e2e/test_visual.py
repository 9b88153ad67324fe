"""What people see, in Chromium at 1280 and 320 px.

Every run writes a full-page screenshot of each key page to var/screenshots/
(`<page>-<width>.png`, README « Voir les pages »), so a person can look at them; the
tests assert on computed styles what must hold whatever the details of the look: the
comment header's parts stand apart, a pressed « Soutenir » looks pressed, the footer
and the cookie banner have their backgrounds, nothing scrolls sideways at 320 px.
axe-core runs on every page shot.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from participation import demo
from tests.e2e.conftest import assert_no_axe_violations

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WIDTHS = [1280, 320]
BIKE_PLAN = "/consultations/plan-velo-2027/"
IDEAS = "/consultations/boite-a-idees/"
CITIZEN = "citoyenne@demo.tribune.test"
SURFACE = "rgb(245, 245, 242)"  # --surface: the footer's and the cookie banner's background
LONG_URL = "https://www.demo.exemple/" + "plan-velo/" * 12 + "carte-des-itineraires-cyclables"


@pytest.fixture
def open_page(browser):
    """A new browser window of the given size (and cookies); JavaScript errors fail the
    test, as with the `page` fixture."""
    opened = []

    def make(width, *, height=900, storage_state=None):
        context = browser.new_context(
            locale="fr-FR",
            viewport={"width": width, "height": height},
            storage_state=storage_state,
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "console",
            lambda message: (
                errors.append(message.text)
                if message.type == "error" and "Failed to load resource" not in message.text
                else None
            ),
        )
        opened.append((context, errors))
        return page

    yield make
    problems = []
    for context, errors in opened:
        problems += errors
        context.close()
    assert not problems, f"erreurs JavaScript dans la page : {problems}"


def look(page, name):
    """Screenshot the page as it is, then check what holds on every page."""
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # The Wagtail admin scrolls inside its own container, which a full-page shot does
    # not unroll: the window is made as tall as the content for the shot.
    content = page.evaluate(
        """() => Math.max(document.documentElement.scrollHeight,
             ...[...document.querySelectorAll('body *')]
               .filter(e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowY)
                            && e.scrollHeight > e.clientHeight)
               .map(e => e.scrollHeight + e.getBoundingClientRect().top))"""
    )
    if content > height:
        page.set_viewport_size({"width": width, "height": min(int(content), 12_000)})
    page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": width, "height": height})
    if width <= 320:
        assert_no_horizontal_scroll(page)
    assert_no_axe_violations(page)


def assert_no_horizontal_scroll(page):
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    culprits = page.evaluate(
        """() => {
          const limit = document.documentElement.clientWidth;
          return [...document.body.querySelectorAll('*')]
            .filter(e => e.getBoundingClientRect().right > limit + 1)
            .filter(e => !e.parentElement.closest('.table-scroll, .tribune-table-wrap'))
            .slice(0, 6)
            .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                      + (e.classList.length ? '.' + [...e.classList].join('.') : ''));
        }"""
    )
    assert overflow <= 0, f"{page.url} défile de {overflow} px sur le côté à cause de {culprits}"


def background(page, selector) -> str:
    return page.eval_on_selector(selector, "e => getComputedStyle(e).backgroundColor")


def comment_header_layout(page) -> dict:
    """Across every comment header: the most parts one has, and the narrowest space
    between two parts side by side on one line."""
    return page.evaluate(
        """() => {
          let parts = 0;
          const gaps = [];
          for (const header of document.querySelectorAll('.comment__header')) {
            const boxes = [...header.children].map(c => c.getBoundingClientRect())
              .filter(b => b.width > 0);
            parts = Math.max(parts, boxes.length);
            for (let i = 1; i < boxes.length; i++) {
              const [a, b] = [boxes[i - 1], boxes[i]];
              if (b.top < a.bottom && a.top < b.bottom) gaps.push(Math.round(b.left - a.right));
            }
          }
          return {
            parts, gaps,
            list: getComputedStyle(document.querySelector('ol.comments')).listStyleType,
          };
        }"""
    )


def support_look(button) -> dict:
    return button.evaluate(
        """e => {
          const style = getComputedStyle(e), mark = getComputedStyle(e, '::before');
          return {background: style.backgroundColor, color: style.color, mark: mark.content};
        }"""
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_what_a_visitor_sees(open_page, live_site, width):
    page = open_page(width)

    page.goto(live_site.url("/"))
    banner = page.locator("#cookie-banner")
    expect(banner).to_be_visible()
    assert background(page, "#cookie-banner") == SURFACE
    assert background(page, ".site-footer") == SURFACE
    # The banner comes first in the page, but the outline of headings opens with the h1.
    assert page.evaluate("document.querySelector('h1, h2, h3, h4, h5, h6').tagName") == "H1"
    # The footer says the accessibility status once, linked to the statement.
    footer = page.locator(".site-footer")
    expect(footer.get_by_text(re.compile("Accessibilité"))).to_have_count(1)
    expect(footer.get_by_role("link", name="non conforme")).to_be_visible()
    look(page, "accueil")

    page.goto(live_site.url("/consultations/"))
    look(page, "consultations")

    page.goto(live_site.url(BIKE_PLAN))
    layout = comment_header_layout(page)
    assert layout["parts"] >= 3, layout  # author, position, date
    assert layout["gaps"] and min(layout["gaps"]) >= 8, f"parties collées : {layout}"
    assert layout["list"] == "none", "les commentaires ne sont pas une liste numérotée"
    expect(page.locator(".poll").first).to_be_visible()
    look(page, "consultation")

    page.goto(live_site.url("/compte/inscription/"))
    expect(page.locator(".form .required-mark").first).to_be_visible()
    look(page, "inscription")

    # The choice made, focus lands on the short confirmation that replaces the banner.
    page.get_by_role("button", name="Tout refuser").click()
    expect(banner).to_contain_text("Vos choix sur les cookies sont enregistrés.")
    expect(banner).to_be_focused()
    expect(banner).to_be_visible()


def test_on_a_phone_the_first_screen_shows_the_pages_title(open_page, live_site):
    # A small phone (320 × 640): cookie banner and header leave room for the title.
    page = open_page(320, height=640)
    page.goto(live_site.url("/"))
    expect(page.locator("#cookie-banner")).to_be_visible()
    top = page.locator("h1").evaluate("e => e.getBoundingClientRect().top")
    assert top < 640 - 30, f"le titre de la page commence à {top} px, sous le premier écran"


@pytest.mark.parametrize("width", WIDTHS)
def test_what_a_signed_in_citizen_sees(open_page, live_site, width):
    page = open_page(width)
    live_site.login(page, CITIZEN, demo.DEMO_PASSWORD)
    # Oldest first: the demo's comments, some of which Camille supports, whatever the
    # browser tests before this one have posted since.
    page.goto(live_site.url(BIKE_PLAN + "?tri=anciens"))

    pressed = page.locator('.button--support[aria-pressed="true"]').first
    unpressed = page.locator('.button--support[aria-pressed="false"]').first
    expect(pressed).to_be_visible()
    on, off = support_look(pressed), support_look(unpressed)
    assert on["background"] != off["background"] and on["color"] != off["color"], (on, off)
    assert "✓" in on["mark"] and "✓" not in off["mark"], (on, off)
    look(page, "consultation-connectee")

    # Toggling keeps focus on the button, which changes state in place.
    button = page.locator("#" + unpressed.get_attribute("id"))
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button).to_be_focused()
    button.press("Enter")
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(button).to_be_focused()

    page.goto(live_site.url("/mes-donnees/"))
    region = page.get_by_role("region", name="Vos données, par type")
    expect(region).to_be_visible()
    if width <= 320:
        # The table scrolls inside its own region; the page does not.
        assert region.evaluate("e => e.scrollWidth > e.clientWidth")
        assert region.get_attribute("tabindex") == "0"
    look(page, "mes-donnees")


def test_a_long_address_in_a_comment_wraps_on_a_phone(open_page, live_site):
    page = open_page(320)
    live_site.login(page, CITIZEN, demo.DEMO_PASSWORD)
    page.goto(live_site.url(IDEAS))
    page.get_by_label("Votre commentaire", exact=True).fill(f"Le détail est ici : {LONG_URL}")
    page.get_by_role("button", name="Publier", exact=True).click()
    link = page.locator("article.comment__card", has_text="Le détail est ici").get_by_role(
        "link", name=LONG_URL
    )
    expect(link).to_be_visible()
    card = link.locator("xpath=ancestor::article[1]")
    assert link.evaluate("e => e.getBoundingClientRect().right") <= card.evaluate(
        "e => e.getBoundingClientRect().right"
    )
    assert_no_horizontal_scroll(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_what_the_team_sees_in_the_admin(open_page, live_site, admin_storage_state, width):
    page = open_page(width, storage_state=admin_storage_state)

    page.goto(live_site.url("/admin/moderation/?file=tout"))
    expect(page.locator("h1")).to_contain_text("Modération")
    note = page.locator("#bulk-note")
    edge = note.evaluate(
        "e => { const s = getComputedStyle(e); return [s.borderTopStyle, s.borderTopWidth]; }"
    )
    assert edge[0] != "none" and edge[1] != "0px", f"champ de note sans bordure : {edge}"
    answer = page.locator("details.moderation__answer > summary").first
    expect(answer).to_be_visible()
    marker = answer.evaluate("e => getComputedStyle(e, '::before').content")
    assert "▸" in marker, marker
    look(page, "admin-moderation")

    page.goto(live_site.url("/admin/participation/"))
    expect(page.locator("h1")).to_contain_text("Participation")
    expect(page.get_by_role("list", name="Chiffres clés")).to_be_visible()
    look(page, "admin-tableau-de-bord")
