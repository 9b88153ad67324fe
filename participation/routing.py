"""WebSocket routes, all under /ws/ (docs/live-protocol.md describes their messages)."""

from django.urls import path

from participation import consumers

websocket_urlpatterns = [
    path(
        "ws/consultations/<int:consultation_id>/",
        consumers.ConsultationConsumer.as_asgi(),
    ),
    path("ws/moderation/", consumers.ModerationConsumer.as_asgi()),
    path("ws/moi/", consumers.PersonalConsumer.as_asgi()),
]
