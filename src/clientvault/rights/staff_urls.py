"""Staff pages of data-subject requests (issue #15); the portal's pages are in rights.urls."""

from __future__ import annotations

from django.urls import path

from clientvault.rights import staff_views as views

app_name = "rights_staff"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("new/", views.new, name="new"),
    path("<uuid:rights_request_id>/", views.detail, name="detail"),
    path("<uuid:rights_request_id>/verify/", views.verify, name="verify"),
    path("<uuid:rights_request_id>/extend/", views.extend, name="extend"),
    path("<uuid:rights_request_id>/refuse/", views.refuse, name="refuse"),
    path("<uuid:rights_request_id>/retry/", views.retry, name="retry"),
    path("<uuid:rights_request_id>/take/", views.take, name="take"),
    path("<uuid:rights_request_id>/parts/<slug:part>/download/", views.download, name="download"),
]
