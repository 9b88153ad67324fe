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
