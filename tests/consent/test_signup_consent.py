"""Sign-up asks for the terms, the age (15 or older) and a separate e-mail opt-in."""

import pytest

from accounts.models import User
from consent.models import ConsentRecord, Decision, LegalDocument, Purpose

pytestmark = pytest.mark.usefixtures("defaults", "site_tree")

SIGNUP = {
    "email": "lea@exemple.fr",
    "display_name": "Léa",
    "password1": "une-phrase-de-passe-solide",
    "password2": "une-phrase-de-passe-solide",
    "age": "15_or_more",
    "accept_terms": "on",
}


def test_the_signup_page_asks_for_terms_age_and_an_unticked_opt_in(client):
    html = client.get("/compte/inscription/").content.decode()
    assert "J’accepte les conditions d’utilisation" in html
    assert "J’ai 15 ans ou plus" in html and "J’ai moins de 15 ans" in html
    opt_in = html[
        html.index('name="notifications"') - 200 : html.index('name="notifications"') + 200
    ]
    assert "checked" not in opt_in
    assert 'href="/conditions-utilisation/"' in html


def test_signing_up_records_terms_privacy_and_age_but_no_notifications(client):
    response = client.post("/compte/inscription/", SIGNUP)
    assert response.status_code == 302
    user = User.objects.get(email="lea@exemple.fr")
    terms = LegalDocument.objects.current("terms")
    rows = {r.purpose: r for r in ConsentRecord.objects.filter(user=user)}
    assert set(rows) == {Purpose.TERMS, Purpose.PRIVACY_POLICY, Purpose.AGE}
    assert rows[Purpose.TERMS].version == str(terms.version)
    assert rows[Purpose.TERMS].text_hash == terms.fingerprint
    assert rows[Purpose.TERMS].decision == Decision.GRANTED


def test_the_notifications_opt_in_is_recorded_when_ticked(client):
    client.post("/compte/inscription/", {**SIGNUP, "notifications": "on"})
    user = User.objects.get(email="lea@exemple.fr")
    record = ConsentRecord.objects.get(user=user, purpose=Purpose.NOTIFICATIONS)
    assert record.decision == Decision.GRANTED


def test_under_15_explains_parental_consent_and_creates_nothing(client):
    response = client.post("/compte/inscription/", {**SIGNUP, "age": "under_15"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "consentement d’un parent" in html
    assert "lea@exemple.fr" in html  # what was typed comes back
    assert not User.objects.filter(email="lea@exemple.fr").exists()
    assert not ConsentRecord.objects.exists()


def test_terms_must_be_accepted(client):
    data = {key: value for key, value in SIGNUP.items() if key != "accept_terms"}
    response = client.post("/compte/inscription/", data)
    assert response.status_code == 200
    assert (
        "Acceptez les conditions d’utilisation pour créer un compte." in response.content.decode()
    )
    assert not User.objects.filter(email="lea@exemple.fr").exists()
