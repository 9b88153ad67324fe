"""The Redis cache, as an accelerator rather than a single point of failure.

`ResilientRedisCache` is Django's RedisCache behind a circuit breaker. When Redis
cannot be reached, the operation (and every other one for `RETRY_AFTER` seconds) goes
to a local-memory cache of the process instead: pages render, sessions are read from
the database (cached_db) and kept in memory meanwhile, rate limits count per process
instead of refusing everyone. Then one caller tries Redis again; when it answers,
the keys written meanwhile are deleted from Redis first (it may have kept older
values: a signed-out session, an old published version) and the process goes back
to it. docs/operations.md, « Redis en panne ».

A cache with `"FALLBACK": None` raises CacheUnavailable at once while Redis is out,
for data that must not be kept per process (the published version of cms.queries).
"""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis import exceptions as redis_errors

from cms.breaker import CircuitBreaker

logger = logging.getLogger(__name__)

# What says "Redis cannot serve now" rather than "this command is wrong". A loading
# Redis (BusyLoadingError) is a ConnectionError; a full or read-only one refuses writes.
OUTAGE = (
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.ReadOnlyError,
    redis_errors.OutOfMemoryError,
    OSError,
)
# Keys written while Redis was out, deleted from it on its return. Past this many, every
# key of the site's prefix is deleted instead.
MAX_DIRTY_KEYS = 10_000


class CacheUnavailable(redis_errors.ConnectionError):
    """Redis is out and this cache has no fallback (raised at once, without waiting)."""


class _Outage:
    """What the process knows about one Redis server: shared by every thread and every
    cache alias that points to it (Django builds one backend per thread and alias)."""

    def __init__(self, location: str, retry_after: float):
        self.breaker = CircuitBreaker(f"Redis cache ({_safe(location)})", retry_after=retry_after)
        self.lock = threading.Lock()
        self.dirty: set[str] = set()
        self.overflow = False
        self.prefixes: set[str] = set()
        self.watcher: threading.Thread | None = None

    def mark(self, keys) -> None:
        with self.lock:
            if self.overflow:
                return
            self.dirty.update(keys)
            if len(self.dirty) > MAX_DIRTY_KEYS:
                self.dirty.clear()
                self.overflow = True


_outages: dict[str, _Outage] = {}
_outages_lock = threading.Lock()


