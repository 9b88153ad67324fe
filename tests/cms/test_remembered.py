"""What every public page reads (site, route, settings, menu, view restrictions) is
remembered per process until an editor changes it: a change shows on the very next
page, and a page served from memory costs fewer queries than one routed afresh."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from cms import queries
from cms.models import BrandingSettings
from tests import factories
from tests.clients import BROWSER


def served(client, url):
    response = client.get(url, HTTP_USER_AGENT=BROWSER)
    return response.status_code, response.content.decode()


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, HTTP_USER_AGENT=BROWSER).status_code == 200
    return len(captured)


@pytest.fixture
def page(consultation_index):
    return factories.standard_page(consultation_index, title="Le budget", slug="budget")


def test_a_page_seen_before_is_served_without_walking_the_tree(client, page):
    served(client, page.url)  # creates the site settings, with their defaults
    queries.forget_published()
    afresh = queries_for(client, page.url)
    again = queries_for(client, page.url)
    # Site, root, two levels of the tree and their specific pages, the view restrictions,
    # both site settings and the menu: remembered. The page itself is read every time,
    # plus the stamp of the anonymous page cache; the second load comes from that cache
    # (its stamp only).
    assert (afresh, again) == (13, 1)


def test_a_published_change_shows_on_the_next_page(client, page, consultation_index):
    consultation_index.show_in_menus = True
    consultation_index.save_revision().publish()
    assert "Consultations" in served(client, page.url)[1]

    consultation_index.title = "Toutes les consultations"
    consultation_index.save_revision().publish()
    page.refresh_from_db()
    page.title = "Le budget 2027"
    page.save_revision().publish()

    status, html = served(client, page.url)
    assert status == 200
    assert "Le budget 2027" in html
    assert "Toutes les consultations" in html  # the menu


def test_an_unpublished_page_is_gone_at_once(client, page):
    assert served(client, page.url)[0] == 200
    url = page.url
    page.unpublish()
    assert served(client, url)[0] == 404


def test_a_moved_page_answers_at_its_new_address_only(client, page, site_tree):
    old_url = page.url
    assert served(client, old_url)[0] == 200
    page.move(site_tree["news"], pos="last-child")
    page.refresh_from_db()
    response = client.get(old_url)  # Wagtail's redirect, made by the move
    assert response.status_code == 301 and response["Location"].endswith(page.url)
    assert served(client, page.url)[0] == 200


def test_a_new_view_restriction_applies_at_once(client, page, consultation_index, users):
    assert served(client, page.url)[0] == 200
    restriction = PageViewRestriction.objects.create(
        page=consultation_index, restriction_type=PageViewRestriction.LOGIN
    )
    response = client.get(page.url)
    assert response.status_code == 302 and response["Location"].startswith("/compte/connexion/")
    client.force_login(users["citizen"])
    assert served(client, page.url)[0] == 200

    restriction.restriction_type = PageViewRestriction.GROUPS
    restriction.save()
    restriction.groups.add(users["moderator"].groups.get())
    assert client.get(page.url).status_code == 302  # not a moderator: back to sign-in
    restriction.delete()
    assert served(client, page.url)[0] == 200


def test_saved_settings_show_on_the_next_page(client, page, home):
    assert "Tribune" in served(client, page.url)[1]
    branding = BrandingSettings.for_site(home.get_site())
    branding.site_name = "Parlons Demo-sur-Mer"
    branding.save()
    assert "Parlons Demo-sur-Mer" in served(client, page.url)[1]


def test_a_change_made_by_another_process_is_seen(client, page, home):
    """Another process (the admin's) draws a new version in the shared cache; this one
    has nothing to be told: it reads the version at its next request."""
    assert "Tribune" in served(client, page.url)[1]
    # As another process would have written it: no signal in this one.
    BrandingSettings.objects.filter(site=home.get_site()).update(site_name="Parlons Ailleurs")
    assert "Parlons Ailleurs" not in served(client, page.url)[1]  # remembered here
    caches["published"].set(queries.VERSION_KEY, "drawn-by-another-process", timeout=None)
    assert "Parlons Ailleurs" in served(client, page.url)[1]


def test_a_change_made_by_a_command_reaches_the_serving_process(client, page, home):
    """A real second process, as `publish_scheduled` from cron would be: it shares the
    version through Redis (PostgreSQL + Redis run) or a file under var/ (without)."""
    assert "Tribune" in served(client, page.url)[1]
    BrandingSettings.objects.filter(site=home.get_site()).update(site_name="Parlons Cron")
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from cms import queries; queries.forget_published()",
        ],
        check=True,
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
    )
    assert "Parlons Cron" in served(client, page.url)[1]


def test_a_lost_cache_makes_every_process_forget(client, page, consultation_index):
    consultation_index.show_in_menus = True
    consultation_index.save_revision().publish()
    assert "Consultations" in served(client, page.url)[1]
    type(consultation_index).objects.filter(pk=consultation_index.pk).update(title="Renommé")
    assert "Renommé" not in served(client, page.url)[1]
    caches["published"].clear()  # Redis restarted: the version is gone with the rest
    assert "Renommé" in served(client, page.url)[1]


def test_pages_are_served_while_the_shared_cache_is_down(client, page, settings, caplog):
    unreachable = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there: connection refused
    }
    settings.CACHES = {**settings.CACHES, "published": unreachable}
    status, html = served(client, page.url)
    assert status == 200 and "Le budget" in html
    assert "published version unreadable" in caplog.text
    page.title = "Le budget, corrigé"
    page.save_revision().publish()  # the new version cannot be drawn: logged, not raised
    assert "could not draw a new published version" in caplog.text
    assert "Le budget, corrigé" in served(client, page.url)[1]
