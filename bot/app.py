"""The composition root: settings -> engine -> core -> adapters, on one event loop."""
from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from .config import Settings
from .core.ports import Chat, Clock, SystemClock
from .core.service import Core
from .http_server import HttpServer
from .http_server import attach as attach_http
from .store.db import make_engine, upgrade
from .store.repo import SqlRepository
from .supervisor import SCHEDULER, Backoff, Health, Runner, Supervisor


@dataclass
class App:
    settings: Settings
    engine: Engine
    core: Core
    # Each runner serves until cancelled (the HTTP server, an adapter, the scheduler): a
    # supervisor.Runner (named, restarted on failure) or a bare coroutine function.
    runners: list[Callable[[], Awaitable[object]]] = field(default_factory=list)
    # The adapters that can post, by platform ("console", "slack", "discord"); see core.ports.Chat.
    chats: dict[str, Chat] = field(default_factory=dict)
    health: Health = field(default_factory=Health)
    http: HttpServer = field(init=False)  # the one aiohttp server; see http_server.attach

    def __post_init__(self) -> None:
        self.http = HttpServer(self.settings.http_host, self.settings.http_port, self.health)


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
    if not console:  # `recapbot console` is a terminal tool: it opens no port
        attach_http(app)
    if settings.slack_enabled and not console:
        from .adapters.slack import attach as attach_slack

        attach_slack(app)
    if settings.discord_enabled and not console:
        from .adapters.discord_bot import attach as attach_discord

        attach_discord(app)
    if console or not app.chats:
        from .adapters.console import ConsoleAdapter

        adapter = ConsoleAdapter(app.core)
        app.chats["console"] = adapter
        app.runners.append(Runner("console", adapter.run, ends_process=True))  # end of input ends the bot
    attach_scheduler(app)


def attach_scheduler(app: App) -> None:
    """Reminders and digests for the teams of the adapters attached above."""
    from .scheduling import attach

    scheduler = attach(app)
    # Named here so that /healthz reports it; attach() registered its bare serve().
    app.runners[app.runners.index(scheduler.serve)] = Runner("scheduler", scheduler.serve, kind=SCHEDULER)


async def serve(app: App, backoff: Backoff | None = None) -> int:
    """Run every runner until SIGTERM/SIGINT or the console's end, then stop them all.

    A runner that fails is started again with backoff (supervisor.py) while the
    others keep serving: one unreachable platform does not take the bot down."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    handled = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - non-Unix
            pass
    try:
        return await Supervisor(app.health, backoff).run(app.runners, stop)
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
        app.engine.dispose()
