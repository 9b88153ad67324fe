"""The cookie banner and « Gestion des cookies », through Django's test client.

The same behaviours are checked in Chromium in tests/e2e/test_privacy.py."""

import re
import time

import pytest
import time_machine
from cookie_consent.models import Cookie, CookieGroup
from django.conf import settings
from django.utils import timezone

from consent.models import AudienceDay, ConsentRecord, Decision, Purpose
from consent.services import cookies

pytestmark = pytest.mark.usefixtures("defaults", "site_tree")

NECESSARY = {"sessionid", "csrftoken", "django_language", "cookie_consent"}
AUDIENCE = settings.TRIBUNE_AUDIENCE_COOKIE


def set_cookie_names(response):
    return {name for name, morsel in response.cookies.items() if morsel.value}


def deleted_cookie_names(response):
    return {name for name, morsel in response.cookies.items() if not morsel.value}


def test_first_visit_shows_the_banner_with_three_equal_choices(client):
    html = client.get("/").content.decode()
    assert "Cookies sur ce site" in html
    banner = html[
        html.index('id="cookie-banner"') : html.index(
            "</section>", html.index('id="cookie-banner"')
        )
    ]
    buttons = re.findall(r'<(?:button|a) [^>]*class="button"[^>]*>([^<]+)<', banner)
    assert buttons == ["Tout accepter", "Tout refuser", "Personnaliser"]
    assert "Fermer (refuser)" in banner
    # Compatible with the strict CSP: nothing inline without the nonce.
    assert "<script" not in banner and "style=" not in banner


def test_nothing_optional_is_set_before_a_choice(client):
    for path in ("/", "/cookies/", "/donnees-personnelles/", "/conditions-utilisation/"):
        response = client.get(path)
        assert set_cookie_names(response) <= NECESSARY, path
    assert AUDIENCE not in client.cookies
    assert not AudienceDay.objects.exists()


