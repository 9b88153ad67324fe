from django.urls import path

from cms import views

urlpatterns = [
    path("recherche/", views.search, name="search"),
]
