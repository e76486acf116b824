from __future__ import annotations

from django.urls import path

from clientvault.classification import views

app_name = "classification"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("<str:field_key>/", views.edit, name="edit"),
]
