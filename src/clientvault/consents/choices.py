"""Enumerations of consent records (RULES.md §2 ConsentRecord); labels through gettext."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ConsentType(models.TextChoices):
    """PIPL-14 general consent; PIPL-23/29-30/39 separate consent; written where a law asks for it;
    PIPL-31 a guardian's consent for a person under 14."""

    GENERAL = "general", _("General consent")
    SEPARATE = "separate", _("Separate consent")
    WRITTEN = "written", _("Written consent")
    GUARDIAN = "guardian", _("Guardian's consent")


class CaptureChannel(models.TextChoices):
    COUNTER = "counter", _("At the counter")
    APP = "app", _("Mobile app")
    WEB = "web", _("Website or portal")
    PHONE = "phone", _("Phone")
    PAPER = "paper", _("Paper form")


class Action(models.TextChoices):
    GIVEN = "given", _("Given")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class State(models.TextChoices):
    """What a customer's consent for one purpose is now (the badge on the record: green, red, grey)."""

    LIVE = "live", _("Live")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    NONE = "none", _("Not given")


class Audience(models.TextChoices):
    GENERAL = "general", _("Adults")
    CHILD = "child", _("Children under 14 and their guardians")


class GuardianRelation(models.TextChoices):
    PARENT = "parent", _("Parent")
    GUARDIAN = "guardian", _("Legal guardian")
