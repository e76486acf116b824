from __future__ import annotations

from django.urls import path

from clientvault.rights import views

app_name = "rights"
urlpatterns = [
    path("", views.sign_in, name="sign_in"),
    path("verify/", views.verify, name="verify"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("me/", views.home, name="home"),
    path("consents/", views.consents, name="consents"),
    path("consents/<uuid:customer_id>/<slug:purpose>/give/", views.give, name="give"),
    path("consents/<uuid:customer_id>/<slug:purpose>/withdraw/", views.withdraw, name="withdraw"),
    path("requests/", views.my_requests, name="requests"),
    path("requests/new/", views.new_request, name="request_new"),
    path("requests/<uuid:rights_request_id>/parts/<slug:part>/download/", views.download, name="request_download"),
]
