"""zh/en labels of the access vocabulary (glossary terms), shared by pages and forms."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clientvault.access.policies import Decision, Scope

ACTION_LABELS = {
    "view": pgettext_lazy("access action", "View"),
    "create": pgettext_lazy("access action", "Create"),
    "change": pgettext_lazy("access action", "Change"),
    "delete": pgettext_lazy("access action", "Delete"),
    "export": pgettext_lazy("access action", "Export"),
    "reveal": pgettext_lazy("access action", "Reveal"),
}
SCOPE_LABELS = {
    Scope.NONE: _("No rows"),
    Scope.OWN: _("Own customers"),
    Scope.SUBTREE: _("Department and below"),
    Scope.ENTITY: _("Whole legal entity"),
    Scope.ALL: _("All customers"),
}
DECISION_LABELS = {
    Decision.PLAIN: _("In clear"),
    Decision.MASKED: _("Masked"),
    Decision.WITHHELD: _("Withheld"),
}
RESOURCE_LABELS = {"customer": _("Customers"), "followup": _("Follow-ups"), "asset": _("Assets")}
