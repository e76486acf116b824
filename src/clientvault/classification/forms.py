from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from clientvault.classification.catalogue import Category, JrtClass, MaskProfile
from clientvault.core.forms import StyledForm


class ClassificationForm(StyledForm):
    label_zh = forms.CharField(label=_("Chinese label"), max_length=100)
    label_en = forms.CharField(label=_("English label"), max_length=100)
    category = forms.ChoiceField(label=_("Data category"), choices=Category.choices)
    jrt_class = forms.ChoiceField(label=_("JR/T 0171 class"), choices=JrtClass.choices)
    pipl_sensitive = forms.BooleanField(label=_("Sensitive personal information (PIPL Art. 28)"), required=False)
    gbt_sensitive = forms.BooleanField(label=_("Sensitive under GB/T 35273"), required=False)
    mask_profile = forms.ChoiceField(label=_("Masking"), choices=MaskProfile.choices)
    reason = forms.CharField(label=_("Reason for the change"), max_length=300)
