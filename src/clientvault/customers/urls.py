from __future__ import annotations

from django.urls import path

from clientvault.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("export.csv", views.customer_export, name="export"),
    path("<uuid:customer_id>/", views.customer_detail, name="detail"),
    path("<uuid:customer_id>/edit/", views.customer_edit, name="edit"),
    path("<uuid:customer_id>/delete/", views.customer_delete, name="delete"),
    path("<uuid:customer_id>/clear-core/", views.customer_clear_core, name="clear_core"),
    path("<uuid:customer_id>/reveal/<str:field>/", views.customer_reveal, name="reveal"),
    path("<uuid:customer_id>/followups/", views.followup_create, name="followup_create"),
    path("<uuid:customer_id>/followups/<uuid:followup_id>/delete/", views.followup_delete, name="followup_delete"),
    path("custom-fields/", views.custom_fields, name="custom_fields"),
    path("custom-fields/new/", views.custom_field_edit, name="custom_field_create"),
    path("custom-fields/<slug:key>/", views.custom_field_edit, name="custom_field_edit"),
]
