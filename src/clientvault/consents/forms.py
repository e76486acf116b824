from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clientvault.access.models import Purpose
from clientvault.classification.catalogue import Category
from clientvault.consents.choices import Audience, CaptureChannel, ConsentType, GuardianRelation
from clientvault.consents.models import NoticeVersion
from clientvault.core.forms import StyledForm


class CaptureForm(StyledForm):
    """Consent taken at the counter (or from a paper form), with its evidence (PIPL-14, GDPR-7)."""

    purpose = forms.ChoiceField(label=_("Purpose"))
    notice = forms.ChoiceField(label=_("Notice shown to the customer"))
    consent_type = forms.ChoiceField(label=_("Type of consent"), choices=ConsentType.choices)
    categories = forms.MultipleChoiceField(
        label=_("Data categories consented to"), choices=Category.choices, widget=forms.CheckboxSelectMultiple
    )
    recipients = forms.CharField(
        label=_("Recipients (one per line, as named in the notice)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    destination_country = forms.CharField(label=_("Destination country (cross-border)"), required=False, max_length=2)
    channel = forms.ChoiceField(label=_("How it was given"), choices=CaptureChannel.choices, initial=CaptureChannel.COUNTER)
    guardian_relation = forms.ChoiceField(label=_("Given by (for a child)"), choices=[("", "—"), *GuardianRelation.choices], required=False)
    guardian_name = forms.CharField(label=_("Guardian's name"), required=False, max_length=100)
    expires_on = forms.DateField(label=_("Valid until (optional)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    not_preticked = forms.BooleanField(label=_("The customer ticked an empty box themselves"), required=False)
    not_bundled = forms.BooleanField(label=_("It was asked on its own, not bundled with other terms"), required=False)
    evidence = forms.FileField(label=_("Scan of the signed form (PDF, PNG or JPEG)"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = get_language()
        self.fields["purpose"].choices = [(p.code, p.name(language)) for p in Purpose.objects.filter(needs_consent=True, active=True)]  # type: ignore[attr-defined]
        from clientvault.consents.preconditions import current_notices

        self.fields["notice"].choices = [  # type: ignore[attr-defined]
            (
                str(n.pk),
                f"{n.title(language)} · v{n.version}{' · ' + str(Audience(n.audience).label) if n.audience == Audience.CHILD else ''}",
            )
            for n in current_notices()
        ]
        self.style_fields()


class WithdrawForm(StyledForm):
    channel = forms.ChoiceField(label=_("How it was withdrawn"), choices=CaptureChannel.choices, initial=CaptureChannel.COUNTER)


class NoticeForm(StyledForm):
    notice = forms.SlugField(label=_("Notice code"), max_length=40)
    audience = forms.ChoiceField(label=_("Written for"), choices=Audience.choices)
    title_zh = forms.CharField(label=_("Chinese title"), max_length=200)
    title_en = forms.CharField(label=_("English title"), max_length=200)
    body_zh = forms.CharField(label=_("Chinese text"), widget=forms.Textarea(attrs={"rows": 6}), max_length=20_000)
    body_en = forms.CharField(label=_("English text"), widget=forms.Textarea(attrs={"rows": 6}), max_length=20_000)
    purposes = forms.MultipleChoiceField(label=_("Purposes it asks consent for"), widget=forms.CheckboxSelectMultiple)
    categories = forms.MultipleChoiceField(label=_("Data categories"), choices=Category.choices, widget=forms.CheckboxSelectMultiple)
    recipients = forms.CharField(label=_("Recipients (one per line)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    destination_countries = forms.CharField(label=_("Destination countries (two-letter codes, comma separated)"), required=False)
    retention_days = forms.IntegerField(label=_("Retention (days)"), min_value=1, max_value=36_500)
    rights_zh = forms.CharField(label=_("How to exercise rights (Chinese)"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    rights_en = forms.CharField(label=_("How to exercise rights (English)"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    necessity_zh = forms.CharField(
        label=_("Why sensitive data is necessary (Chinese)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    necessity_en = forms.CharField(
        label=_("Why sensitive data is necessary (English)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    impact_zh = forms.CharField(label=_("How it affects the customer (Chinese)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    impact_en = forms.CharField(label=_("How it affects the customer (English)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = get_language()
        self.fields["purposes"].choices = [(p.code, p.name(language)) for p in Purpose.objects.filter(needs_consent=True)]  # type: ignore[attr-defined]
        self.style_fields()

    @staticmethod
    def initial_from(version: NoticeVersion) -> dict[str, Any]:
        """A new version starts from the current one."""
        data: dict[str, Any] = {f: getattr(version, f) for f in NOTICE_FORM_FIELDS}
        data["recipients"] = "\n".join(version.recipients)
        data["destination_countries"] = ", ".join(version.destination_countries)
        return data


NOTICE_FORM_FIELDS = (
    "notice", "audience", "title_zh", "title_en", "body_zh", "body_en", "purposes", "categories", "retention_days",
    "rights_zh", "rights_en", "necessity_zh", "necessity_en", "impact_zh", "impact_en",
)  # fmt: skip


def lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]
