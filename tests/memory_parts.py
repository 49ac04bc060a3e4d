"""A PostParts recorded in memory, for adapter tests that drive the Chat port directly.

`crash_at` makes the recorder die on that part, after the platform accepted
it and before it is recorded: the window a SIGKILL can hit.
"""
from __future__ import annotations

from bot.core.delivery import PostParts


class Crash(BaseException):
    """The process 'died' before the part's ref was committed."""


class MemoryParts:
    def __init__(self, key: str = "k", crash_at: int | None = None):
        self.key = key
        self.recorded: list[str] = []
        self.crash_at = crash_at

    def parts(self) -> PostParts:
        """What a fresh start would read back from the database."""
        async def record(index: int, ref: str) -> bool:
            if index == self.crash_at:
                self.crash_at = None
                raise Crash(f"killed before recording part {index}")
            assert index == len(self.recorded)
            self.recorded.append(ref)
            return True
        return PostParts(self.key, self.recorded, record)
