import pytest

from consent.services.defaults import ensure_defaults
from tests.oidc import configure


@pytest.fixture
def franceconnect(settings, oidc_provider, db, site_tree):
    """Tribune configured with FranceConnect and ProConnect at the local provider."""
    ensure_defaults()
    configure(settings, oidc_provider, sites=["http://testserver"])
    yield oidc_provider
    oidc_provider.misbehave("")
