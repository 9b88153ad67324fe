from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_compiled_french_catalogue_is_in_the_repository():
    assert (ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.mo").stat().st_size > 1000


def test_site_speaks_french_by_default_and_english_on_request(client, home):
    html = client.get(home.url).content.decode()
    assert '<html lang="fr">' in html
    assert "Aller au contenu" in html
    response = client.post("/i18n/setlang/", {"language": "en", "next": home.url})
    assert response.status_code == 302
    html = client.get(home.url).content.decode()
    assert '<html lang="en">' in html
    assert "Skip to content" in html


def test_wagtail_admin_wording_is_corrected(client, users):
    """« Ajouter un(e) choix » and « 2 nouvel élément » come from Wagtail's French:
    Tribune's catalogue, read first, says it plainly."""
    from django.utils.translation import gettext

    assert gettext("Add %(label)s") % {"label": "choix"} == "Ajouter : choix"
    from django.urls import reverse

    client.force_login(users["communication"])
    html = client.get(reverse("polls:add")).content.decode()
    assert "Ajouter : " in html and "un(e)" not in html
    catalogue = client.get("/admin/jsi18n/").content.decode()
    assert "nouveaux \\u00e9l\\u00e9ments dans ce menu" in catalogue or (
        "nouveaux éléments dans ce menu" in catalogue
    )


def test_consent_versions_read_as_dates():
    from consent.models import ConsentRecord, Purpose

    record = ConsentRecord(purpose=Purpose.AUDIENCE_COOKIES, version="2026-12-03T10:20:11+00:00")
    assert record.version_label == "du 3 décembre 2026"
    assert ConsentRecord(purpose=Purpose.AGE, version="15").version_label == "15 ans ou plus"
    assert ConsentRecord(purpose=Purpose.TERMS, version="2").version_label == "2"
