from __future__ import annotations

from django.urls import path

from clientvault.dedupe import views

app_name = "dedupe"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("<uuid:cluster_id>/", views.cluster, name="cluster"),
    path("<uuid:cluster_id>/dismiss/", views.dismiss, name="dismiss"),
]
