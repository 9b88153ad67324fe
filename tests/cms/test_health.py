import pytest
from django.core.cache import caches

from cms import breaker

# A real Redis client pointed at a port where nothing listens.
NOWHERE = "redis://127.0.0.1:1/0"


@pytest.fixture(autouse=True)
def _fresh_breakers():
    from cms import cache as resilient

    resilient._outages.clear()
    breaker._breakers.clear()
    yield
    resilient._outages.clear()
    breaker._breakers.clear()


def test_health_reports_every_service_up(client, db):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["status"] == "ok"
    assert body["services"] == {"database": "up", "cache": "up", "channel_layer": "up"}
    assert "detail" not in body


def test_health_says_degraded_with_200_when_the_cache_is_down(client, db, settings):
    settings.CACHES = {
        **settings.CACHES,  # other caches (cookie groups, in memory) stay
        "default": {"BACKEND": "cms.cache.ResilientRedisCache", "LOCATION": NOWHERE},
    }
    response = client.get("/health/")
    # The proxy keeps sending traffic: pages are served from the database.
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert "dégradé" in body["message"]
    assert body["services"] == {"database": "up", "cache": "down", "channel_layer": "up"}
    assert body["detail"]["cache"].startswith("injoignable depuis")
    # Called again at once, the circuit breaker answers without trying Redis.
    assert client.get("/health/").json()["services"]["cache"] == "down"
    assert caches["default"].breaker.failures == 1


@pytest.mark.django_db
def test_health_says_degraded_when_the_channel_layer_is_down(client, settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [NOWHERE]},
        }
    }
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    try:
        response = client.get("/health/")
    finally:
        channel_layers.backends.clear()
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["services"]["channel_layer"] == "down"
    # No host, port or exception text in a public answer.
    assert "127.0.0.1" not in response.content.decode()
