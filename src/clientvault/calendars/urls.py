from __future__ import annotations

from django.urls import URLPattern, path

from clientvault.calendars import views

app_name = "calendars"
urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
    path("days/", views.day_edit, name="day_edit"),
    path("<int:year>/", views.year, name="year"),
    path("<int:year>/coverage/", views.coverage, name="coverage"),
]