def test_accepting_all_records_the_choice_and_then_sets_the_audience_cookie(client):
    response = client.post("/cookies/", {"choice": "accept_all", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert "cookie_consent" in set_cookie_names(response)
    assert AUDIENCE not in set_cookie_names(response)  # only on a page, after consent
    record = ConsentRecord.objects.get()
    assert (record.purpose, record.decision, record.user) == (
        Purpose.AUDIENCE_COOKIES,
        Decision.GRANTED,
        None,
    )
    assert len(record.subject) == 64 and record.ended_at > timezone.now()

    page = client.get("/")
    assert "Cookies sur ce site" not in page.content.decode()
    assert page.cookies[AUDIENCE].value == timezone.localdate().isoformat()
    day = AudienceDay.objects.get()
    assert (day.new_visitors, day.returning_visitors) == (1, 0)
    client.get("/")  # the same day: counted once
    assert AudienceDay.objects.get().new_visitors == 1


def test_a_returning_visitor_is_counted_as_such_the_next_day(client):
    client.post("/cookies/", {"choice": "accept_all"})
    client.get("/")
    with time_machine.travel(timezone.now() + timezone.timedelta(days=1)):
        client.get("/")
    days = {day.day: day for day in AudienceDay.objects.all()}
    assert [d.returning_visitors for d in sorted(days.values(), key=lambda d: d.day)] == [0, 1]


def test_refusing_records_it_and_removes_the_audience_cookie(client):
    client.post("/cookies/", {"choice": "accept_all"})
    client.get("/")
    assert AUDIENCE in client.cookies and client.cookies[AUDIENCE].value

    response = client.post("/cookies/", {"choice": "refuse_all", "next": "/"})
    assert AUDIENCE in deleted_cookie_names(response)
    decisions = list(
        ConsentRecord.objects.order_by("created_at", "pk").values_list("decision", flat=True)
    )
    assert decisions == [Decision.GRANTED, Decision.WITHDRAWN]
    page = client.get("/")
    assert AUDIENCE not in set_cookie_names(page)
    assert "Cookies sur ce site" not in page.content.decode()


def test_closing_the_banner_counts_as_refusal(client):
    client.post("/cookies/", {"choice": "close", "next": "/"})
    assert ConsentRecord.objects.get().decision == Decision.REFUSED
    page = client.get("/")
    assert "Cookies sur ce site" not in page.content.decode()
    assert AUDIENCE not in set_cookie_names(page)


def test_customise_page_saves_one_choice_per_group(client):
    page = client.get("/cookies/?next=/")
    html = page.content.decode()
    assert "Gestion des cookies" in html and "Mesure d&#x27;audience" in html
    assert "Nécessaires" in html and "sessionid" in html
    response = client.post("/cookies/", {"audience": "1", "next": "/"})
    assert response.status_code == 302
    assert ConsentRecord.objects.get().decision == Decision.GRANTED


def test_an_invalid_custom_choice_keeps_the_page_and_records_nothing(client):
    response = client.post("/cookies/", {"audience": "peut-être"})
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert not ConsentRecord.objects.exists()


def test_the_in_place_answer_replaces_the_banner(client):
    response = client.post(
        "/cookies/", {"choice": "refuse_all"}, headers={"X-Tribune-Fragment": "1"}
    )
    assert response.status_code == 200
    assert 'id="cookie-banner"' in response.content.decode()
    assert "Vos choix sur les cookies sont enregistrés" in response.content.decode()
    assert "cookie_consent" in set_cookie_names(response)


def test_a_tampered_consent_cookie_counts_as_no_choice(client, caplog):
    client.post("/cookies/", {"choice": "accept_all"})
    client.get("/")
    genuine = client.cookies["cookie_consent"].value
    client.cookies["cookie_consent"] = genuine.replace("audience=", "audience=9")
    page = client.get("/")
    assert "Cookies sur ce site" in page.content.decode()
    assert {"cookie_consent", AUDIENCE} <= deleted_cookie_names(page)
    assert "consent cookie rejected" in caplog.text
    assert genuine not in caplog.text


def test_a_forged_acceptance_without_signature_sets_nothing(client):
    group = CookieGroup.objects.get(varname="audience")
    client.cookies["cookie_consent"] = f"audience={group.get_version()}"
    page = client.get("/")
    assert "Cookies sur ce site" in page.content.decode()
    assert AUDIENCE not in set_cookie_names(page)


def test_the_choice_is_asked_again_after_six_months(client):
    client.post("/cookies/", {"choice": "refuse_all"})
    assert "Cookies sur ce site" not in client.get("/").content.decode()
    with time_machine.travel(timezone.now() + timezone.timedelta(days=181)):
        assert "Cookies sur ce site" not in client.get("/").content.decode()
    with time_machine.travel(timezone.now() + timezone.timedelta(days=183)):
        assert "Cookies sur ce site" in client.get("/").content.decode()


def test_the_choice_is_asked_again_when_a_group_changes(client):
    client.post("/cookies/", {"choice": "accept_all"})
    assert "Cookies sur ce site" not in client.get("/").content.decode()
    time.sleep(0.01)  # the group's version is the date of its newest cookie
    Cookie.objects.create(
        cookiegroup=CookieGroup.objects.get(varname="audience"),
        name="tribune_parcours",
        description="Un nouveau cookie de mesure.",
    )
    assert "Cookies sur ce site" in client.get("/").content.decode()


def test_cookie_signature_rejects_changes_and_old_cookies():
    value = cookies.sign({"audience": "-1", "cid": "abc", "at": str(int(time.time()))})
    assert cookies.read(value)["audience"] == "-1"
    assert cookies.read(value.replace("-1", "x")) is None
    old = cookies.sign({"audience": "-1", "cid": "abc", "at": "1000"})
    assert cookies.read(old) is None


def test_the_footer_links_to_cookie_settings_on_every_page(client):
    html = client.get("/").content.decode()
    assert "Gestion des cookies" in html and 'href="/cookies/?next=/"' in html


def test_health_still_answers_json_when_cookie_groups_cannot_be_read(client, monkeypatch):
    from django.core.cache import caches
    from django.db import OperationalError

    def outage():
        raise OperationalError("base injoignable")

    caches["cookie_consent"].clear()
    monkeypatch.setattr("cookie_consent.cache._get_cookie_groups_from_db", outage)
    response = client.get("/health/")
    assert response["Content-Type"] == "application/json"


def test_consent_costs_no_query_per_page(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get("/")  # warm the caches (site, cookie groups)
    with CaptureQueriesContext(connection) as before:
        client.get("/")
    client.post("/cookies/", {"choice": "accept_all"})
    client.get("/")  # first page of the day: counted once (and the message shown)
    client.get("/")  # the page without the banner, built for the anonymous page cache
    with CaptureQueriesContext(connection) as after:
        client.get("/")
    assert len(after) == len(before)
