"""The composition root: settings -> engine -> core -> adapters, on one event loop."""
from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.engine import Engine

from .adapters import Adapter
from .config import Settings
from .core.events import Events, RecapSubmitted, ScheduleChanged
from .core.ports import Chat, Clock, SystemClock
from .core.service import Core
from .store.db import make_engine, upgrade
from .store.repo import SqlRepository

log = logging.getLogger("recapbot")


@dataclass
class App:
    settings: Settings
    engine: Engine
    core: Core
    # Each runner is a coroutine that serves until cancelled (an adapter, the scheduler).
    runners: list[Callable[[], Awaitable[object]]] = field(default_factory=list)
    # The adapters that can post, by platform ("console", "slack", "discord"); see core.ports.Chat.
    chats: dict[str, Chat] = field(default_factory=dict)


def build(settings: Settings, clock: Clock | None = None, migrate: bool = True) -> App:
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    core = Core.build(
        SqlRepository(engine), clock or SystemClock(),
        default_timezone=settings.timezone, default_team_name=settings.team_name,
    )
    return App(settings=settings, engine=engine, core=core)


def attach_adapters(app: App, console: bool = False) -> None:
    """Attach each adapter whose tokens are set; the console when asked or when none is."""
    settings = app.settings
    if settings.slack_enabled and not console:
        attach_slack(app)
    if settings.discord_enabled and not console:
        attach_discord(app)
    if console or not app.chats:
        attach_console(app)
    attach_scheduler(app)


def _add(app: App, adapter: Adapter) -> None:
    """Every adapter has one shape: a Chat for the scheduler, a runner for serve()."""
    app.chats[adapter.chat.platform] = adapter.chat
    app.runners.append(adapter.run)


def attach_slack(app: App):
    """Slack's runner and Chat; its App Home follows every submission, however it was made."""
    from .adapters.slack.app import slack_adapter

    adapter = slack_adapter(app.core, app.settings, app.engine)
    _add(app, adapter)
    app.core.events.subscribe(RecapSubmitted, adapter.on_recap_submitted)
    return adapter


def attach_discord(app: App):
    from .adapters.discord_bot import DiscordAdapter

    adapter = DiscordAdapter(app.core, app.settings)
    _add(app, adapter)
    return adapter


def attach_console(app: App):
    from .adapters.console import ConsoleAdapter

    adapter = ConsoleAdapter(app.core)
    _add(app, adapter)
    return adapter


def attach_scheduler(app: App):
    """Reminders and digests for the teams of the adapters attached above."""
    from .scheduling import Scheduler
    from .store.ledger import Ledger

    scheduler = Scheduler(app.core, app.chats, Ledger(app.engine), clock=app.core.clock,
                          catchup=timedelta(hours=app.settings.catchup_hours))
    subscribe_scheduler(app.core.events, scheduler)
    app.runners.append(scheduler.serve)
    return scheduler


def subscribe_scheduler(events: Events, scheduler) -> None:
    """The scheduler re-plans when meetings move and threads recaps written after the digest."""
    events.subscribe(ScheduleChanged, scheduler.on_schedule_changed)
    events.subscribe(RecapSubmitted, scheduler.on_recap_submitted)


async def serve(app: App) -> int:
    """Run every runner until one finishes or SIGTERM/SIGINT arrives, then stop them all."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - non-Unix
            pass
    tasks = [asyncio.create_task(runner()) for runner in app.runners]
    waiter = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([*tasks, waiter], return_when=asyncio.FIRST_COMPLETED)
    for task in [*tasks, waiter]:
        task.cancel()
    await asyncio.gather(*tasks, waiter, return_exceptions=True)
    for task in done:
        if task is not waiter and not task.cancelled() and task.exception():
            log.error("stopped: %s", task.exception(), exc_info=task.exception())
            return 1
    app.engine.dispose()
    return 0
