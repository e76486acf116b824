from __future__ import annotations

from django.urls import path

from clientvault.lifecycle import views

app_name = "lifecycle"
urlpatterns = [
    path("certificates/", views.certificate_list, name="certificates"),
    path("certificates/<uuid:certificate_id>/", views.certificate_download, name="certificate_download"),
]
