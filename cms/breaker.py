"""A circuit breaker for a service the site can live without for a while (Redis).

After a failure the service is left alone for `retry_after` seconds: requests go
without it at once instead of each waiting for a connection to time out. Then one
caller at a time tries again (half-open); its success closes the breaker for everyone
in the process. Shared by every thread of the process; one per service.
"""

import logging
import threading
import time

logger = logging.getLogger(__name__)


class CircuitBreaker:
    def __init__(self, name: str, *, retry_after: float = 5.0):
        self.name = name
        self.retry_after = retry_after
        self._lock = threading.Lock()
        self.opened_at: float | None = None  # time.monotonic() of the first failure
        self.opened_wall: float | None = None  # time.time() of the same, for people
        self._next_try = 0.0
        self.failures = 0

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None

    def allows(self) -> bool:
        """True when the service may be tried: closed, or open and a retry is due (then
        only this caller tries; the others keep going without it)."""
        if self.opened_at is None:
            return True
        now = time.monotonic()
        with self._lock:
            if self.opened_at is None:
                return True
            if now < self._next_try:
                return False
            self._next_try = now + self.retry_after
            return True

    def failed(self, error: BaseException | None = None) -> None:
        now = time.monotonic()
        with self._lock:
            self.failures += 1
            self._next_try = now + self.retry_after
            if self.opened_at is not None:
                return
            self.opened_at, self.opened_wall = now, time.time()
        logger.warning(
            "%s unreachable (%s): going without it, next try in %s s",
            self.name,
            f"{type(error).__name__}: {error}" if error else "failure",
            self.retry_after,
        )

    def succeeded(self) -> bool:
        """Close the breaker; True when it was open (the service just came back)."""
        if self.opened_at is None:
            return False
        with self._lock:
            if self.opened_at is None:
                return False
            down_for = time.monotonic() - self.opened_at
            self.opened_at = self.opened_wall = None
            self.failures = 0
        logger.warning("%s is back after %.1f s", self.name, down_for)
        return True

    def down_for(self) -> float:
        opened = self.opened_at
        return 0.0 if opened is None else time.monotonic() - opened

    def reset(self) -> None:
        with self._lock:
            self.opened_at = self.opened_wall = None
            self._next_try = 0.0
            self.failures = 0


_breakers: dict[str, CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(name: str) -> CircuitBreaker:
    """The process's breaker for `name` (created with the Redis retry delay)."""
    breaker = _breakers.get(name)
    if breaker is None:
        from django.conf import settings

        retry_after = getattr(settings, "TRIBUNE_REDIS_RETRY_SECONDS", 5)
        with _breakers_lock:
            breaker = _breakers.setdefault(name, CircuitBreaker(name, retry_after=retry_after))
    return breaker
