from __future__ import annotations

from django.urls import path

from clientvault.access import views

app_name = "access"
urlpatterns = [
    path("purposes/", views.purposes, name="purposes"),
    path("purposes/<slug:code>/", views.purpose_edit, name="purpose_edit"),
]
