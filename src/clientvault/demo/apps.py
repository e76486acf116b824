from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo organisation (``seeding``, ``consents``) and its commands: ``clientvault demo``, ``demo-otp``."""

    name = "clientvault.demo"
    label = "demo"
    verbose_name = _("Demo")
