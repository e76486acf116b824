"""Errors of the trainer, shared by ``training`` and ``export`` (stdlib only)."""

from __future__ import annotations


class TrainingError(ValueError):
    """Input the trainer cannot use (``code`` is stable: ``train.*``); nothing is written."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")
