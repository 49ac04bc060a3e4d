"""The adapters: Slack, Discord and the console, all of one shape.

An adapter is built from explicit arguments (the core, the settings it needs,
its platform client) and offers the composition root (bot/app.py) two things:
`chat`, the core's Chat port the scheduler posts through, and `runner`, its
`run()` coroutine (serves until cancelled) named for the supervisor, which
restarts it with backoff. Core calls block (they use the database), so every
adapter makes them with `core_call`, off the event loop.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from ..core.ports import Chat
from ..supervisor import Runner

T = TypeVar("T")


class Adapter(Protocol):
    chat: Chat
    runner: Runner

    def run(self) -> Awaitable[object]: ...


async def core_call(fn: Callable[..., T], *args: object) -> T:
    """Run a blocking core call in a worker thread, so the event loop keeps serving."""
    return await asyncio.to_thread(fn, *args)
