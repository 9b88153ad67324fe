from pathlib import Path

import pytest
from django.core.cache import cache, caches
from django.utils import translation

from accounts import roles
from cms.permissions import grant_editorial_permissions
from tests import factories
from tests.clients import Client
from tests.oidc import oidc_provider  # noqa: F401 (a fixture: the local OpenID provider)


def pytest_configure(config):
    # Django deletes an old SQLite test database but not its -wal/-shm files; SQLite
    # would replay the stale journal into the new database (data from the last run).
    from django.conf import settings

    name = str(settings.DATABASES["default"].get("TEST", {}).get("NAME") or "")
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") and name:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(name + suffix).unlink(missing_ok=True)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    # Browser tests go last: Playwright's sync API keeps an event loop running in the
    # main thread for the rest of the session, which async tests cannot share.
    items.sort(key=lambda item: "/e2e/" in str(item.fspath))


@pytest.fixture(autouse=True, scope="session")
def _test_settings():
    # PBKDF2's 1M iterations cost ~0.5 s per account; tests create hundreds.
    from django.test.utils import override_settings

    # override_settings (not a plain assignment) so Django clears its hasher caches.
    fast = override_settings(
        PASSWORD_HASHERS=[
            "django.contrib.auth.hashers.MD5PasswordHasher",
            "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        ],
        # Background work (search indexing…) runs inline, so tests see its effect at once.
        TASKS={"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}},
    )
    fast.enable()
    yield
    fast.disable()


@pytest.fixture(scope="session")
def committed_database(django_db_setup, django_db_blocker):
    """The test database for tests that commit (browser tests, threads racing each other),
    even when no other selected test asked for one: pytest-django creates it only for
    tests marked django_db, and these are not (their rows must be committed to be seen
    by other threads)."""
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    config = None
    if connection.settings_dict["NAME"] == settings.TRIBUNE_DEVELOPMENT_DATABASE:
        with django_db_blocker.unblock():
            config = setup_databases(verbosity=0, interactive=False, aliases={"default"})
    assert connection.settings_dict["NAME"] != settings.TRIBUNE_DEVELOPMENT_DATABASE
    yield
    if config is not None:
        with django_db_blocker.unblock():
            teardown_databases(config, verbosity=0)


@pytest.fixture(autouse=True)
def _french():
    # A request in English (language switch test) leaves English active in the thread.
    translation.activate("fr")
    yield
    translation.activate("fr")


@pytest.fixture(autouse=True)
def _clean_cache():
    # Rate limits live in the cache; one test's limits must not leak into the next.
    cache.clear()
    caches["cookie_consent"].clear()  # django-cookie-consent's groups
    caches["published"].clear()  # what public pages remember (cms.queries)
    yield


@pytest.fixture
def client():
    """pytest-django's client, whose force_login includes the staff second factor."""
    return Client()


@pytest.fixture
def site_tree(db):
    grant_editorial_permissions()
    home, index, news = factories.build_site()
    return {"home": home, "index": index, "news": news}


@pytest.fixture
def home(site_tree):
    return site_tree["home"]


@pytest.fixture
def consultation_index(site_tree):
    return site_tree["index"]


@pytest.fixture
def users(db):
    """One user per role of DESIGN.md, plus an anonymous visitor and an unverified account."""
    from django.contrib.auth.models import AnonymousUser

    roles.create_groups()
    return {
        "anonymous": AnonymousUser(),
        "unverified": factories.UserFactory(verified=False),
        "citizen": factories.UserFactory(),
        "agent": factories.UserFactory(role=roles.AGENTS, is_staff=False),
        "moderator": factories.UserFactory(role=roles.MODERATORS, is_staff=True),
        "communication": factories.UserFactory(role=roles.COMMUNICATION, is_staff=True),
        "administrator": factories.UserFactory(
            role=roles.ADMINISTRATORS, is_staff=True, is_superuser=True
        ),
    }
