"""Administrators browse and export consent records, legal texts and purge runs."""

import pytest
from django.utils import timezone

from consent.models import LegalDocument
from consent.services import cookies, purge, records


@pytest.fixture
def some_records(citizen):
    records.set_notifications(citizen, True)
    return citizen


def test_administrators_browse_and_export_consent_records(client, users, some_records):
    client.force_login(users["administrator"])
    listing = client.get("/admin/consent/consentrecord/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "Preuves de consentement" in html and "Notifications par e-mail" in html
    export = client.get("/admin/consent/consentrecord/?export=csv")
    assert export.status_code == 200
    body = b"".join(export.streaming_content).decode()
    record = some_records.consent_records.get(purpose="notifications")
    assert record.subject in body and record.text_hash in body
    assert "Empreinte du texte présenté" in body.splitlines()[0]
    assert 'filename="preuves-de-consentement.csv"' in export["Content-Disposition"]


@pytest.mark.parametrize("role", ["moderator", "communication"])
def test_other_staff_cannot_see_consent_records(client, users, some_records, role):
    client.force_login(users[role])
    response = client.get("/admin/consent/consentrecord/")
    assert response.status_code == 302  # Wagtail's "permission denied": back to its home
    assert response["Location"] == "/admin/"
    assert "notifications" not in response.content.decode()


def test_records_cannot_be_edited_or_deleted(client, users, some_records):
    client.force_login(users["administrator"])
    record = some_records.consent_records.first()
    # The viewset has no edit or delete permission, even for administrators: Wagtail
    # sends them back to its home and the record stays as it was.
    for response in (
        client.get(f"/admin/consent/consentrecord/edit/{record.pk}/"),
        client.post(f"/admin/consent/consentrecord/delete/{record.pk}/"),
    ):
        assert response.status_code == 302
        assert response["Location"] == "/admin/"
    assert some_records.consent_records.filter(pk=record.pk).exists()
    inspect = client.get(f"/admin/consent/consentrecord/inspect/{record.pk}/")
    assert inspect.status_code == 200 and record.text_hash in inspect.content.decode()


def test_a_new_terms_version_is_added_and_a_version_in_force_is_frozen(client, users, defaults):
    client.force_login(users["administrator"])
    current = LegalDocument.objects.current("terms")
    form = {
        "kind": "terms",
        "version": "1",
        "title": "Conditions",
        "changes": "",
        "body": '{"blocks": [{"key": "a", "type": "unstyled", "text": "Texte", "depth": 0, '
        '"inlineStyleRanges": [], "entityRanges": []}], "entityMap": {}}',
        "published_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
    }
    response = client.post("/admin/consent/legaldocument/new/", form)
    assert "doit être supérieur à 1" in response.content.decode()
    response = client.post("/admin/consent/legaldocument/new/", {**form, "version": "2"})
    assert response.status_code == 302
    assert LegalDocument.objects.filter(kind="terms", version=2).exists()
    edit = client.post(f"/admin/consent/legaldocument/edit/{current.pk}/", {**form, "version": "3"})
    assert "ne peut plus être modifiée" in edit.content.decode()


def test_purge_runs_are_listed_with_their_rows(client, users, defaults):
    purge.purge()
    client.force_login(users["administrator"])
    html = client.get("/admin/consent/purgerun/").content.decode()
    assert "Purges" in html and "Terminée" in html


def test_audience_figures_are_shown_to_administrators(client, users, defaults, site_tree):
    visitor = client
    visitor.post("/cookies/", {"choice": "accept_all"})
    visitor.get("/")
    client.force_login(users["administrator"])
    html = client.get("/admin/consent/audienceday/").content.decode()
    assert "Audience" in html
    assert cookies.AUDIENCE == "audience"


def test_declaring_a_new_cookie_in_the_admin_asks_everyone_again(
    client, users, defaults, site_tree
):
    from cookie_consent.models import CookieGroup

    visitor = type(client)()
    visitor.post("/cookies/", {"choice": "accept_all"})
    assert "Cookies sur ce site" not in visitor.get("/").content.decode()
    client.force_login(users["administrator"])
    response = client.post(
        "/admin/consent/cookie/new/",
        {
            "cookiegroup": CookieGroup.objects.get(varname="audience").pk,
            "name": "tribune_parcours",
            "description": "Pages vues pendant la visite.",
            "path": "/",
            "domain": "",
        },
    )
    assert response.status_code == 302
    assert "Cookies sur ce site" in visitor.get("/").content.decode()
