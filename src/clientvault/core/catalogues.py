"""The edit page shared by the versioned, audited catalogues (field classification, purposes, …):
a form of the current values plus a reason, saved through the app's service as a new version,
beside the history of versions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise

from clientvault.core.errors import DomainError, ValidationFailed
from clientvault.core.forms import apply_errors


def edit_versioned(
    request: HttpRequest,
    *,
    row: Any,
    form_class: type[forms.Form],
    initial: Mapping[str, Any],
    save: Callable[[dict[str, Any], str], object],
    history: QuerySet[Any],
    saved_message: str | Promise | Callable[[object], str | Promise],
    success_url: str,
    template: str,
) -> HttpResponse:
    """GET shows the form and history; a valid POST calls ``save(data, reason)`` and redirects."""
    form = form_class(request.POST or None, initial=dict(initial))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason")
        try:
            result = save(data, reason)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        except DomainError as exc:  # refused (e.g. separation of duties): said on the form, nothing written
            form.add_error(None, str(exc))
        else:
            messages.success(request, str(saved_message(result) if callable(saved_message) else saved_message))
            return redirect(success_url)
    return render(request, template, {"row": row, "form": form, "history": history.select_related("changed_by")})
