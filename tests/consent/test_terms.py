"""Versioned terms: a signed-in person accepts a new version before taking part again."""

import pytest
from django.utils import timezone

from consent.models import ConsentRecord, Decision, LegalDocument, Purpose
from consent.services import records
from participation import permissions as participation_permissions
from tests import factories


@pytest.fixture
def new_terms(defaults):
    return LegalDocument.objects.create(
        kind="terms",
        version=2,
        title="Conditions d'utilisation",
        changes="Les sondages arrivent.",
        body="<p>Nouvelle version.</p>",
        published_at=timezone.now(),
    )


def test_new_terms_block_participation_until_accepted(
    signed_in, citizen, new_terms, consultation_index
):
    consultation = factories.consultation(consultation_index)
    citizen = type(citizen).objects.get(pk=citizen.pk)
    assert records.needs_terms_acceptance(citizen)
    why = participation_permissions.participant_reason(citizen, consultation)
    assert "conditions d’utilisation" in why

    page = signed_in.get("/")
    assert "Les conditions d’utilisation ont changé" in page.content.decode()
    form = signed_in.get("/conditions-utilisation/accepter/?next=/consultations/")
    assert "Les sondages arrivent." in form.content.decode()
    refused = signed_in.post("/conditions-utilisation/accepter/", {"next": "/consultations/"})
    assert refused.status_code == 200  # the box must be ticked
    done = signed_in.post(
        "/conditions-utilisation/accepter/", {"accept": "on", "next": "/consultations/"}
    )
    assert done["Location"] == "/consultations/"
    record = ConsentRecord.objects.filter(user=citizen, purpose=Purpose.TERMS).first()
    assert (record.version, record.decision) == ("2", Decision.GRANTED)
    citizen = type(citizen).objects.get(pk=citizen.pk)
    assert not records.needs_terms_acceptance(citizen)
    assert participation_permissions.participant_reason(citizen, consultation) is None


def test_scheduled_terms_do_not_apply_before_their_date(citizen, defaults):
    LegalDocument.objects.create(
        kind="terms",
        version=2,
        title="Plus tard",
        body="<p>Plus tard.</p>",
        published_at=timezone.now() + timezone.timedelta(days=3),
    )
    assert not records.needs_terms_acceptance(citizen)


def test_the_terms_page_shows_the_version_in_force_and_older_ones(client, new_terms, site_tree):
    html = client.get("/conditions-utilisation/").content.decode()
    assert "Nouvelle version." in html and "Version 2" in html
    old = client.get("/conditions-utilisation/?version=1").content.decode()
    assert "15 ans ou plus" in old
    assert client.get("/conditions-utilisation/?version=abc").status_code == 404


def test_accepting_terms_records_the_text_hash(citizen, new_terms):
    records.accept_terms(citizen, terms=new_terms)
    record = ConsentRecord.objects.filter(user=citizen, purpose=Purpose.TERMS).first()
    assert record.text_hash == new_terms.fingerprint
    previous = ConsentRecord.objects.filter(user=citizen, purpose=Purpose.TERMS).last()
    assert previous.ended_at is not None  # replaced by the new acceptance


def test_notifications_opt_in_then_withdrawal_are_both_recorded(signed_in, citizen):
    signed_in.post(
        "/mes-donnees/", {"section": "notifications", "notifications-notifications": "on"}
    )
    signed_in.post("/mes-donnees/", {"section": "notifications"})
    decisions = list(
        ConsentRecord.objects.filter(user=citizen, purpose=Purpose.NOTIFICATIONS)
        .order_by("created_at", "pk")
        .values_list("decision", flat=True)
    )
    assert decisions == [Decision.GRANTED, Decision.WITHDRAWN]
    assert not records.wants_notifications(citizen)
