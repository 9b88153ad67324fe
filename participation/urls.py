"""Participation URLs, mounted under /participation/ by config/urls.py."""

app_name = "participation"

urlpatterns = []
