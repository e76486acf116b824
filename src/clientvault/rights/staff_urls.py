"""Staff pages of data-subject requests (issue #15); the portal's pages are in rights.urls."""

from __future__ import annotations

from django.urls import URLPattern, path  # noqa: F401

app_name = "rights_staff"
urlpatterns: list[URLPattern] = []
