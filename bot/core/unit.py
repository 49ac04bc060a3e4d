"""One use case, one unit of work: its repository calls share one connection and commit together.

The store runs the unit (`Repository.unit`: one connection, one transaction, run once
more if the connection turns out dead before the commit). Here the core keeps its
own side effects out of what may run twice: events published inside wait, and go
out once, after the commit. A UserError is an answer, not a failure: what was
written before it is kept, as it was before units existed; any other exception
rolls the whole unit back.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from .errors import UserError
from .events import HELD
from .ports import Repository

T = TypeVar("T")


def run(repo: Repository, work: Callable[[], T]) -> T:
    """`work()` as one unit of work; inside another unit it joins that one."""
    if HELD.get() is not None:
        return work()

    def attempt() -> tuple[T | None, UserError | None, list]:
        held: list = []  # a new list per attempt: a retried unit publishes once
        token = HELD.set(held)
        try:
            try:
                return work(), None, held
            except UserError as exc:
                return None, exc, held
        finally:
            HELD.reset(token)

    result, error, held = repo.unit(attempt)
    for events, event in held:
        events.deliver(event)
    if error is not None:
        raise error
    return result  # type: ignore[return-value]
