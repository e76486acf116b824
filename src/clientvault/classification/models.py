from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from clientvault.classification.catalogue import Category, JrtClass, MaskProfile
from clientvault.core.catalogues import EntryVersion, VersionedEntry


class FieldClassification(VersionedEntry):
    """The current classification of one personal-data field (JR/T 0171, PIPL, GB/T 35273)."""

    KEY = "key"
    EDITABLE = ("label_zh", "label_en", "category", "jrt_class", "pipl_sensitive", "gbt_sensitive", "mask_profile")

    key = models.CharField(_("field"), max_length=100, unique=True)
    label_zh = models.CharField(_("Chinese label"), max_length=100)
    label_en = models.CharField(_("English label"), max_length=100)
    category = models.CharField(_("data category"), max_length=20, choices=Category.choices)
    jrt_class = models.CharField(_("JR/T 0171 class"), max_length=2, choices=JrtClass.choices)
    pipl_sensitive = models.BooleanField(_("sensitive under PIPL Art. 28"), default=False)
    gbt_sensitive = models.BooleanField(_("sensitive under GB/T 35273"), default=False)
    mask_profile = models.CharField(_("masking"), max_length=12, choices=MaskProfile.choices)

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


class FieldClassificationVersion(EntryVersion):
    """Every version a classification has had: who set it, when, why (append-only at the database)."""

    KEY = "key"

    key = models.CharField(_("field"), max_length=100, db_index=True)

    class Meta:
        verbose_name = _("classification version")
        verbose_name_plural = _("classification versions")
        ordering = ["key", "-version"]
        constraints = [models.UniqueConstraint(fields=["key", "version"], name="classification_version_unique")]


FieldClassification.VERSIONS = FieldClassificationVersion
