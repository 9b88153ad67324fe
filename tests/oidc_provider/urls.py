from django.urls import include, path

from tests.oidc_provider import views

urlpatterns = [
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("login/", views.login),
    path("whoami/", views.whoami),
    path("test/<str:what>/", views.control),
]
