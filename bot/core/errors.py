"""Errors a person caused and can fix: they carry a friendly message."""
from __future__ import annotations


class UserError(Exception):
    """Bad input or a refused action; the message is shown to the user as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class FieldErrors(UserError):
    """Per-field problems with a form, so adapters can show them inline."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__(" ".join(errors.values()))


class NotAllowed(UserError):
    """The person may not do this (for example, change team settings)."""
