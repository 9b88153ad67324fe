"""Reachability of the services Tribune needs: used by /health/ and by `make run`."""

import asyncio
import logging

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import connection

logger = logging.getLogger(__name__)

TIMEOUT = 3  # seconds; a load balancer probing /health/ should not wait longer


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_cache():
    cache.set("tribune:health", "ok", 10)
    if cache.get("tribune:health") != "ok":
        raise RuntimeError("cache read-back failed")


async def check_channel_layer():
    layer = get_channel_layer()
    channel = await layer.new_channel("health.")
    await layer.send(channel, {"type": "health.ping"})
    message = await asyncio.wait_for(layer.receive(channel), timeout=2)
    if message.get("type") != "health.ping":
        raise RuntimeError("unexpected message on the channel layer")


CHECKS = {
    "database": check_database,
    "cache": check_cache,
    "channel_layer": check_channel_layer,
}


async def _run(name, check) -> tuple[str, str | None]:
    try:
        if asyncio.iscoroutinefunction(check):
            await asyncio.wait_for(check(), timeout=TIMEOUT)
        else:
            # Not thread-sensitive: a hung database must not hold up the other checks.
            await asyncio.wait_for(sync_to_async(check, thread_sensitive=False)(), timeout=TIMEOUT)
    except TimeoutError:
        logger.warning("health check %s timed out", name)
        return "down", f"pas de réponse en {TIMEOUT} s"
    except Exception as error:  # whatever the failure, the service is down
        logger.warning("health check %s failed: %s: %s", name, type(error).__name__, error)
        return "down", f"{type(error).__name__}: {error}"
    return "up", None


async def states() -> dict[str, tuple[str, str | None]]:
    """{service: (state, error)} for every service."""
    return {name: await _run(name, check) for name, check in CHECKS.items()}
