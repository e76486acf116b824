"""The working-day calendar: Chinese public holidays and make-up working days (调休上班), year by year.

Plain reference data, nothing personal. A day is never edited in place: an edit writes the day's next version
(``CalendarDay.version``), and the highest version of a date is the one in force — the earlier ones stay as
history, each with its source and the State Council notice it cites. A year is *covered* only when its days
have been entered (seeded from the chinese-calendar package, or by an administrator citing the notice); the
deadline arithmetic refuses to guess for any other year (fail closed, ``services.CalendarNotCovered``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

NOTICE_LENGTH = 200


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Public holiday")
    WORKDAY = "workday", _("Make-up working day")
    # Withdraws an earlier entry: the date follows the weekday rule again (Monday to Friday work).
    ORDINARY = "ordinary", _("Ordinary day")


class DayName(models.TextChoices):
    """The festival a day belongs to (the package's ``Holiday`` names, plus ``other`` for anything else)."""

    NEW_YEARS_DAY = "new_years_day", _("New Year's Day")
    SPRING_FESTIVAL = "spring_festival", _("Spring Festival")
    TOMB_SWEEPING_DAY = "tomb_sweeping_day", _("Tomb-sweeping Day")
    LABOUR_DAY = "labour_day", _("Labour Day")
    DRAGON_BOAT_FESTIVAL = "dragon_boat_festival", _("Dragon Boat Festival")
    MID_AUTUMN_FESTIVAL = "mid_autumn_festival", _("Mid-autumn Festival")
    NATIONAL_DAY = "national_day", _("National Day")
    ANTI_FASCIST_70TH_DAY = "anti_fascist_70th_day", _("Anti-Fascist War Victory 70th Anniversary")
    OTHER = "other", _("Other")


ADMIN_SOURCE = "admin"


class CalendarDay(models.Model):
    """One version of one date's entry. Written once, never updated: the next edit is the next version."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    day = models.DateField(_("date"), db_index=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    kind = models.CharField(_("kind"), max_length=10, choices=DayKind.choices)
    name = models.CharField(_("festival"), max_length=30, choices=DayName.choices, default=DayName.OTHER)
    # "chinese-calendar 1.11.0" for seeded rows, "admin" for an administrator's entry.
    source = models.CharField(_("source"), max_length=40)
    notice = models.CharField(_("notice cited"), max_length=NOTICE_LENGTH, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    # When this version came into force (the moment it was recorded); a later version supersedes it.
    effective_from = models.DateTimeField(_("in force from"))
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by", verbose_name=_("supersedes")
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ("day", "version")
        constraints = [
            # Two concurrent edits of one date: the second fails instead of both becoming "version 2".
            models.UniqueConstraint(fields=["day", "version"], name="calendars_day_version_unique"),
            models.CheckConstraint(condition=models.Q(kind__in=DayKind.values), name="calendars_day_kind_known"),
        ]

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {self.kind} v{self.version}"


class CalendarYear(models.Model):
    """Whether the table covers a year: its holidays and make-up working days are all entered."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    covered = models.BooleanField(_("covered"), default=False)
    source = models.CharField(_("source"), max_length=40)
    notice = models.CharField(_("notice cited"), max_length=NOTICE_LENGTH, blank=True)
    seeded_at = models.DateTimeField(_("seeded"), null=True, blank=True)
    changed_at = models.DateTimeField(_("changed"))
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ("year",)
        constraints = [models.CheckConstraint(condition=models.Q(year__gte=1949, year__lte=2200), name="calendars_year_range")]

    def __str__(self) -> str:
        return str(self.year)
