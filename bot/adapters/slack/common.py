"""What every Slack listener shares: dependencies, ids from payloads, replies, failures.

Listeners acknowledge first and do the slow work after; anything that fails
after the acknowledgement is logged (Slack method and error code, never a
token) and reaches the person as "something went wrong, nothing was lost".
"""
from __future__ import annotations

import html
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from ...config import Settings
from ...core import texts
from ...core.commands import CommandHandler
from ...core.guard import unexpected
from ...core.model import Actor
from ...core.service import Core
from ...render.blocks import SlackMessage, text_messages
from ..backlog import Backlog
from .errors import slack_error
from .identity import Identity

log = logging.getLogger("recapbot.slack")

SOMETHING_WENT_WRONG = ":warning: " + texts.SOMETHING_WENT_WRONG
# A response_url takes about 5 posts; keep one for a late error message.
RESPONSE_URL_BUDGET = 4


@dataclass
class Deps:
    """Passed to every listener module (no globals)."""

    core: Core
    settings: Settings
    identity: Identity = field(default_factory=Identity)
    handler: CommandHandler = field(init=False)
    backlog: Backlog = field(init=False)
    # The adapter's HTTP session while it runs: answers to response_urls reuse its connections
    # (Bolt's own `respond` opens a new session, so a new TCP connection, for every answer).
    session: aiohttp.ClientSession | None = None

    def __post_init__(self) -> None:
        self.handler = CommandHandler(self.core)
        self.backlog = Backlog(self.settings.command_backlog)

    def respond(self, body: dict, fallback: Callable[..., Awaitable[Any]] | None):
        """Answers through the request's response_url on the shared session (Bolt's `respond` without one)."""
        url = body.get("response_url")
        if not url or self.session is None or self.session.closed:
            return fallback
        return AsyncWebhookClient(url, session=self.session).send

    async def actor(self, client: AsyncWebClient, team_id: str, user_id: str, body: dict | None = None) -> Actor:
        """Who is asking (cached users.info) and, from a command's or a message's payload, where."""
        actor = await self.identity.actor(client, team_id, user_id)
        channel, name = channel_of(body or {})
        return replace(actor, channel=channel, channel_name=name) if channel else actor


def with_group(actor: Actor, group: str | None) -> Actor:
    """The actor with a group chosen in a picker, a button or a form's metadata (the core decides)."""
    return replace(actor, group=group or None)


def channel_of(body: dict) -> tuple[str | None, str | None]:
    """The channel a slash command or a message button came from: (id, name); none in a DM."""
    channel = body.get("channel")
    channel = channel if isinstance(channel, dict) else {}
    cid = body.get("channel_id") or channel.get("id")
    name = body.get("channel_name") or channel.get("name")
    if not cid or cid.startswith("D") or name == "directmessage":
        return None, None
    return cid, name


# ------------------------------------------------------------------ payload ids
def team_id_of(body: dict, context: Any = None) -> str:
    """The workspace a request came from: Slack's signed payload, never user input."""
    team = (context.team_id if context is not None else None) or body.get("team_id")
    if not team:
        team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")
    if not team and context is not None:
        team = context.enterprise_id
    if not team:
        raise ValueError("request without a team id")
    return team


def user_id_of(body: dict, context: Any = None) -> str:
    user = (context.user_id if context is not None else None) or body.get("user_id")
    if not user:
        user = (body.get("user") or {}).get("id") or (body.get("event") or {}).get("user")
    if not user:
        raise ValueError("request without a user id")
    return user


# ------------------------------------------------------------ slack text -> core
_CHANNEL_REF = re.compile(r"<#([A-Z0-9]+)(?:\|[^>]*)?>")
_USER_REF = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")
_SPECIAL = re.compile(r"<!([a-z]+)(?:\^[^|>]*)?(?:\|([^>]*))?>")
_LINK = re.compile(r"<([a-z][a-z0-9+.-]*:[^|>]*)(?:\|([^>]*))?>", re.IGNORECASE)


def from_slack_text(text: str) -> str:
    """Undo Slack's escaping of slash-command text for the core.

    `<#C123|lab>` -> `C123` (the id is what the digest is posted to),
    `<@U123|ann>` -> `U123`, links -> their URL, then &lt; &gt; &amp; -> < > &.
    """
    text = _CHANNEL_REF.sub(lambda m: m[1], text)
    text = _USER_REF.sub(lambda m: m[1], text)
    text = _SPECIAL.sub(lambda m: "@" + (m[2] or m[1]).lstrip("@"), text)
    text = _LINK.sub(lambda m: m[1], text)
    return html.unescape(text) if "&" in text else text


# ----------------------------------------------------------------------- replies
@dataclass
class Replier:
    """Sends private answers: through the slash command's response_url while it lasts,
    otherwise (or for long answers) as a direct message from the bot."""

    client: AsyncWebClient
    user_id: str
    respond: Callable[..., Awaitable[Any]] | None = None
    used: int = 0

    async def send(self, messages: list[SlackMessage], note: str | None = None) -> None:
        if self.respond is not None and self.used + len(messages) <= RESPONSE_URL_BUDGET:
            for message in messages:
                self.used += 1
                await self.respond(text=message.text, blocks=message.blocks,
                                   response_type="ephemeral", replace_original=False)
            return
        if self.respond is not None and self.used < RESPONSE_URL_BUDGET:
            self.used += 1
            await self.respond(
                text=note or f"That answer is {len(messages)} messages long: I sent it to you as a direct message.",
                response_type="ephemeral", replace_original=False,
            )
        for message in messages:
            await self.client.chat_postMessage(channel=self.user_id, text=message.text, blocks=message.blocks,
                                               unfurl_links=False, unfurl_media=False)

    async def text(self, markdown: str) -> None:
        await self.send(text_messages(markdown))


async def report_failure(what: str, exc: BaseException, replier: Replier | None) -> None:
    """Log a failure after the acknowledgement and tell the person, if we still can."""
    if isinstance(exc, SlackApiError):
        log.error("slack %s failed: %s", what, slack_error(exc))
    else:
        unexpected(f"slack {what}", exc)
    if replier is None:
        return
    try:
        await replier.text(SOMETHING_WENT_WRONG)
    except Exception as again:  # noqa: BLE001 - the log above is what matters now
        log.error("slack %s: could not tell the user either: %s", what, slack_error(again))
