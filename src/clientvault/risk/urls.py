from __future__ import annotations

from django.urls import path

from clientvault.risk import views

app_name = "risk"
urlpatterns = [
    path("", views.portfolio, name="portfolio"),
    path("files/", views.files, name="files"),
    path("files/<uuid:file_id>/", views.file_detail, name="file"),
    path("files/<uuid:file_id>/holds/", views.place_hold, name="place_hold"),
    path("scores/<uuid:score_id>/", views.score_detail, name="score"),
    path("reviews/", views.reviews, name="reviews"),
    path("report/", views.report, name="report"),
    path("report.pdf", views.report_pdf, name="report_pdf"),
]
