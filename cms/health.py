"""Reachability of the services Tribune needs: used by /health/ and by `preflight`.

Every check runs in the caller's thread, on the caller's own database connection (the
request's, returned to the pool when the request ends): a load balancer may call
/health/ every second without holding a connection or a thread. A service whose
circuit breaker is open is reported down at once, without waiting for it again.
"""

import asyncio
import logging

from asgiref.sync import async_to_sync
from django.core.cache import cache
from django.db import connection

from cms.breaker import breaker_for

logger = logging.getLogger(__name__)

TIMEOUT = 2  # seconds; a load balancer probing /health/ should not wait longer
BROADCASTS = "channel layer"  # the breaker of participation.events.publish

# Without these the site cannot serve; the others only make it faster or live.
ESSENTIAL = {"database"}


class Down(Exception):
    pass


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_cache():
    degraded = getattr(cache, "degraded", None)
    if degraded is None:  # local memory (embedded configuration): always there
        cache.set("tribune:health", "ok", 10)
        return
    # While Redis is out this goes to the process's memory at once, or is the one try
    # of the circuit breaker when one is due.
    cache.set("tribune:health", "ok", 10)
    if cache.degraded:
        raise Down(f"injoignable depuis {cache.breaker.down_for():.0f} s")
    if cache.get("tribune:health") != "ok":
        raise Down("relecture impossible")


async def _publish_probe():
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    # A publication to a group nobody listens to: proves the layer takes messages,
    # without subscribing anything.
    await asyncio.wait_for(layer.group_send("health", {"type": "health.ping"}), timeout=TIMEOUT)


def check_channel_layer():
    breaker = breaker_for(BROADCASTS)
    if not breaker.allows():
        raise Down(f"injoignable depuis {breaker.down_for():.0f} s")
    try:
        async_to_sync(_publish_probe)()
    except Exception as error:
        breaker.failed(error)
        raise Down(f"injoignable depuis {breaker.down_for():.0f} s") from error
    breaker.succeeded()


CHECKS = {
    "database": check_database,
    "cache": check_cache,
    "channel_layer": check_channel_layer,
}


def run(name, check) -> tuple[str, str | None]:
    try:
        check()
    except Down as error:
        return "down", str(error)
    except Exception as error:  # whatever the failure, the service is down
        logger.warning("health check %s failed: %s: %s", name, type(error).__name__, error)
        return "down", "injoignable"
    return "up", None


def states() -> dict[str, tuple[str, str | None]]:
    """{service: (state, detail)} for every service."""
    return {name: run(name, check) for name, check in CHECKS.items()}
