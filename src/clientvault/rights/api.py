"""Data-subject requests over JSON (issue #15)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["rights"])
