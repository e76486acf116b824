from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clientvault.classification.catalogue import Category, JrtClass, MaskProfile


class FieldClassification(models.Model):
    """The current classification of one personal-data field (JR/T 0171, PIPL, GB/T 35273)."""

    key = models.CharField(_("field"), max_length=100, unique=True)
    label_zh = models.CharField(_("Chinese label"), max_length=100)
    label_en = models.CharField(_("English label"), max_length=100)
    category = models.CharField(_("data category"), max_length=20, choices=Category.choices)
    jrt_class = models.CharField(_("JR/T 0171 class"), max_length=2, choices=JrtClass.choices)
    pipl_sensitive = models.BooleanField(_("sensitive under PIPL Art. 28"), default=False)
    gbt_sensitive = models.BooleanField(_("sensitive under GB/T 35273"), default=False)
    mask_profile = models.CharField(_("masking"), max_length=12, choices=MaskProfile.choices)
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("field classification")
        verbose_name_plural = _("field classifications")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key

    @property
    def sensitive(self) -> bool:
        return self.pipl_sensitive or self.gbt_sensitive

    def label(self, language: str | None) -> str:
        return self.label_en if (language or "").startswith("en") else self.label_zh


class FieldClassificationVersion(models.Model):
    """Every version a classification has had: who set it, when, why. Never updated."""

    key = models.CharField(_("field"), max_length=100, db_index=True)
    version = models.PositiveIntegerField(_("version"))
    snapshot = models.JSONField(_("classification"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(_("changed"), auto_now_add=True)

    class Meta:
        verbose_name = _("classification version")
        verbose_name_plural = _("classification versions")
        ordering = ["key", "-version"]
        constraints = [models.UniqueConstraint(fields=["key", "version"], name="classification_version_unique")]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"
