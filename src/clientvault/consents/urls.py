from __future__ import annotations

from django.urls import path

from clientvault.consents import views

app_name = "consents"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("notices/", views.notices, name="notices"),
    path("notices/new/", views.publish, name="publish"),
    path("customers/<uuid:customer_id>/", views.customer_consents, name="customer"),
    path("customers/<uuid:customer_id>/<slug:purpose>/withdraw/", views.withdraw, name="withdraw"),
    path("records/<uuid:record_id>/evidence/", views.evidence, name="evidence"),
]
