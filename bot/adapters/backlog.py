"""A bound on slash commands acknowledged but not yet answered.

Acknowledging is cheap and must happen within 3 s; the work after it (the core, in
the worker threads of RECAPBOT_WORKER_THREADS) is not. Without a bound, a burst
queues work faster than the threads drain it and every answer comes later and
later. With one, a command beyond RECAPBOT_COMMAND_BACKLOG is answered at once with
a friendly "busy, try again" (on Slack in the acknowledgement itself, so refusing
costs no more than acknowledging) and not run: every command gets an answer, none
is dropped silently, and the waiting ones stay a bounded number away from theirs.
Used on the event loop only, so a counter needs no lock.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class Backlog:
    def __init__(self, capacity: int):
        self.capacity = capacity
        self.waiting = 0  # accepted, not yet answered

    @contextmanager
    def slot(self) -> Iterator[bool]:
        """True (and counted until the block ends) if there is room; False: answer "busy"."""
        if self.waiting >= self.capacity:
            yield False
            return
        self.waiting += 1
        try:
            yield True
        finally:
            self.waiting -= 1
