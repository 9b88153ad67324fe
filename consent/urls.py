"""Consent URLs, mounted at the root by config/urls.py (French paths people can read)."""

from django.urls import path

from consent import views

app_name = "consent"

urlpatterns = [
    path("cookies/", views.cookie_settings, name="cookies"),
    path("conditions-utilisation/", views.terms, name="terms"),
    path("conditions-utilisation/accepter/", views.accept_terms, name="accept_terms"),
    path("donnees-personnelles/", views.personal_data, name="personal_data"),
    path("mes-donnees/", views.privacy_centre, name="privacy_centre"),
    path("mes-donnees/export/", views.request_export, name="request_export"),
    path("mes-donnees/export/<uuid:token>/", views.download_export, name="download_export"),
    path("mes-donnees/supprimer/", views.delete_account, name="delete_account"),
]
