"""The one guard every command, form and button runs inside.

A person's mistake is a UserError and gets its own message elsewhere; anything
else is our bug or an outage. The guard logs its traceback (naming what ran,
never what was typed) and hands back the same short sentence on every
platform, so one bad input never stops the process or leaves a person with
no answer.
"""
from __future__ import annotations

import logging
from types import TracebackType

from . import texts
from .errors import UserError

log = logging.getLogger("recapbot")


def unexpected(what: str, exc: BaseException) -> str:
    """Log an unexpected failure with its traceback; return the words to show the person."""
    log.error("%s failed", what, exc_info=(type(exc), exc, exc.__traceback__))
    return texts.SOMETHING_WENT_WRONG


class guard:
    """`with guard("console /recap status") as g: ...` then `if g.failed: show(g.message)`.

    Swallows any Exception except a UserError (which callers answer themselves);
    cancellation and KeyboardInterrupt pass through. Usable around awaits too.
    """

    def __init__(self, what: str):
        self.what = what
        self.message: str | None = None

    @property
    def failed(self) -> bool:
        return self.message is not None

    def __enter__(self) -> "guard":
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> bool:
        if exc is None or not isinstance(exc, Exception) or isinstance(exc, UserError):
            return False
        self.message = unexpected(self.what, exc)
        return True
