"""The limits slice's pages (issue #16): included at /risk/ beside the credit desk's own urls."""

from __future__ import annotations

from django.urls import path

from clientvault.risk import limit_views

app_name = "risk_limits"

urlpatterns = [
    path("files/<uuid:credit_file_id>/limits/new/", limit_views.limit_new, name="limit_new"),
    path("files/<uuid:credit_file_id>/terms/", limit_views.terms_change, name="terms_change"),
    path("holds/<uuid:credit_hold_id>/release/", limit_views.hold_release, name="hold_release"),
    path("reviews/<uuid:credit_review_id>/complete/", limit_views.review_complete, name="review_complete"),
]
