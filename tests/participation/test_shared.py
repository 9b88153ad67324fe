"""The shared parts of participation: why a person may not take part, write limits,
and the single broadcast point."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from participation import events, permissions, ratelimits
from tests import factories


@pytest.mark.parametrize(
    ("role", "opens_in", "closes_in", "expected"),
    [
        ("anonymous", -1, 10, "Connectez-vous pour participer."),
        ("unverified", -1, 10, "Confirmez votre adresse e-mail pour participer"),
        ("citizen", 3, 10, "Cette consultation ouvre le"),
        ("citizen", -10, -1, "Cette consultation est terminée."),
        ("citizen", -1, 10, None),
        ("citizen", -1, None, None),
    ],
)
def test_participant_reason(users, consultation_index, role, opens_in, closes_in, expected):
    page = factories.consultation(consultation_index, opens_in=opens_in, closes_in=closes_in)
    why = permissions.participant_reason(users[role], page)
    if expected is None:
        assert why is None
    else:
        assert why.startswith(expected)


def test_require_raises_with_the_reason(users, consultation_index):
    page = factories.consultation(consultation_index)
    permissions.RULES["test.participate"] = permissions.participant_reason
    try:
        with pytest.raises(permissions.PermissionDenied, match="Connectez-vous"):
            permissions.require(users["anonymous"], "test.participate", page)
        permissions.require(users["citizen"], "test.participate", page)
        assert permissions.can(users["citizen"], "test.participate", page)
    finally:
        del permissions.RULES["test.participate"]


def test_rate_limit_allows_up_to_the_limit_then_refuses_in_french(users):
    user = users["citizen"]
    for _ in range(3):
        ratelimits.hit(user, "essai", limit=3, period=60)
    with pytest.raises(ratelimits.RateLimited) as error:
        ratelimits.hit(user, "essai", limit=3, period=60)
    assert "réessayez dans 1 minute" in str(error.value)
    assert 0 < error.value.retry_after <= 60
    # Another person and another action have their own counters.
    ratelimits.hit(users["agent"], "essai", limit=3, period=60)
    ratelimits.hit(user, "autre", limit=3, period=60)


async def test_publish_reaches_the_consultation_group():
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(events.consultation_group(42), channel)
    # Services publish from synchronous code (a worker thread under ASGI).
    event = events.Event(type="comment.created", consultation_id=42, data={"id": 7})
    await sync_to_async(events.publish, thread_sensitive=False)(event)
    message = await asyncio.wait_for(layer.receive(channel), timeout=5)
    assert message == {
        "type": "event.broadcast",
        "event": {"type": "comment.created", "consultation": 42, "id": 7},
    }
    await layer.group_discard(events.consultation_group(42), channel)


def test_publish_never_raises_when_the_layer_is_down(settings, caplog):
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    channel_layers.backends.clear()
    try:
        events.publish(events.Event(type="comment.created", consultation_id=1))
    finally:
        channel_layers.backends.clear()
    assert "broadcast of comment.created for consultation 1 failed" in caplog.text
