"""The Chat port for the scheduler: post digests, late updates and reminders on Slack.

A digest is a header message in the team's channel (its thread root) and, in
its thread, one reply per member (more when a long recap needs splitting).
Refs are "channel:ts"; the first one is the thread root. Every message goes
through the PostParts the scheduler gives (core.delivery), which records it
before the next is sent: a resumed digest continues in the same thread.
Slack has no idempotency key for chat.postMessage, so a process killed
between Slack's answer and that record repeats the one part on resume.
Errors that no retry can fix (the bot is not in the channel, its token was
revoked) are raised as PermanentPostError with what an admin should do.
"""
from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ActionsBlock, ButtonElement
from slack_sdk.web.async_client import AsyncWebClient

from ...core.delivery import (
    FIX_CHANNEL, FIX_DM, FIX_INVITE, FIX_PERMISSION, FIX_REINSTALL, PermanentPostError, PostParts,
)
from ...core.model import Digest, DigestEntry, Member, Team
from ...core.texts import WRITE_RECAP, reminder
from ...render.blocks import (
    SlackMessage, all_digest_messages, entry_messages, pack, section, text_messages, to_mrkdwn, to_plain,
)
from .identity import PLATFORM
from .modal import OPEN_ACTION

log = logging.getLogger("recapbot.slack")

# team_id -> a WebClient holding that workspace's bot token
ClientFor = Callable[[str], Awaitable[AsyncWebClient]]


# chat.postMessage errors that retrying will not fix, and what an admin does about each.
PERMANENT_ERRORS = {
    "not_in_channel": FIX_INVITE,
    "channel_not_found": FIX_CHANNEL,
    "is_archived": FIX_CHANNEL,
    "restricted_action": FIX_PERMISSION,
    "restricted_action_read_only_channel": FIX_PERMISSION,
    "restricted_action_thread_only_channel": FIX_PERMISSION,
    "restricted_action_non_threadable_channel": FIX_PERMISSION,
    "ekm_access_denied": FIX_PERMISSION,
    "no_permission": FIX_PERMISSION,
    "missing_scope": FIX_REINSTALL,
    "account_inactive": FIX_REINSTALL,
    "invalid_auth": FIX_REINSTALL,
    "not_authed": FIX_REINSTALL,
    "token_revoked": FIX_REINSTALL,
    "token_expired": FIX_REINSTALL,
    "team_access_not_granted": FIX_REINSTALL,
    "cannot_dm_bot": FIX_DM,
    "user_disabled": FIX_DM,
}
# A channel link we wrote ourselves (<#C123>) survives the escaping of a core text.
_CHANNEL_LINK = re.compile(r"&lt;(#[CG][A-Z0-9]+)&gt;")


def channel_link(channel: str | None) -> str:
    """How a message names a channel: a link for an id ("<#C123>"), else as it was set."""
    if channel and re.fullmatch(r"[CG][A-Z0-9]+", channel):
        return f"<#{channel}>"
    return channel or "the digest channel"


@asynccontextmanager
async def permanent_errors(where: str):
    """Turn the Slack errors no retry can fix into PermanentPostError; others pass unchanged."""
    try:
        yield
    except SlackApiError as exc:
        data = getattr(exc.response, "data", None)
        error = data.get("error") if isinstance(data, dict) else None
        if error in PERMANENT_ERRORS:
            raise PermanentPostError(error, PERMANENT_ERRORS[error], where) from exc
        raise


def split_ref(ref: str) -> tuple[str, str]:
    channel, sep, ts = ref.partition(":")
    if not sep or not channel or not ts:
        raise ValueError(f"not a Slack message ref: {ref!r}")
    return channel, ts


class SlackChat:
    platform = PLATFORM
    needs_channel = True

    def __init__(self, client_for: ClientFor):
        self.client_for = client_for

    async def _client(self, team: Team, where: str) -> AsyncWebClient:
        try:
            async with permanent_errors(where):  # auth.test may answer invalid_auth
                return await self.client_for(team.workspace.id)
        except LookupError as exc:  # no installation (or token) for the team's workspace
            raise PermanentPostError("not_installed", FIX_REINSTALL, where) from exc

    async def _post(self, client: AsyncWebClient, channel: str, message: SlackMessage,
                    thread_ts: str | None = None) -> str:
        response = await client.chat_postMessage(
            channel=channel, text=message.text, blocks=message.blocks, thread_ts=thread_ts,
            unfurl_links=False, unfurl_media=False,
        )
        return f"{response['channel']}:{response['ts']}"

    async def _in_thread(self, team: Team, messages: list[SlackMessage], parts: PostParts,
                         root: str | None) -> list[str]:
        """Post the parts not yet out: the first in the team's channel unless a root is given, the rest under it."""
        where = channel_link(team.channel)
        client = await self._client(team, where)

        async def post(index: int, message: SlackMessage) -> str:
            thread = root or parts.root
            if thread is None:
                return await self._post(client, team.channel, message)
            channel, root_ts = split_ref(thread)
            return await self._post(client, channel, message, thread_ts=root_ts)

        async with permanent_errors(where):
            return await parts.send(messages, post)

    async def post_digest(self, team: Team, digest: Digest, parts: PostParts) -> list[str]:
        if not team.channel:
            raise ValueError(f"team {team.id} has no digest channel; an admin sets it with /recap setup")
        refs = await self._in_thread(team, all_digest_messages(digest, actions=True), parts, None)
        log.info("slack digest %s posted: %d messages in %s", parts.key, len(refs), split_ref(refs[0])[0])
        return refs

    async def post_late_update(self, team: Team, refs: list[str], entry: DigestEntry,
                               parts: PostParts) -> list[str]:
        return await self._in_thread(team, entry_messages(entry, actions=True), parts, refs[0])

    async def remind(self, team: Team, member: Member, meeting_local: datetime, parts: PostParts) -> list[str]:
        text = reminder(team, member, meeting_local)
        blocks = [
            section(f":wave: {to_mrkdwn(text)}"),
            ActionsBlock(block_id="reminder_actions", elements=[
                ButtonElement(text=WRITE_RECAP, action_id=OPEN_ACTION, value=str(team.id), style="primary")]),
        ]
        client = await self._client(team, "a direct message")
        async with permanent_errors("a direct message"):
            return await parts.send(pack(blocks, to_plain(text))[:1], lambda _, message: self._post(
                client, member.user_ref, message))

    async def tell(self, team: Team, user_ref: str, text: str) -> None:
        client = await self.client_for(team.workspace.id)
        for message in text_messages(text):
            blocks = json.loads(_CHANNEL_LINK.sub(r"<\1>", json.dumps(message.blocks)))
            await client.chat_postMessage(channel=user_ref, text=_CHANNEL_LINK.sub(r"<\1>", message.text),
                                          blocks=blocks)
