"""ASGI entry point: HTTP and the WebSocket routes under /ws/."""

import gc
import os
from importlib import import_module

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Django must be set up before the consumers (and their models) are imported.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddleware  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from channels.sessions import CookieMiddleware  # noqa: E402
from django.conf import settings  # noqa: E402

from participation.routing import websocket_urlpatterns  # noqa: E402


class SessionReader:
    """The session of the connection's cookie, for AuthMiddleware to find the person.

    Channels' SessionMiddleware would also wrap every frame sent, to save a session that
    the streams never change: with 1,000 readers that wrapper was a tenth of the
    process's time in a broadcast (benchmarks/fanout.py). The streams only read it.
    """

    def __init__(self, inner):
        self.inner = inner
        self.store = import_module(settings.SESSION_ENGINE).SessionStore

    async def __call__(self, scope, receive, send):
        key = scope["cookies"].get(settings.SESSION_COOKIE_NAME)
        # Loaded lazily, by AuthMiddleware's database call.
        return await self.inner({**scope, "session": self.store(key)}, receive, send)


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            CookieMiddleware(SessionReader(AuthMiddleware(URLRouter(websocket_urlpatterns))))
        ),
    }
)

# Everything loaded so far (Django, Wagtail, the URLconf) lives as long as the process:
# frozen, the collector no longer walks it. With 1,000 WebSocket readers, full
# collections over that heap stalled the event loop for 90–230 ms in the middle of a
# broadcast (benchmarks/fanout.py).
gc.collect()
gc.freeze()
