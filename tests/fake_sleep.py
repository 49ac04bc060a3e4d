"""A fake `asyncio.sleep` for backoff tests: nothing waits for time to pass."""
from __future__ import annotations

import asyncio


class FakeSleep:
    """Records each delay asked for, then holds the sleeper until the test calls release()."""

    def __init__(self):
        self.delays: list[float] = []
        self.slept: asyncio.Queue[float] = asyncio.Queue()
        self._go = asyncio.Semaphore(0)

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await self.slept.put(delay)
        await self._go.acquire()

    def release(self, times: int = 1) -> None:
        for _ in range(times):
            self._go.release()
