"""The ``intake.undo`` change type: undoing an import is decided by a compliance officer other than the maker."""

from __future__ import annotations


def register() -> None:
    """Register the change type with approvals (filled in with the undo flow)."""
