"""Early-warning pages (issue #16). The integrator includes this module under ``/risk/`` with the namespace
``risk_warnings``: ``/risk/warnings/``, ``/risk/warnings/<id>/``, ``…/acknowledge/``, ``…/close/``."""

from __future__ import annotations

from django.urls import path

from clientvault.risk import warning_views as views

app_name = "risk_warnings"
urlpatterns = [
    path("warnings/", views.queue, name="queue"),
    path("warnings/<uuid:warning_id>/", views.detail, name="detail"),
    path("warnings/<uuid:warning_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("warnings/<uuid:warning_id>/close/", views.close, name="close"),
]
