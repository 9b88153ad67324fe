import pytest

from consent.models import LegalDocumentKind
from consent.services import records
from consent.services.defaults import ensure_defaults
from tests import factories


@pytest.fixture
def defaults(db):
    """Cookie groups and first legal texts (a flushed database loses the migration's)."""
    ensure_defaults()


@pytest.fixture
def citizen(defaults, site_tree):
    user = factories.UserFactory(display_name="Camille")
    records.accept_terms(
        user,
        terms=records.current_document(LegalDocumentKind.TERMS),
        privacy=records.current_document(LegalDocumentKind.PRIVACY),
    )
    return user


@pytest.fixture
def signed_in(client, citizen):
    client.force_login(citizen)
    return client


def reauthenticate(client, password=factories.PASSWORD):
    """allauth's real re-authentication: the password typed again."""
    response = client.post("/compte/confirmer-identite/", {"password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    return response
