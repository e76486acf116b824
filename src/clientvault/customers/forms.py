"""Customer and follow-up forms: they parse types; the services validate the domain rules."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clientvault.classification.catalogue import Category, JrtClass, MaskProfile
from clientvault.core import countries
from clientvault.core.forms import StyledForm
from clientvault.customers.choices import AppliesTo, Channel, FieldType, IdType, Industry, Kind, Residency, ReviewStatus, Source, Status
from clientvault.customers.models import CustomFieldDefinition

BLANK: list[tuple[str, str]] = [("", "—")]


def _choices(enum: Any) -> list[tuple[str, str]]:
    return BLANK + list(enum.choices)


class CustomerForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices, initial=Status.PROSPECT)
    source = forms.ChoiceField(label=_("Source"), choices=_choices(Source), required=False)
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separate tags with commas."))
    is_core = forms.BooleanField(label=_("Core customer (strictest protection)"), required=False)
    owner_id = forms.TypedChoiceField(label=_("Owner"), coerce=int, required=False, empty_value=None)
    # Both kinds. Only the account number: CVV, expiry and PIN are never asked for (JRT0171-STORE-C3-no-retain).
    bank_card = forms.CharField(
        label=_("Bank card number"),
        max_length=40,
        required=False,
        help_text=_("12 to 19 digits; spaces and hyphens are ignored. Never enter the CVV, expiry date or PIN."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    # individuals
    id_type = forms.ChoiceField(label=_("ID type"), choices=_choices(IdType), required=False)
    id_number = forms.CharField(label=_("ID number"), max_length=40, required=False)
    birth_date = forms.DateField(
        label=_("Date of birth"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Filled in from a resident ID number."),
    )
    mobile = forms.CharField(label=_("Mobile"), max_length=20, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    nationality = forms.ChoiceField(label=_("Nationality"), choices=countries.choices, required=False)  # stores the ISO code
    residency = forms.ChoiceField(label=_("Residency"), choices=_choices(Residency), required=False)
    occupation = forms.CharField(label=_("Occupation"), max_length=100, required=False)
    # organisations
    uscc = forms.CharField(label=_("Unified social credit code"), max_length=30, required=False)
    accept_uscc_checksum_failure = forms.BooleanField(
        label=_("The code fails the check digit but matches the business licence (flag for review)"), required=False
    )
    # Issue #14: shown with the possible-duplicates panel; ticked, the save goes past warnings (audited).
    confirm_duplicates = forms.BooleanField(label=_("Save (confirmed: not a duplicate customer)"), required=False)
    legal_representative = forms.CharField(label=_("Legal representative"), max_length=100, required=False)
    registered_address = forms.CharField(label=_("Registered address"), max_length=300, required=False)
    industry = forms.ChoiceField(label=_("Industry"), choices=_choices(Industry), required=False)

    INDIVIDUAL = ("id_type", "id_number", "birth_date", "mobile", "email", "address", "nationality", "residency", "occupation")
    ORGANISATION = ("uscc", "accept_uscc_checksum_failure", "legal_representative", "registered_address", "industry")

    def __init__(
        self, *args: Any, kind: str, owners: list[tuple[int, str]] | None = None, locked: Collection[str] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        for name in self.ORGANISATION if kind == Kind.INDIVIDUAL else self.INDIVIDUAL:
            del self.fields[name]
        # Fields the actor does not see in clear under the current purpose cannot be edited (they would
        # be overwritten with their masked form); the page lists them instead.
        self.locked_labels = [str(self.fields[n].label) for n in locked if n in self.fields]
        for name in locked:
            self.fields.pop(name, None)
        if owners:
            owner_field = self.fields["owner_id"]
            assert isinstance(owner_field, forms.TypedChoiceField)
            owner_field.choices = [("", _("Me")), *((str(pk), label) for pk, label in owners)]
        else:
            del self.fields["owner_id"]
        language = get_language()
        self.custom_keys: list[str] = []
        for d in CustomFieldDefinition.objects.filter(active=True, applies_to__in=[AppliesTo.BOTH, kind]):
            if f"custom.{d.key}" in locked:
                self.locked_labels.append(d.label(language))
                continue
            self.fields[f"custom__{d.key}"] = _custom_field(d, language)
            self.custom_keys.append(d.key)
        self.style_fields()

    def standard_data(self) -> dict[str, Any]:
        skip = {"tags", "owner_id", "accept_uscc_checksum_failure", "confirm_duplicates"}
        return {k: v for k, v in self.cleaned_data.items() if not k.startswith("custom__") and k not in skip}

    def custom_data(self) -> dict[str, Any]:
        return {k: self.cleaned_data.get(f"custom__{k}") for k in self.custom_keys}

    def tag_names(self) -> list[str] | None:
        """The tags entered; None when the tags are locked for this actor (not shown in clear: left alone)."""
        if "tags" not in self.fields:
            return None
        return [t.strip() for t in (self.cleaned_data.get("tags") or "").replace("，", ",").split(",") if t.strip()]

    def custom_fields(self) -> list[forms.BoundField]:
        return [self[f"custom__{k}"] for k in self.custom_keys]


def _custom_field(d: CustomFieldDefinition, language: str | None) -> forms.Field:
    label = d.label(language)
    # Required-ness is checked by the service (one validation path); the form only parses.
    common: dict[str, Any] = {"label": label, "required": False}
    if d.field_type == FieldType.INTEGER:
        return forms.IntegerField(**common)
    if d.field_type == FieldType.DECIMAL:
        return forms.DecimalField(**common)
    if d.field_type == FieldType.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **common)
    if d.field_type == FieldType.BOOLEAN:
        return forms.NullBooleanField(**common)
    if d.field_type == FieldType.CHOICE:
        key = "label_en" if (language or "").startswith("en") else "label_zh"
        return forms.ChoiceField(choices=BLANK + [(c["value"], c[key]) for c in d.choices], **common)
    return forms.CharField(max_length=500, **common)


class FollowUpForm(StyledForm):
    occurred_at = forms.DateTimeField(
        label=_("Date and time"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    summary = forms.CharField(label=_("Summary"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    next_step = forms.CharField(label=_("Next step"), max_length=500, required=False)
    next_step_due = forms.DateField(
        label=_("Next step due"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("occurred_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))


class CustomerFilterForm(StyledForm):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_(
            "Exact match on the whole name, ID number, mobile, e-mail or credit code: "
            "they are stored encrypted, so part of a name finds nothing."
        ),
    )
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("All statuses")), *Status.choices], required=False)
    kind = forms.ChoiceField(label=_("Type"), choices=[("", _("All types")), *Kind.choices], required=False)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=40)
    review = forms.ChoiceField(label=_("entry review"), choices=[("", _("Any review status")), *ReviewStatus.choices], required=False)
    due = forms.ChoiceField(
        label=_("Next step"),
        required=False,
        choices=[("", _("Any")), ("today", _("My follow-ups due today")), ("overdue", _("My overdue follow-ups"))],
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("-created", _("Newest first")),
            ("created", _("Oldest first")),
            ("-updated", _("Recently updated")),
        ],
    )
    page = forms.IntegerField(required=False, min_value=1)


class CustomFieldForm(StyledForm):
    key = forms.SlugField(label=_("Key"), max_length=40, help_text=_("Lower-case letters, digits and underscores; cannot change later."))
    field_type = forms.ChoiceField(label=_("Type"), choices=FieldType.choices)
    label_zh = forms.CharField(label=_("Chinese label"), max_length=100)
    label_en = forms.CharField(label=_("English label"), max_length=100)
    applies_to = forms.ChoiceField(label=_("Applies to"), choices=AppliesTo.choices)
    required = forms.BooleanField(label=_("Required"), required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=1000, initial=0)
    choices_text = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line: value | Chinese label | English label. Only for choice fields."),
    )

    # Optional: left empty, the cautious default applies (C2, hidden unless revealed).
    jrt_class = forms.ChoiceField(label=_("JR/T 0171 class"), choices=JrtClass.choices, initial=JrtClass.C2, required=False)
    category = forms.ChoiceField(label=_("Data category"), choices=Category.choices, initial=Category.OTHER, required=False)
    pipl_sensitive = forms.BooleanField(label=_("Sensitive personal information (PIPL Art. 28)"), required=False)
    mask_profile = forms.ChoiceField(label=_("Masking"), choices=MaskProfile.choices, initial=MaskProfile.HIDDEN, required=False)
    CLASSIFICATION = ("jrt_class", "category", "pipl_sensitive", "mask_profile")

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["key"].disabled = True
            self.fields["field_type"].disabled = True
            for name in self.CLASSIFICATION:  # changed on the field catalogue page, with a reason
                del self.fields[name]

    def classification(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.CLASSIFICATION if self.cleaned_data.get(name) not in (None, "")}

    def parsed_choices(self) -> list[dict[str, str]]:
        out = []
        for line in (self.cleaned_data.get("choices_text") or "").splitlines():
            parts = [p.strip() for p in line.split("|")]
            if parts and parts[0]:
                out.append(
                    {
                        "value": parts[0],
                        "label_zh": parts[1] if len(parts) > 1 else parts[0],
                        "label_en": parts[2] if len(parts) > 2 else parts[0],
                    }
                )
        return out
