"""« Mes données »: see, correct, download."""

import csv
import io
import json
import zipfile

import pytest
from django.core.exceptions import PermissionDenied

from consent.models import DataExport
from consent.services import exports
from tests import factories


def test_anonymous_people_are_sent_to_sign_in(client, defaults, site_tree):
    response = client.get("/mes-donnees/")
    assert response.status_code == 302 and response["Location"].startswith("/compte/connexion/")


def test_the_privacy_centre_shows_what_is_held(signed_in, citizen):
    html = signed_in.get("/mes-donnees/").content.decode()
    assert "Ce que nous détenons sur vous" in html
    assert "Votre compte" in html and "Preuves de vos choix" in html
    assert citizen.email in html
    assert (
        'href="/compte/adresse-email/"' in html
    )  # e-mail changes go through allauth's verification
    assert "Conditions d’utilisation" in html  # the consent history


def test_the_display_name_is_corrected(signed_in, citizen):
    response = signed_in.post(
        "/mes-donnees/", {"section": "display_name", "profile-display_name": "  Camille   B. "}
    )
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.display_name == "Camille B."


def test_a_bad_display_name_comes_back_with_a_french_error(signed_in, citizen):
    response = signed_in.post(
        "/mes-donnees/", {"section": "display_name", "profile-display_name": "moi@exemple.fr"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "n’y mettez pas d’adresse e-mail" in html
    assert 'value="moi@exemple.fr"' in html
    citizen.refresh_from_db()
    assert citizen.display_name == "Camille"


def test_the_export_is_a_zip_of_json_and_csv_for_everything_registered(signed_in, citizen):
    response = signed_in.post("/mes-donnees/export/")
    assert response.status_code == 302
    download = signed_in.get(response["Location"])
    assert download["Content-Type"] == "application/zip"
    assert "attachment" in download["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    names = set(archive.namelist())
    # Only what concerns the person: their profile, e-mail address and consents, not an
    # empty file for every table of the site.
    assert names == {
        "index.json",
        "LISEZMOI.txt",
        *(
            f"{name}.{ext}"
            for name in ("profil", "adresses-email", "consentements")
            for ext in ("json", "csv")
        ),
    }
    profile = json.loads(archive.read("profil.json"))
    assert profile[0]["email"] == citizen.email and profile[0]["display_name"] == "Camille"
    consents = archive.read("consentements.csv").decode()
    assert consents.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(consents.lstrip("\ufeff")), delimiter=";"))
    assert {row["purpose"] for row in rows} >= {"terms"}
    assert "Vos données sur Tribune" in archive.read("LISEZMOI.txt").decode()
    assert DataExport.objects.filter(user=citizen).count() == 1


def test_nobody_downloads_another_persons_export(client, citizen):
    export = exports.request_export(citizen, citizen)
    other = factories.UserFactory()
    client.force_login(other)
    assert client.get(f"/mes-donnees/export/{export.token}/").status_code == 404
    client.logout()
    assert client.get(f"/mes-donnees/export/{export.token}/").status_code == 302  # sign in


def test_an_export_for_someone_else_is_refused_by_the_service(citizen):
    other = factories.UserFactory()
    with pytest.raises(PermissionDenied, match="vos propres données"):
        exports.request_export(other, citizen)
    assert not DataExport.objects.exists()


def test_exports_are_rate_limited(signed_in, citizen):
    for _ in range(5):
        signed_in.post("/mes-donnees/export/")
    response = signed_in.post("/mes-donnees/export/", follow=True)
    assert "un peu vite" in response.content.decode()
    assert DataExport.objects.filter(user=citizen).count() == 5


def test_an_export_needs_a_post(signed_in):
    assert signed_in.get("/mes-donnees/export/").status_code == 405


def test_the_pages_linked_from_the_privacy_centre_work(signed_in, citizen):
    """E-mail change and the session list are allauth's, in the site's look."""
    email_page = signed_in.get("/compte/adresse-email/")
    assert email_page.status_code == 200 and citizen.email in email_page.content.decode()
    sessions = signed_in.get("/compte/sessions/")
    assert sessions.status_code == 200


def test_a_display_name_like_a_formula_stays_text_in_the_csv(citizen):
    from consent.services.exports import build_zip

    citizen.display_name = "=HYPERLINK(1)"
    citizen.save()
    archive = zipfile.ZipFile(io.BytesIO(build_zip(citizen)))
    row = next(
        csv.DictReader(io.StringIO(archive.read("profil.csv").decode("utf-8-sig")), delimiter=";")
    )
    assert row["display_name"] == "'=HYPERLINK(1)"
    assert json.loads(archive.read("profil.json"))[0]["display_name"] == "=HYPERLINK(1)"
