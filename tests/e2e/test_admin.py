"""The communication team works in the Wagtail admin, in French, under its CSP."""

import re

from playwright.sync_api import expect

from participation import demo


def test_communication_team_opens_the_consultation_editor(page, live_site):
    # The admin asks for the second factor after the password.
    live_site.admin_login(
        page, "communication@demo.tribune.test", demo.DEMO_PASSWORD, demo.DEMO_TOTP_SECRET
    )
    expect(page).to_have_url(re.compile(r"/admin/$"))

    page.goto(live_site.url("/admin/pages/search/?q=v%C3%A9lo"))
    page.get_by_role("link", name="Plan vélo 2027", exact=False).first.click()
    expect(page.get_by_role("tab", name="Participation")).to_be_visible()
    page.get_by_role("tab", name="Participation").click()
    expect(page.get_by_label("Ouvre le")).to_be_visible()
    # The page fixture fails the test on any JavaScript or CSP error.
