"""The composition root: settings -> engine -> core -> adapters, on one event loop."""
from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.engine import Engine

from .adapters import Adapter
from .config import Settings
from .core.events import Events, FeedbackGiven, RecapSubmitted, ScheduleChanged
from .core.links import LinkSigner
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
    from .render.deck import EXPORTERS
    from .store.files import DbFileStore

    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    core = Core.build(
        repository(engine), clock or SystemClock(),
        default_timezone=settings.timezone, default_team_name=settings.team_name,
        files=DbFileStore(engine), links=link_signer(settings),
        public_url=settings.public_url, link_days=settings.link_days, exporters=EXPORTERS,
    )
    return App(settings=settings, engine=engine, core=core)


def link_signer(settings: Settings) -> LinkSigner:
    """Deck links are signed with a key derived from RECAPBOT_SECRET_KEY; without one, from a
    key generated into the data directory the first time a link is signed or opened.

    Replicas on one SQLite file share its directory, so they share that key. Replicas on one
    PostgreSQL database each have their own directory: they must set RECAPBOT_SECRET_KEY. A
    process cannot tell whether others share its database, so this is a warning at start."""
    if not settings.secret_keys and settings.database_url.startswith("postgresql"):
        logging.getLogger("recapbot").warning(
            "RECAPBOT_SECRET_KEY is not set: deck links are signed with a key generated in %s. "
            "Replicas sharing this database must all set the same RECAPBOT_SECRET_KEY, or a link made by "
            "one is refused by the others.", settings.data_dir)

    def keys() -> tuple[bytes, ...]:
        from pathlib import Path

        from .secrets import SecretKeys, generated_key

        raw = settings.secret_keys or (generated_key(Path(settings.data_dir)),)
        return SecretKeys(raw).link_keys()

    return LinkSigner(keys)


def repository(engine: Engine) -> SqlRepository:
    """The store, with what adapters keep about a person forgotten along with it (forget-me):
    Slack's installation tables are in every database, whichever adapters run."""
    from .adapters.slack.tables import forget_installer

    return SqlRepository(engine, forgetters=[forget_installer])


def attach_adapters(app: App, console: bool = False) -> None:
    """Attach each adapter whose tokens are set; the console when asked or when none is."""
    settings = app.settings
    if not console:  # `recapbot console` is a terminal tool: it opens no port
        attach_web(app)
    if settings.slack_enabled and not console:
        attach_slack(app)
    if settings.discord_enabled and not console:
        attach_discord(app)
    if console or not app.chats:
        adapter = attach_console(app)
        if not console:  # `recapbot run` without tokens: the deck is served here too
            show_deck_link(app, adapter.actor())
    attach_scheduler(app)


def show_deck_link(app: App, actor) -> None:
    """The console's own deck link, on standard error (standard output is the console's)."""
    from .core.errors import UserError

    try:
        url, _ = app.core.deck.link(actor)
    except UserError:  # not in a group yet
        print("recapbot: the group's deck opens from `/recap deck` once you are in a group", file=sys.stderr)
        return
    print(f"recapbot: your group's deck is at {url} (`/recap deck` gives a new link)", file=sys.stderr)


def attach_web(app: App) -> HttpServer:
    """The HTTP server with the web deck's pages on it (bot/web)."""
    from .web import mount

    server = attach_http(app)
    mount(server.app, app.core)
    return server


def _add(app: App, adapter: Adapter) -> None:
    """Every adapter has one shape: a Chat for the scheduler, a Runner for the supervisor."""
    app.chats[adapter.chat.platform] = adapter.chat
    app.runners.append(adapter.runner)


def attach_slack(app: App):
    """Slack's runner and Chat, its routes on the app's HTTP server (HTTP mode and the OAuth
    pages need it); its App Home follows every submission, however it was made."""
    from .adapters.slack.app import slack_adapter

    adapter = slack_adapter(app.core, app.settings, app.engine, attach_http(app))
    _add(app, adapter)
    app.core.events.subscribe(RecapSubmitted, adapter.on_recap_submitted)
    app.core.events.subscribe(FeedbackGiven, adapter.on_feedback_given)
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

    settings = app.settings
    scheduler = Scheduler(
        app.core, app.chats, Ledger(app.engine), clock=app.core.clock,
        catchup=timedelta(hours=settings.catchup_hours),
        retention=timedelta(days=settings.retention_days) if settings.retention_days else None,
    )
    subscribe_scheduler(app.core.events, scheduler)
    app.runners.append(Runner("scheduler", scheduler.serve, kind=SCHEDULER))  # named for /healthz
    return scheduler


def subscribe_scheduler(events: Events, scheduler) -> None:
    """The scheduler re-plans when meetings move, threads recaps written after the digest and
    tells a member of feedback on their recap."""
    events.subscribe(ScheduleChanged, scheduler.on_schedule_changed)
    events.subscribe(RecapSubmitted, scheduler.on_recap_submitted)
    events.subscribe(FeedbackGiven, scheduler.on_feedback_given)


async def serve(app: App, backoff: Backoff | None = None) -> int:
    """Run every runner until SIGTERM/SIGINT or the console's end, then stop them all.

    A runner that fails is started again with backoff (supervisor.py) while the
    others keep serving: one unreachable platform does not take the bot down."""
    loop = asyncio.get_running_loop()
    # Every core call (adapters' core_call, the scheduler's to_thread) runs in these threads.
    loop.set_default_executor(ThreadPoolExecutor(app.settings.worker_threads, thread_name_prefix="recapbot-worker"))
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
