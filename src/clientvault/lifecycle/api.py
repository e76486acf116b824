"""The lifecycle API (issue #15)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["lifecycle"])
