"""Builds the Slack side: the WebClient (retries, base URL), the Bolt AsyncApp, and its runner.

Tokens come from Settings only (Bolt would otherwise read SLACK_* from the
environment by itself). One workspace with SLACK_BOT_TOKEN, or many through
OAuth with installations in our database. Events arrive through Socket Mode
when SLACK_APP_TOKEN is set, otherwise as signed HTTP requests on
POST /slack/events. Everything runs on the bot's single event loop.
"""
from __future__ import annotations

import asyncio
import logging

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import Engine

from ...config import ConfigError, Settings
from ...core.events import FeedbackGiven, RecapSubmitted
from ...core.model import Actor
from ...core.service import Core
from ...http_server import HttpServer
from ...logs import keep_payloads_out
from ...secrets import SECRET_KEY_VARIABLE, SecretKeys
from ...supervisor import Runner
from .. import core_call
from . import commands, groups, home, memory, modal, privacy, settings_modal
from .chat import SlackChat
from .common import Deps, slack_error
from .identity import PLATFORM
from .oauth import ThreadedInstallationStore, ThreadedStateStore, undecryptable_tokens
from .server import mount

log = logging.getLogger("recapbot.slack")

# The bot scopes the manifest asks for; OAuth installs request the same.
BOT_SCOPES = ["commands", "chat:write", "im:write", "users:read", "channels:join", "files:write",
              "files:read", "usergroups:read"]
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


def retry_handlers() -> list:
    """429 (honours Retry-After), 500/503, and a dropped connection are retried."""
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=1),
        AsyncRateLimitErrorRetryHandler(max_retry_count=5),
        AsyncServerErrorRetryHandler(max_retry_count=2),
    ]


def build_client(settings: Settings, token: str | None = None,
                 session: aiohttp.ClientSession | None = None) -> AsyncWebClient:
    kwargs = {"base_url": settings.slack_api_url} if settings.slack_api_url else {}
    return AsyncWebClient(token=token, retry_handlers=retry_handlers(), session=session, **kwargs)


