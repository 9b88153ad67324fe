"""The Redis cache behind its circuit breaker, against a real Redis of the test's own
that is stopped, frozen and started again (cms.cache)."""

import os

import pytest

from cms import cache as resilient
from cms.cache import CacheUnavailable, ResilientRedisCache
from tests.redis_server import REDIS_SERVER, RedisServer

pytestmark = pytest.mark.skipif(
    REDIS_SERVER is None and not os.environ.get("CI"),  # in CI, a missing one fails
    reason="redis-server absent (apt-get install redis-server)",
)


@pytest.fixture
def redis_server():
    resilient._outages.clear()
    server = RedisServer().start()
    yield server
    server.close()
    resilient._outages.clear()


def make_cache(server, **options):
    return ResilientRedisCache(
        server.url,
        {
            "KEY_PREFIX": "essai",
            "OPTIONS": {
                "RETRY_AFTER": 0.2,
                "socket_connect_timeout": 0.5,
                "socket_timeout": 0.5,
                **options,
            },
        },
    )


def wait_for_retry(cache):
    import time

    time.sleep(cache.breaker.retry_after + 0.05)


def test_while_redis_is_up_everything_is_in_redis(redis_server):
    cache = make_cache(redis_server)
    cache.set("vote", 3)
    assert redis_server.client().get("essai:1:vote") == b"3"
    assert cache.get("vote") == 3
    assert not cache.degraded


def test_redis_stopped_the_cache_goes_on_in_memory_and_counts_per_process(redis_server):
    cache = make_cache(redis_server)
    cache.set("before", "ancien")
    redis_server.stop()

    assert cache.get("before") is None  # a miss: the caller reads the database
    assert cache.degraded
    cache.set("session", {"user": 7})
    assert cache.get("session") == {"user": 7}
    # A rate limit keeps counting, in this process.
    assert cache.add("limit", 1, 60)
    assert cache.incr("limit") == 2
    assert cache.incr("limit") == 3
    # One failure opened the breaker; nothing tried Redis again meanwhile.
    assert cache.breaker.failures == 1


def test_redis_back_with_its_memory_never_serves_what_changed_meanwhile(redis_server):
    cache = make_cache(redis_server)
    cache.set("session:abc", {"user": 7, "second_factor": True})
    cache.set("published-version", "v1")
    cache.set("untouched", "toujours là")
    redis_server.freeze()  # unreachable, its memory kept

    cache.delete("session:abc")  # signed out during the outage
    cache.set("published-version", "v2")  # an editor published during the outage
    assert cache.get("session:abc") is None
    assert cache.degraded

    redis_server.thaw()
    wait_for_retry(cache)
    # Neither the signed-out session nor the old version comes back from Redis, and the
    # process's memory is not read any more either.
    assert cache.get("session:abc") is None
    assert not cache.degraded
    assert cache.get("published-version") is None
    assert redis_server.client().get("essai:1:published-version") is None
    # What nobody changed is still served from Redis.
    assert cache.get("untouched") == "toujours là"


def test_redis_back_with_its_memory_empty_serves_nothing_stale(redis_server):
    cache = make_cache(redis_server)
    redis_server.stop()
    cache.set("published-version", "during-outage")
    assert cache.get("published-version") == "during-outage"

    redis_server.start()
    wait_for_retry(cache)
    assert cache.get("published-version") is None  # not the process's copy
    cache.set("published-version", "v3")
    assert redis_server.client().get("essai:1:published-version") is not None


def test_a_cache_without_fallback_refuses_at_once_while_redis_is_out(redis_server):
    cache = make_cache(redis_server, FALLBACK=None)
    redis_server.stop()
    with pytest.raises(CacheUnavailable):
        cache.get("version")
    with pytest.raises(CacheUnavailable):
        cache.set("version", "v2")
    assert cache.breaker.failures == 1
    # The key it could not write is deleted from Redis on its return.
    redis_server.start()
    redis_server.client().set("essai:1:version", "stale")
    wait_for_retry(cache)
    assert cache.get("version") is None


def test_more_keys_written_than_remembered_clears_the_prefix_on_return(redis_server, monkeypatch):
    monkeypatch.setattr(resilient, "MAX_DIRTY_KEYS", 3)
    cache = make_cache(redis_server)
    cache.set("a", 1)
    redis_server.client().set("autre-site:1:a", "kept")
    redis_server.freeze()
    for name in "abcde":
        cache.set(name, 2)
    redis_server.thaw()
    wait_for_retry(cache)
    assert cache.get("a") is None
    assert redis_server.client().get("autre-site:1:a") == b"kept"
