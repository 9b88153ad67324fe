"""Participation URLs, mounted under /participation/ by config/urls.py."""

from django.urls import path

from participation.views import polls

app_name = "participation"

urlpatterns = []

urlpatterns += [
    path("sondages/<int:poll_id>/vote/", polls.vote, name="poll_vote"),
]
