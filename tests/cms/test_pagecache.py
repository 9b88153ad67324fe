"""Anonymous pages built once and served from the cache (cms.pagecache): never mixed
between people, rebuilt when what they show changes, counted as visits."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from participation.models import PageVisits
from participation.services import comments, visits
from tests import factories
from tests.clients import BROWSER, Client

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def consultation(consultation_index):
    return factories.consultation(consultation_index, title="Plan vélo")


def load(client, url):
    response = client.get(url, HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 200
    return response


def test_the_second_anonymous_load_is_served_from_the_cache_in_two_queries_at_most(
    consultation,
):
    reader = Client()
    first = load(reader, consultation.url)
    assert first["X-Page-Cache"] == "miss"
    with CaptureQueriesContext(connection) as queries:
        second = load(Client(), consultation.url)
    assert second["X-Page-Cache"] == "hit"
    assert len(queries) <= 2, [query["sql"] for query in queries]
    assert "Plan vélo" in second.content.decode()


def test_signed_in_people_and_an_anonymous_reader_each_see_only_theirs(
    users, consultation, home, consultation_index
):
    alice = factories.UserFactory(display_name="Alice Martin")
    bruno = factories.UserFactory(display_name="Bruno Petit")
    readers = {"alice": Client(), "bruno": Client(), "anonymous": Client()}
    readers["alice"].force_login(alice)
    readers["bruno"].force_login(bruno)
    for _ in range(2):  # the second round finds the anonymous pages kept
        for url in (home.url, consultation_index.url, consultation.url):
            for name, reader in readers.items():
                html = load(reader, url).content.decode()
                assert ("Alice Martin" in html) is (name == "alice"), (name, url)
                assert ("Bruno Petit" in html) is (name == "bruno"), (name, url)
                assert ("Se connecter" in html) is (name == "anonymous"), (name, url)
    # Signed-in pages are never served from the cache nor kept in it.
    assert "X-Page-Cache" not in load(readers["alice"], consultation.url)
    assert load(readers["anonymous"], consultation.url)["X-Page-Cache"] == "hit"


def test_a_kept_page_carries_each_reader_s_own_csrf_token_and_nonce(consultation):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    built = load(first, consultation.url)
    kept = load(second, consultation.url)
    assert kept["X-Page-Cache"] == "hit"
    html = kept.content.decode()
    assert "tribune-page-cache" not in html and "tribune-page-cache" not in built.content.decode()
    assert TOKEN.findall(built.content.decode())[0] != TOKEN.findall(html)[0]
    # The script nonce is this response's, the one its CSP header allows.
    nonce = re.search(r'nonce="([^"]+)"', html).group(1)
    assert f"'nonce-{nonce}'" in kept["Content-Security-Policy"]
    # The token in the kept page works for its reader: the language switch goes through.
    switched = second.post(
        "/i18n/setlang/",
        {"csrfmiddlewaretoken": TOKEN.findall(html)[0], "language": "en", "next": "/"},
    )
    assert switched.status_code == 302


def test_a_new_comment_shows_on_the_next_anonymous_load(
    users, consultation, django_capture_on_commit_callbacks
):
    reader = Client()
    load(reader, consultation.url)
    assert load(reader, consultation.url)["X-Page-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        comments.post_comment(
            author=users["citizen"], consultation=consultation, body="Des arceaux au marché."
        )
    after = load(reader, consultation.url)
    assert after["X-Page-Cache"] == "miss"
    assert "Des arceaux au marché." in after.content.decode()


def test_a_published_page_shows_on_the_kept_list_at_once(consultation_index, consultation):
    reader = Client()
    load(reader, consultation_index.url)
    assert load(reader, consultation_index.url)["X-Page-Cache"] == "hit"
    factories.consultation(consultation_index, title="Nouvelle médiathèque")
    html = load(reader, consultation_index.url).content.decode()
    assert "Nouvelle médiathèque" in html


def test_visits_of_kept_pages_are_counted(consultation, settings):
    settings.TRIBUNE_VISITS_FLUSH_SECONDS = 3600
    for _ in range(3):
        load(Client(), consultation.url)
    visits.flush()
    assert (
        sum(PageVisits.objects.filter(page_id=consultation.pk).values_list("count", flat=True)) == 3
    )


def test_query_strings_and_pending_messages_are_not_served_from_the_cache(consultation):
    reader = Client()
    load(reader, consultation.url)
    assert "X-Page-Cache" not in load(reader, consultation.url + "?ordre=anciens")
    reader.cookies["messages"] = "quelque-chose"
    assert "X-Page-Cache" not in load(reader, consultation.url)


def test_a_visitor_who_chose_cookies_gets_a_page_without_the_banner(consultation):
    anonymous = Client()
    html = load(anonymous, consultation.url).content.decode()
    assert 'id="cookie-banner"' in html
    anonymous.post("/cookies/", {"choice": "refuse_all", "next": consultation.url})
    chosen = load(anonymous, consultation.url).content.decode()
    assert 'class="cookie-banner"' not in chosen
    # And a newcomer still gets the banner.
    assert 'class="cookie-banner"' in load(Client(), consultation.url).content.decode()