class _EnvTokenNotice(logging.Filter):
    """Bolt peeks at SLACK_BOT_TOKEN in the environment even when given a client, then warns
    that it ignores it. We pass the client (with the token from Settings) on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def build_bolt(settings: Settings, engine, client: AsyncWebClient) -> tuple[AsyncApp, ThreadedInstallationStore | None]:
    bolt_log = logging.getLogger("recapbot.slack.bolt")
    if not any(isinstance(f, _EnvTokenNotice) for f in bolt_log.filters):
        bolt_log.addFilter(_EnvTokenNotice())
    common = dict(
        client=client,
        signing_secret=settings.slack_signing_secret or "",
        request_verification_enabled=bool(settings.slack_signing_secret),
        logger=bolt_log,
    )
    if not settings.slack_oauth:
        bolt = AsyncApp(**common)

        # The manifest subscribes to these for OAuth installs; with one fixed token there
        # is nothing to delete, but Slack must still get its 200 (or it retries).
        @bolt.event("app_uninstalled")
        @bolt.event("tokens_revoked")
        async def on_revoked(body):
            log.warning("slack: the app was uninstalled or its tokens revoked in %s", body.get("team_id"))

        return bolt, None
    cipher = SecretKeys(settings.secret_keys).token_cipher()
    unreadable = undecryptable_tokens(engine, cipher)
    if unreadable:
        raise ConfigError(SECRET_KEY_VARIABLE, (
            f"{unreadable} stored Slack token(s) cannot be decrypted with these keys: put the key they were "
            "encrypted with after the new one (comma-separated), then run `recapbot keys rotate`"))
    store = ThreadedInstallationStore(settings.slack_client_id, engine, cipher)
    oauth_settings = AsyncOAuthSettings(
        client_id=settings.slack_client_id, client_secret=settings.slack_client_secret,
        scopes=BOT_SCOPES, installation_store=store, state_store=ThreadedStateStore(engine),
        install_path=INSTALL_PATH, redirect_uri_path=REDIRECT_PATH,
    )
    authorize = AsyncInstallationStoreAuthorize(
        logger=log, installation_store=store, client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret, cache_enabled=True, client=client,
    )
    bolt = AsyncApp(**common, installation_store=store, authorize=authorize,
                    oauth_flow=AsyncOAuthFlow(client=client, settings=oauth_settings))
    _revocation_listeners(bolt, store, authorize)
    return bolt, store


def _revocation_listeners(bolt: AsyncApp, store: ThreadedInstallationStore,
                          authorize: AsyncInstallationStoreAuthorize) -> None:
    """Tokens go the moment Slack says so; the workspace's recaps stay.

    Bolt's built-in listeners leave a revoked bot token in the installation rows
    and its authorize cache; these delete it everywhere.
    """

    def where(context) -> dict:
        # slack_sdk stores an org-wide install with no team id.
        return {"enterprise_id": context.enterprise_id,
                "team_id": None if context.is_enterprise_install else context.team_id}

    def forget_cached(context) -> None:
        cache = authorize.authorize_result_cache
        for token, result in list(cache.items()):
            if result.team_id == context.team_id and result.enterprise_id == context.enterprise_id:
                del cache[token]

    @bolt.event("app_uninstalled")
    async def on_uninstalled(context):
        await store.async_delete_all(**where(context))
        forget_cached(context)
        log.warning("slack: app_uninstalled in workspace %s: its tokens are deleted, its recaps stay",
                    context.team_id or context.enterprise_id)

    @bolt.event("tokens_revoked")
    async def on_tokens_revoked(event, context):
        tokens = event.get("tokens") or {}
        users = [u for u in tokens.get("oauth") or [] if isinstance(u, str)]
        await store.async_revoke(**where(context), user_ids=users, bot=bool(tokens.get("bot")))
        forget_cached(context)
        log.warning("slack: tokens_revoked in workspace %s (%d user(s)%s): deleted",
                    context.team_id or context.enterprise_id, len(users), ", the bot" if tokens.get("bot") else "")


def slack_adapter(core: Core, settings: Settings, engine: Engine, http: HttpServer) -> "SlackAdapter":
    """The adapter with its WebClient made from Settings (Bolt would read SLACK_* itself)."""
    client = build_client(settings, None if settings.slack_oauth else settings.slack_bot_token)
    return SlackAdapter(core, settings, client, engine, http)


class SlackAdapter:
    """The Bolt app, its listeners and the Chat port, ready to run on the bot's loop.

    `engine` holds the OAuth installations (multi-workspace mode); Slack's routes
    (events in HTTP mode, the OAuth pages) are mounted on the process's `http` server."""

    def __init__(self, core: Core, settings: Settings, client: AsyncWebClient, engine: Engine,
                 http: HttpServer):
        keep_payloads_out()
        self.settings = settings
        self.client = client
        self.bolt, self.store = build_bolt(settings, engine, client)
        self.deps = Deps(core=core, settings=settings)
        for module in (commands, modal, settings_modal, home, privacy, groups, memory):
            module.register(self.bolt, self.deps)

        @self.bolt.error
        async def on_error(error, body):
            # A Slack error's text holds Slack's whole answer: the code is enough.
            log.error("slack listener failed: %s", slack_error(error),
                      exc_info=None if isinstance(error, SlackApiError) else error)

        self.chat = SlackChat(self.client_for)
        self.http = http
        mount(http.app, self.bolt, events=not settings.slack_socket_mode)
        self.started = asyncio.Event()
        self.runner = Runner("slack", self.run, ready=self.started.wait)  # restarted with backoff on failure
        self._token_team: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._refreshes: set[asyncio.Task] = set()

    # -- the App Home follows every submission, however it was made -----------------
    def on_recap_submitted(self, event: RecapSubmitted | FeedbackGiven) -> None:
        """Core event (published in the core's thread): refresh the member's Home tab on our loop."""
        loop = self._loop
        if event.team.workspace.platform != PLATFORM or loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self._start_refresh, event)

    on_feedback_given = on_recap_submitted  # the Home tab shows the feedback on one's recaps

    def _start_refresh(self, event: RecapSubmitted | FeedbackGiven) -> None:
        task = asyncio.ensure_future(self._refresh_home(event))
        self._refreshes.add(task)
        task.add_done_callback(self._refreshes.discard)

    async def _refresh_home(self, event: RecapSubmitted | FeedbackGiven) -> None:
        try:
            client = await self.client_for(event.team.workspace.id)
            # The person as the event has them: no users.info call; every group they are in.
            who = Actor(event.team.workspace, event.member.user_ref, event.member.display_name)
            overviews = await core_call(self.deps.core.overviews, who)
            await home.show(client, event.member.user_ref, overviews)
        except Exception as exc:  # noqa: BLE001 - a stale Home tab is not worth failing for
            log.warning("slack: home refresh failed: %s", slack_error(exc))

    # -- clients per workspace (for the scheduler's posts) --------------------------
    async def client_for(self, team_id: str) -> AsyncWebClient:
        if self.store is not None:
            bot = await self.store.async_find_bot(enterprise_id=None, team_id=team_id)
            if bot is None or not bot.bot_token:
                raise LookupError(f"recapbot is not installed in Slack workspace {team_id}")
            return build_client(self.settings, bot.bot_token, self.client.session)
        if self._token_team is None:
            self._token_team = (await self.client.auth_test())["team_id"]
        if self._token_team != team_id:
            raise LookupError(f"SLACK_BOT_TOKEN belongs to workspace {self._token_team}, not {team_id}")
        return self.client

    # -- the runner ---------------------------------------------------------------
    @property
    def port(self) -> int | None:
        return self.http.port

    async def run(self) -> None:
        """Serve until cancelled: through Socket Mode with an app token, else on the bot's HTTP server.

        A failure to connect raises; the supervisor starts it again with backoff."""
        settings = self.settings
        self.started.clear()
        self._loop = asyncio.get_running_loop()
        session = aiohttp.ClientSession()
        self.client.session = self.deps.session = session
        handler = None
        try:
            if settings.slack_socket_mode:
                from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

                handler = AsyncSocketModeHandler(self.bolt, app_token=settings.slack_app_token, web_client=self.client)
                await handler.connect_async()
            else:
                await self.http.started.wait()  # events arrive as POST /slack/events
            log.info("slack: %s, %s", "Socket Mode" if settings.slack_socket_mode else "HTTP mode",
                     "OAuth (many workspaces)" if settings.slack_oauth else "one workspace")
            self.started.set()
            await asyncio.Event().wait()
        finally:
            self.started.clear()
            if handler is not None:
                await handler.close_async()
            self._loop = None
            self.client.session = self.deps.session = None
            await session.close()
