"""Visitors get French error pages, never a traceback."""

import pytest
from django.db import connection
from django.http import HttpResponse
from django.urls import include, path

from tests.clients import Client


def broken_query(request):
    # A real database error: the table does not exist.
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM table_qui_n_existe_pas")
    return HttpResponse("inaccessible")


def crash(request):
    raise RuntimeError("bug")


urlpatterns = [
    path("panne-base/", broken_query),
    path("plantage/", crash),
    path("", include("config.urls")),
]
handler500 = "cms.views.server_error"
handler404 = "cms.views.page_not_found"


def test_unknown_url_gets_a_french_404_with_search(client, site_tree):
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page introuvable" in html
    assert 'role="search"' in html


@pytest.mark.urls("tests.cms.test_errors")
def test_a_bug_gets_a_french_500_page(db):
    response = Client(raise_request_exception=False).get("/plantage/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Un problème est survenu de notre côté" in html
    assert "Traceback" not in html and "RuntimeError" not in html


@pytest.mark.urls("tests.cms.test_errors")
def test_a_database_failure_gets_a_french_503_page(db):
    response = Client(raise_request_exception=False).get("/panne-base/")
    assert response.status_code == 503
    html = response.content.decode()
    assert "Service momentanément indisponible" in html
    assert "table_qui_n_existe_pas" not in html


def test_csrf_failure_explains_in_french(site_tree):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/compte/connexion/", {"login": "a@b.fr", "password": "x"})
    assert response.status_code == 403
    assert "Ce formulaire a expiré" in response.content.decode()


def test_bad_request_page_is_french(client, site_tree):
    from cms.views import bad_request

    request = client.get("/").wsgi_request
    response = bad_request(request)
    assert response.status_code == 400
    assert "Cette demande n’a pas pu être comprise" in response.content.decode()


def test_fragment_answers_carry_the_announcement_percent_encoded(rf):
    from cms.views import fragment, wants_fragment

    request = rf.post("/", HTTP_X_TRIBUNE_FRAGMENT="1")
    assert wants_fragment(request)
    assert not wants_fragment(rf.post("/"))
    response = fragment(
        request,
        "cms/includes/filter_errors.html",
        {"filter_errors": ["Oups"]},
        announce="Commentaire publié.",
    )
    response.render()
    assert "Oups" in response.content.decode()
    assert response["X-Tribune-Announce"] == "Commentaire%20publi%C3%A9."
    assert response["Vary"] == "X-Tribune-Fragment"
