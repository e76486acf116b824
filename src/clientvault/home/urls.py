from __future__ import annotations

from django.urls import path

from clientvault.home import views

app_name = "home"
urlpatterns = [
    path("", views.index, name="index"),
    path("notifications/", views.notification_list, name="notifications"),
]
