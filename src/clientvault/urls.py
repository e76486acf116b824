from __future__ import annotations

from django.urls import include, path

from clientvault.access import session_views
from clientvault.api import api
from clientvault.core import views as core_views

urlpatterns = [
    path("", session_views.home, name="home"),
    path("accounts/", include("clientvault.accounts.urls")),
    path("customers/", include("clientvault.customers.urls")),
    path("classification/", include("clientvault.classification.urls")),
    path("access/", include("clientvault.access.urls")),
    path("audit/", include("clientvault.audit.urls")),
    path("consents/", include("clientvault.consents.urls")),
    path("approvals/", include("clientvault.approvals.urls")),
    path("assets/", include("clientvault.assets.urls")),
    path("merges/", include("clientvault.merges.urls")),
    path("duplicates/", include("clientvault.dedupe.urls")),
    path("imports/", include("clientvault.intake.urls")),
    path("home/", include("clientvault.home.urls")),
    path("portal/credit/", include("clientvault.risk.portal_urls")),  # PIPL-24: the credit decision explained
    path("portal/", include("clientvault.rights.urls")),
    path("rights/", include("clientvault.rights.staff_urls")),
    path("lifecycle/", include("clientvault.lifecycle.urls")),
    path("calendar/", include("clientvault.calendars.urls")),
    path("risk/", include("clientvault.risk.limit_urls")),  # issue #16: limits, terms, hold releases, reviews
    path("risk/", include("clientvault.risk.rule_urls")),  # issue #16: credit-control rules and the tier policy
    # Early warning (issue #16, slice "warnings"): the integrator may fold this into risk/urls.py.
    path("risk/", include("clientvault.risk.warning_urls")),
    path("risk/", include("clientvault.risk.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("health", core_views.health, name="health"),
]

handler400 = "clientvault.core.views.bad_request"
handler403 = "clientvault.core.views.permission_denied"
handler404 = "clientvault.core.views.page_not_found"
handler500 = "clientvault.core.views.server_error"
