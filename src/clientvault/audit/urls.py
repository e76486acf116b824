from __future__ import annotations

from django.urls import path

from clientvault.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.search, name="search"),
    path("customers/<uuid:customer_id>/", views.customer_history, name="customer_history"),
    path("evidence/", views.evidence_download, name="evidence"),
]
