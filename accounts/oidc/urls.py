from allauth.socialaccount import app_settings
from django.urls import path

from accounts.oidc import views

# allauth's URL names (the provider builds its addresses with them), Tribune's views.
# Plain routes rather than allauth's regex: config/french_urls.py translates them.
prefix = (
    f"{app_settings.OPENID_CONNECT_URL_PREFIX}/" if app_settings.OPENID_CONNECT_URL_PREFIX else ""
)
urlpatterns = [
    path(f"{prefix}<str:provider_id>/login/", views.login, name="openid_connect_login"),
    path(
        f"{prefix}<str:provider_id>/login/callback/",
        views.callback,
        name="openid_connect_callback",
    ),
]
