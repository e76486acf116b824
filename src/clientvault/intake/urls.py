from __future__ import annotations

from django.urls import path

from clientvault.intake import views

app_name = "intake"
urlpatterns = [
    path("", views.batches, name="batches"),
    path("new/", views.upload, name="upload"),
    path("templates/", views.templates, name="templates"),
    path("templates/<uuid:template_id>/", views.template_detail, name="template"),
    path("<uuid:batch_id>/", views.detail, name="detail"),
    path("<uuid:batch_id>/mapping/", views.mapping, name="mapping"),
    path("<uuid:batch_id>/dry-run/", views.dry_run, name="dry_run"),
    path("<uuid:batch_id>/start/", views.start, name="start"),
    path("<uuid:batch_id>/progress/", views.progress, name="progress"),
    path("<uuid:batch_id>/rejected.csv", views.rejected, name="rejected"),
    path("<uuid:batch_id>/undo/", views.undo, name="undo"),
]
