"""WebSocket routes, all under /ws/ (docs/live-protocol.md describes their messages)."""

websocket_urlpatterns = []
