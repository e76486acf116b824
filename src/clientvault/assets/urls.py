from __future__ import annotations

from django.urls import path

from clientvault.assets import views

app_name = "assets"
urlpatterns = [
    path("customers/<uuid:customer_id>/", views.customer_assets, name="customer"),
    path("customers/<uuid:customer_id>/open/", views.open_asset, name="open"),
    path("<uuid:asset_id>/", views.asset_detail, name="detail"),
    path("<uuid:asset_id>/move/", views.move, name="move"),
    path("<uuid:asset_id>/close/", views.close, name="close"),
    path("fx-rates/", views.fx_rates, name="fx_rates"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:alert_id>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
]
