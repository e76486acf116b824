from __future__ import annotations

from django.urls import path

from clientvault.risk import portal_views

app_name = "credit_portal"
urlpatterns = [
    path("", portal_views.overview, name="overview"),
    path("<uuid:score_id>/", portal_views.score, name="score"),
    path("<uuid:score_id>/review/", portal_views.ask_review, name="ask_review"),
]
