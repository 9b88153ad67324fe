"""Page views counted in the cache and folded into PageVisits in batches
(participation.services.visits): exact after a burst, nothing lost to a Redis outage."""

import os
import threading

import pytest
from django.db import close_old_connections
from django.test import override_settings
from django.utils import timezone

from cms import cache as resilient
from participation.models import PageVisits
from participation.services import visits
from tests import factories
from tests.clients import BROWSER, Client
from tests.redis_server import REDIS_SERVER, RedisServer

needs_redis = pytest.mark.skipif(
    REDIS_SERVER is None and not os.environ.get("CI"),
    reason="redis-server absent (apt-get install redis-server)",
)


def counted(page) -> int:
    return sum(PageVisits.objects.filter(page_id=page.pk).values_list("count", flat=True))


@pytest.fixture
def consultation(consultation_index):
    return factories.consultation(consultation_index, title="Plan vélo")


@pytest.fixture
def own_redis():
    """The default cache on a Redis of the test's own, which the test can stop."""
    resilient._outages.clear()
    server = RedisServer().start()
    caches = {
        "default": {
            "BACKEND": "cms.cache.ResilientRedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": "visites",
            "OPTIONS": {"RETRY_AFTER": 60, "socket_connect_timeout": 0.3, "socket_timeout": 0.3},
        },
        "published": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "visits-published",
        },
        "cookie_consent": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "visits-cookie-consent",
        },
    }
    with override_settings(CACHES=caches):
        yield server
    server.close()
    resilient._outages.clear()


def test_a_visit_waits_in_the_cache_until_the_flush(client, consultation, settings):
    settings.TRIBUNE_VISITS_FLUSH_SECONDS = 3600
    visits.schedule_flush()  # the window starts now: the visits below do not flush
    for _ in range(3):
        assert client.get(consultation.url, HTTP_USER_AGENT=BROWSER).status_code == 200
    assert counted(consultation) == 0
    assert visits.flush() == 3
    assert counted(consultation) == 3
    # A second flush finds nothing left: nothing is counted twice.
    assert visits.flush() == 0
    client.get(consultation.url, HTTP_USER_AGENT=BROWSER)
    visits.flush()
    assert list(PageVisits.objects.values_list("page_id", "day", "count")) == [
        (consultation.pk, timezone.localdate(), 4)
    ]


def test_the_first_visit_after_the_window_starts_a_flush(client, consultation, settings):
    settings.TRIBUNE_VISITS_FLUSH_SECONDS = 3600
    # No flush started yet: the first visit starts one (inline with the immediate backend).
    client.get(consultation.url, HTTP_USER_AGENT=BROWSER)
    assert counted(consultation) == 1
    client.get(consultation.url, HTTP_USER_AGENT=BROWSER)
    assert counted(consultation) == 1  # within the window: waits in the cache


def test_a_burst_of_concurrent_visits_is_counted_exactly(
    committed_database, django_db_blocker, settings
):
    """Committed rows, so the readers' threads see the page; removed afterwards. Not a
    transactional test: its final flush would also wipe what data migrations wrote
    (locale, roles, workflow), which the tests that follow rely on."""
    import uuid
    from datetime import timedelta

    from wagtail.models import Site

    from participation.models import ConsultationPage

    settings.TRIBUNE_VISITS_FLUSH_SECONDS = 3600
    with django_db_blocker.unblock():
        consultation = factories.add_page(
            Site.objects.get(is_default_site=True).root_page,
            ConsultationPage(
                title="Budget participatif",
                slug=f"budget-{uuid.uuid4().hex[:8]}",
                summary="Résumé.",
                body=[],
                opens_at=timezone.now() - timedelta(days=1),
            ),
        )
        try:
            visits.schedule_flush()
            errors = []

            def reader():
                try:
                    reader_client = Client()
                    for _ in range(10):
                        response = reader_client.get(consultation.url, HTTP_USER_AGENT=BROWSER)
                        assert response.status_code == 200
                except Exception as error:  # shown by the assertion below
                    errors.append(error)
                finally:
                    close_old_connections()

            threads = [threading.Thread(target=reader) for _ in range(6)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert errors == []
            assert visits.flush() == 60
            assert counted(consultation) == 60
        finally:
            PageVisits.objects.filter(page_id=consultation.pk).delete()
            consultation.delete()


@needs_redis
def test_counted_in_redis_and_folded_in(own_redis, consultation, settings):
    settings.TRIBUNE_VISITS_FLUSH_SECONDS = 3600
    client = Client()
    visits.schedule_flush()
    for _ in range(5):
        client.get(consultation.url, HTTP_USER_AGENT=BROWSER)
    key = f"visites:1:tribune:visits:{timezone.localdate().isoformat()}:{consultation.pk}"
    assert own_redis.client().get(key) == b"5"
    assert counted(consultation) == 0
    assert visits.flush() == 5
    assert counted(consultation) == 5
    assert own_redis.client().get(key) == b"0"


@needs_redis
def test_redis_down_during_visits_breaks_no_page_and_counts_in_the_database(
    own_redis, consultation, home, settings
):
    settings.TRIBUNE_VISITS_FLUSH_SECONDS = 3600
    client = Client()
    visits.schedule_flush()
    client.get(consultation.url, HTTP_USER_AGENT=BROWSER)  # in Redis, not yet flushed
    own_redis.stop()
    for url in (consultation.url, home.url, consultation.url):
        assert client.get(url, HTTP_USER_AGENT=BROWSER).status_code == 200
    # Straight into the database while Redis is out.
    assert counted(consultation) == 2
    assert counted(home) == 1
