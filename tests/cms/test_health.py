import pytest


def test_health_reports_every_service_up(client, db):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {
        "status": "ok",
        "services": {"database": "up", "cache": "up", "channel_layer": "up"},
    }


def test_health_is_503_when_the_cache_is_down(client, db, settings):
    # A real Redis client pointed at a port where nothing listens.
    settings.CACHES = {
        **settings.CACHES,  # other caches (cookie groups, in memory) stay
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        },
    }
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["services"]["cache"] == "down"
    assert body["services"]["database"] == "up"


@pytest.mark.django_db
def test_health_is_503_when_the_channel_layer_is_down(client, settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    try:
        response = client.get("/health/")
    finally:
        channel_layers.backends.clear()
    assert response.status_code == 503
    assert response.json()["services"]["channel_layer"] == "down"
