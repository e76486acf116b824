"""Forms of the import wizard (issue #14): the upload with its provenance, the column mapping, the undo request.

Forms validate shape only; the services decide (one validation path): a file the engine cannot read, a
mapping it refuses, or an undo outside the window come back as ``ValidationFailed`` and are shown in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clientvault.access.purposes import LegalBasis
from clientvault.core.forms import StyledForm
from clientvault.intake.models import MappingTemplate, OnMatch

IGNORE = ""  # the mapping select's "do not import this column"
MAX_NAME = 100


def latest_templates() -> list[MappingTemplate]:
    """The newest version of every saved mapping template, by name."""
    seen: dict[str, MappingTemplate] = {}
    for template in MappingTemplate.objects.order_by("name", "-version"):
        seen.setdefault(template.name, template)
    return list(seen.values())


class UploadForm(StyledForm):
    """Step 1: the file and where it came from (PIPL-13-lawful-basis: the basis is stated per batch)."""

    file = forms.FileField(label=_("File (CSV, XLSX, XLS or ODS)"), allow_empty_file=False)
    source_system = forms.CharField(
        label=_("Source system"), max_length=100, help_text=_("Where the data comes from, e.g. the old CRM or a branch's spreadsheet.")
    )
    # No default: the basis is a deliberate choice of the person importing (PIPL-13-lawful-basis).
    lawful_basis = forms.ChoiceField(label=_("Lawful basis"), choices=[("", "—"), *LegalBasis.choices])
    consent_evidence_ref = forms.CharField(
        label=_("Consent evidence reference"),
        max_length=200,
        required=False,
        help_text=_("Where the signed consents are kept (required when the basis is consent)."),
    )
    on_match = forms.ChoiceField(label=_("When a row matches an existing customer"), choices=OnMatch.choices, initial=OnMatch.SKIP)
    sheet = forms.CharField(label=_("Sheet (spreadsheets only)"), max_length=100, required=False, help_text=_("Empty: the first sheet."))
    template: forms.ChoiceField = forms.ChoiceField(label=_("Mapping template"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, str]] = [("", str(_("Guess from the column headers")))]
        choices += [(str(t.pk), f"{t.name} v{t.version}") for t in latest_templates()]
        self.fields["template"].choices = choices  # type: ignore[attr-defined]
        self.fields["file"].widget.attrs["accept"] = ".csv,.xlsx,.xls,.ods,text/csv"
        self.style_fields()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # PIPL-13-lawful-basis: an import resting on consent names where the consents are evidenced.
        if data.get("lawful_basis") == LegalBasis.CONSENT and not (data.get("consent_evidence_ref") or "").strip():
            self.add_error("consent_evidence_ref", _("Name where the consents are kept: the basis is consent."))
        return data


class MappingForm(StyledForm):
    """Step 2: one select per column of the file (a field code, or "do not import"); optionally saved as a template."""

    save_as = forms.CharField(
        label=_("Save as template"), max_length=MAX_NAME, required=False, help_text=_("Saving under an existing name makes a new version.")
    )

    def __init__(
        self, *args: Any, columns: Sequence[str], choices: Sequence[tuple[str, str]], initial_mapping: dict[str, str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.columns = list(columns)
        self.proposed = dict(initial_mapping)
        options = [(IGNORE, str(_("— do not import —"))), *choices]
        for index, column in enumerate(self.columns):
            self.fields[self.field_name(index)] = forms.ChoiceField(
                label=column, choices=options, required=False, initial=initial_mapping.get(column, IGNORE)
            )
        self.style_fields()

    @staticmethod
    def field_name(index: int) -> str:
        return f"col_{index}"

    def column_fields(self) -> list[tuple[str, forms.BoundField]]:
        return [(column, self[self.field_name(i)]) for i, column in enumerate(self.columns)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        used: dict[str, str] = {}
        for index, column in enumerate(self.columns):
            code = data.get(self.field_name(index)) or IGNORE
            if code == IGNORE:
                continue
            if code in used:
                self.add_error(self.field_name(index), _("This field is already mapped from another column."))
            used[code] = column
        if not used and not self.errors:
            raise forms.ValidationError(_("Map at least one column to a field."))
        return data

    def mapping(self) -> dict[str, str]:
        """Column header → field code, for the mapped columns only."""
        data = self.cleaned_data
        return {c: data[self.field_name(i)] for i, c in enumerate(self.columns) if data.get(self.field_name(i))}


class UndoForm(StyledForm):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
