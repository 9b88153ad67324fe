"""Per-person limits on writes, counted in the cache (Redis in production, so every
process shares the counters). Services call `hit` before writing."""

import time

from django.core.cache import cache
from django.utils.translation import gettext as _


class RateLimited(Exception):
    """Too many actions of one kind; the message says when to try again."""

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        minutes = max(1, round(retry_after / 60))
        super().__init__(
            _("You are going a little fast: please try again in %(minutes)s minute(s).")
            % {"minutes": minutes}
        )


def hit(user, action: str, *, limit: int, period: int) -> None:
    """Count one `action` by `user`; raise RateLimited beyond `limit` per `period` seconds.

    Fixed windows: cheap (one cache increment) and enough to stop floods and scripts.
    """
    window = int(time.time() // period)
    key = f"tribune:rl:{action}:{user.pk}:{window}"
    if cache.add(key, 1, timeout=period + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=period + 1)
            count = 1
    if count > limit:
        raise RateLimited(retry_after=period - int(time.time()) % period)
