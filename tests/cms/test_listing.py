"""The consultation listing: status and theme filters, pagination, bad query strings."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.clients import BROWSER


@pytest.fixture
def catalogue(consultation_index):
    index = consultation_index
    return {
        "open": factories.consultation(index, title="Pistes cyclables", themes=["Mobilité"]),
        "open_forever": factories.consultation(
            index, title="Boîte à idées", closes_in=None, themes=["Vie de quartier"]
        ),
        "upcoming": factories.consultation(
            index, title="Place du Marché", opens_in=10, closes_in=40, themes=["Urbanisme"]
        ),
        "closed": factories.consultation(
            index, title="Médiathèque", opens_in=-60, closes_in=-5, themes=["Culture"]
        ),
    }


def titles(response):
    return [c.title for c in response.context["listing"].page.object_list]


def test_listing_shows_every_consultation_open_first(client, consultation_index, catalogue):
    response = client.get(consultation_index.url)
    assert response.status_code == 200
    listed = titles(response)
    assert set(listed) == {"Pistes cyclables", "Boîte à idées", "Place du Marché", "Médiathèque"}
    assert listed[-1] == "Médiathèque"  # closed ones come last
    assert listed.index("Place du Marché") > max(
        listed.index("Pistes cyclables"), listed.index("Boîte à idées")
    )
    assert "4 consultations" in response.content.decode()


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("open", {"Pistes cyclables", "Boîte à idées"}),
        ("upcoming", {"Place du Marché"}),
        ("closed", {"Médiathèque"}),
    ],
)
def test_status_filter(client, consultation_index, catalogue, status, expected):
    response = client.get(consultation_index.url, {"status": status})
    assert set(titles(response)) == expected


def test_theme_filter_and_theme_choices(client, consultation_index, catalogue):
    response = client.get(consultation_index.url, {"theme": "mobilite"})
    assert titles(response) == ["Pistes cyclables"]
    html = response.content.decode()
    for theme in ("Mobilité", "Urbanisme", "Culture", "Vie de quartier"):
        assert theme in html


def test_status_and_theme_combine(client, consultation_index, catalogue):
    response = client.get(consultation_index.url, {"status": "closed", "theme": "mobilite"})
    assert titles(response) == []
    assert "Aucune consultation ne correspond à ces filtres." in response.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"status": "bientot"}, "Le statut « bientot » n’existe pas"),
        ({"theme": "inconnu"}, "Le thème « inconnu » n’existe pas"),
        ({"page": "abc"}, "Le numéro de page « abc » n’est pas valide"),
        ({"page": "999"}, "Il n’y a pas de page 999"),
    ],
)
def test_bad_query_strings_get_a_french_message_not_an_error(
    client, consultation_index, catalogue, query, message
):
    response = client.get(consultation_index.url, query)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert len(titles(response)) >= 1


def test_pagination_keeps_filters(client, consultation_index, settings):
    settings.TRIBUNE_CONSULTATIONS_PER_PAGE = 2
    for i in range(5):
        factories.consultation(consultation_index, title=f"Consultation {i}", themes=["Eau"])
    response = client.get(consultation_index.url, {"theme": "eau"})
    html = response.content.decode()
    assert len(titles(response)) == 2
    assert "?theme=eau&amp;page=2" in html
    third = client.get(consultation_index.url, {"theme": "eau", "page": 3})
    assert len(titles(third)) == 1


def test_listing_query_count_does_not_grow_with_consultations(client, consultation_index):
    factories.consultation(consultation_index, title="Première", themes=["A", "B"])
    client.get(
        consultation_index.url, HTTP_USER_AGENT=BROWSER
    )  # warm Wagtail's site and settings caches
    with CaptureQueriesContext(connection) as few:
        client.get(consultation_index.url, HTTP_USER_AGENT=BROWSER)
    for i in range(10):
        factories.consultation(consultation_index, title=f"Autre {i}", themes=[f"T{i}", "A"])
    client.get(
        consultation_index.url, HTTP_USER_AGENT=BROWSER
    )  # new pages: the menu and routes are read afresh once
    with CaptureQueriesContext(connection) as many:
        client.get(consultation_index.url, HTTP_USER_AGENT=BROWSER)
    assert len(many) == len(few)


def test_home_page_lists_consultations_by_status(client, home, catalogue):
    response = client.get(home.url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Consultations en cours" in html
    assert "Pistes cyclables" in html
    assert "Place du Marché" in html
    assert "Médiathèque" in html
