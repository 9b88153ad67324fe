"""Per-person limits on the consent app's writes, counted in the cache (Redis in
production: shared by every process)."""

import time

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _


class RateLimited(PermissionDenied):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        minutes = max(1, round(retry_after / 60))
        super().__init__(
            _("You are going a little fast: please try again in %(minutes)s minute(s).")
            % {"minutes": minutes}
        )


def hit(user, action: str, *, limit: int, period: int) -> None:
    window = int(time.time() // period)
    key = f"tribune:consent-rl:{action}:{user.pk}:{window}"
    if cache.add(key, 1, timeout=period + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:
            cache.add(key, 1, timeout=period + 1)
            count = 1
    if count > limit:
        raise RateLimited(retry_after=period - int(time.time()) % period)
