"""Bridge from domain validation errors to Django forms (one validation path, shown inline)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.http import QueryDict

from clientvault.core.errors import ValidationFailed
from clientvault.core.text import clean_text


def apply_errors(form: forms.BaseForm, exc: ValidationFailed, prefix_map: Mapping[str, str] | None = None) -> None:
    """Attach each field error to its form field (``custom.key`` → ``custom__key``), else to the form."""
    prefix_map = prefix_map or {}
    for field, messages in exc.fields.items():
        name = prefix_map.get(field, field.replace("custom.", "custom__"))
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, str(message))
    if not exc.fields:
        form.add_error(None, str(exc))


class StyledForm(forms.Form):
    """A form whose widgets carry Bootstrap classes, so templates can render ``{{ field }}`` as is."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.is_bound and isinstance(self.data, QueryDict):
            # Zero-width and bidirectional control characters are removed before validation (issue #11);
            # a NUL character is refused by Django's own validator on every CharField.
            cleaned = self.data.copy()
            for key, values in self.data.lists():
                cleaned.setlist(key, [clean_text(v) if isinstance(v, str) else v for v in values])
            self.data = cleaned
        self.style_fields()

    def style_fields(self) -> None:
        """Add Bootstrap classes (again safe to call after adding fields)."""
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple):
                continue
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.NullBooleanSelect):
                css = "form-select"
            else:
                css = "form-control"
            if css not in widget.attrs.get("class", ""):
                widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()