def _safe(location: str) -> str:
    """The server without its password, for the log."""
    if "@" in location:
        scheme, _, rest = location.partition("://")
        return f"{scheme}://…@{rest.rpartition('@')[2]}"
    return location


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        fallback = options.pop("FALLBACK", "memory")
        retry_after = float(options.pop("RETRY_AFTER", 5))
        super().__init__(server, {**params, "OPTIONS": options})
        location = server if isinstance(server, str) else ",".join(server)
        with _outages_lock:
            self.outage = _outages.setdefault(location, _Outage(location, retry_after))
        self.outage.prefixes.add(self.key_prefix)
        self._fallback = None
        if fallback == "memory":
            # Named after the server and prefix: every thread of the process shares it.
            self._fallback = LocMemCache(
                f"redis-fallback:{location}:{self.key_prefix}",
                {
                    "TIMEOUT": params.get("TIMEOUT", DEFAULT_TIMEOUT),
                    "KEY_PREFIX": self.key_prefix,
                    "VERSION": self.version,
                    "OPTIONS": {"MAX_ENTRIES": 10_000},
                },
            )

    @property
    def breaker(self) -> CircuitBreaker:
        return self.outage.breaker

    @property
    def degraded(self) -> bool:
        """True while Redis is out and this process goes without it."""
        return self.outage.breaker.is_open

    # --- The switch ---------------------------------------------------------------------

    def _redis_usable(self) -> bool:
        breaker = self.outage.breaker
        if not breaker.is_open:
            return True
        if not breaker.allows():
            return False
        try:
            self._clean_after_outage()
        except OUTAGE as error:
            breaker.failed(error)
            return False
        if breaker.succeeded() and self._fallback is not None:
            self._fallback.clear()
        return True

    def _clean_after_outage(self) -> None:
        """Before reading Redis again: delete what this process changed meanwhile, so
        Redis's older copies (it may have kept its memory) are never served."""
        client = self._cache.get_client(None, write=True)
        client.ping()
        outage = self.outage
        with outage.lock:
            keys, overflow = list(outage.dirty), outage.overflow
        if overflow:
            for prefix in outage.prefixes:
                pattern = f"{prefix}:*" if prefix else "*"
                batch = []
                for key in client.scan_iter(match=pattern, count=1000):
                    batch.append(key)
                    if len(batch) >= 1000:
                        client.delete(*batch)
                        batch = []
                if batch:
                    client.delete(*batch)
        else:
            for start in range(0, len(keys), 1000):
                client.delete(*keys[start : start + 1000])
        with outage.lock:
            outage.dirty.difference_update(keys)
            if overflow:
                outage.overflow = False
        if keys or overflow:
            logger.warning(
                "Redis cache: %s written during the outage deleted from Redis",
                "every key" if overflow else f"{len(keys)} key(s)",
            )

    def _went_down(self, error) -> None:
        self.outage.breaker.failed(error)
        outage = self.outage
        with outage.lock:
            if outage.watcher is None or not outage.watcher.is_alive():
                outage.watcher = threading.Thread(
                    target=self._wait_for_redis, name="redis-cache-return", daemon=True
                )
                outage.watcher.start()

    def _wait_for_redis(self) -> None:
        """Try Redis every RETRY_AFTER seconds until it answers, even if this process
        serves nothing meanwhile: the keys it changed during the outage must leave Redis
        as soon as possible, before another process reads their older values there."""
        breaker = self.outage.breaker
        while breaker.is_open:
            time.sleep(breaker.retry_after)
            self._redis_usable()

    def _without_redis(self):
        if self._fallback is None:
            raise CacheUnavailable(f"Redis out for {self.outage.breaker.down_for():.0f} s")
        return self._fallback

    def _written(self, keys, version) -> None:
        self.outage.mark(self.make_and_validate_key(key, version=version) for key in keys)

    # --- Reads ----------------------------------------------------------------------------

    def get(self, key, default=None, version=None):
        if self._redis_usable():
            try:
                return super().get(key, default, version)
            except OUTAGE as error:
                self._went_down(error)
        return self._without_redis().get(key, default, version)

    def get_many(self, keys, version=None):
        if self._redis_usable():
            try:
                return super().get_many(keys, version)
            except OUTAGE as error:
                self._went_down(error)
        return self._without_redis().get_many(keys, version)

    def has_key(self, key, version=None):
        if self._redis_usable():
            try:
                return super().has_key(key, version)
            except OUTAGE as error:
                self._went_down(error)
        return self._without_redis().has_key(key, version)

    # --- Writes: remembered, to be deleted from Redis when it returns -----------------------

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        if self._redis_usable():
            try:
                return super().add(key, value, timeout, version)
            except OUTAGE as error:
                self._went_down(error)
        self._written([key], version)
        return self._without_redis().add(key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        if self._redis_usable():
            try:
                return super().set(key, value, timeout, version)
            except OUTAGE as error:
                self._went_down(error)
        self._written([key], version)
        return self._without_redis().set(key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        if self._redis_usable():
            try:
                return super().touch(key, timeout, version)
            except OUTAGE as error:
                self._went_down(error)
        self._written([key], version)
        return self._without_redis().touch(key, timeout, version)

    def delete(self, key, version=None):
        if self._redis_usable():
            try:
                return super().delete(key, version)
            except OUTAGE as error:
                self._went_down(error)
        self._written([key], version)
        return self._without_redis().delete(key, version)

    def incr(self, key, delta=1, version=None):
        if self._redis_usable():
            try:
                return super().incr(key, delta, version)
            except OUTAGE as error:
                self._went_down(error)
        self._written([key], version)
        return self._without_redis().incr(key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        if self._redis_usable():
            try:
                return super().set_many(data, timeout, version)
            except OUTAGE as error:
                self._went_down(error)
        self._written(list(data), version)
        return self._without_redis().set_many(data, timeout, version)

    def delete_many(self, keys, version=None):
        if self._redis_usable():
            try:
                return super().delete_many(keys, version)
            except OUTAGE as error:
                self._went_down(error)
        self._written(list(keys), version)
        return self._without_redis().delete_many(keys, version)

    def clear(self):
        if self._fallback is not None:
            self._fallback.clear()
        if self._redis_usable():
            try:
                return super().clear()
            except OUTAGE as error:
                self._went_down(error)
        with self.outage.lock:
            self.outage.dirty.clear()
            self.outage.overflow = True  # everything: cleared on Redis's return
        return True
