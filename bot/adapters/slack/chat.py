"""The Chat port for the scheduler: post digests, late updates and reminders on Slack.

A digest is a header message in the team's channel (its thread root) and, in
its thread, one reply per member (more when a long recap needs splitting).
Refs are "channel:ts"; the first one is the thread root.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from slack_sdk.models.blocks import ActionsBlock, ButtonElement
from slack_sdk.web.async_client import AsyncWebClient

from ...core.model import Digest, DigestEntry, Member, Team
from ...core.texts import WRITE_RECAP, reminder
from ...render.blocks import SlackMessage, digest_messages, entry_messages, pack, section, to_mrkdwn, to_plain
from .identity import PLATFORM
from .modal import OPEN_ACTION

log = logging.getLogger("recapbot.slack")

# team_id -> a WebClient holding that workspace's bot token
ClientFor = Callable[[str], Awaitable[AsyncWebClient]]


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
        # key -> refs already posted for a digest whose post failed part-way. Slack cannot
        # de-duplicate a resent message, so a retry resumes after what is already there.
        self._partial: dict[str, list[str]] = {}

    async def _post(self, client: AsyncWebClient, channel: str, message: SlackMessage,
                    thread_ts: str | None = None) -> str:
        response = await client.chat_postMessage(
            channel=channel, text=message.text, blocks=message.blocks, thread_ts=thread_ts,
            unfurl_links=False, unfurl_media=False,
        )
        return f"{response['channel']}:{response['ts']}"

    async def post_digest(self, team: Team, digest: Digest, key: str) -> list[str]:
        if not team.channel:
            raise ValueError(f"team {team.id} has no digest channel; an admin sets it with /recap setup")
        client = await self.client_for(team.workspace.id)
        header, entries = digest_messages(digest)
        messages = header + [m for per_member in entries for m in per_member]
        refs = self._partial.setdefault(key, [])
        if refs:
            log.info("slack digest %s: resuming after %d messages already posted", key, len(refs))
        for message in messages[len(refs):]:
            if not refs:
                refs.append(await self._post(client, team.channel, message))
            else:
                channel, root_ts = split_ref(refs[0])
                refs.append(await self._post(client, channel, message, thread_ts=root_ts))
        del self._partial[key]
        log.info("slack digest %s posted: %d messages in %s", key, len(refs), split_ref(refs[0])[0])
        return refs

    async def post_late_update(self, team: Team, refs: list[str], entry: DigestEntry, key: str) -> list[str]:
        client = await self.client_for(team.workspace.id)
        channel, root_ts = split_ref(refs[0])
        return [await self._post(client, channel, message, thread_ts=root_ts) for message in entry_messages(entry)]

    async def remind(self, team: Team, member: Member, meeting_local: datetime) -> None:
        client = await self.client_for(team.workspace.id)
        text = reminder(team, member, meeting_local)
        blocks = [
            section(f":wave: {to_mrkdwn(text)}"),
            ActionsBlock(block_id="reminder_actions", elements=[
                ButtonElement(text=WRITE_RECAP, action_id=OPEN_ACTION, value="reminder", style="primary")]),
        ]
        message = pack(blocks, to_plain(text))[0]
        await client.chat_postMessage(channel=member.user_ref, text=message.text, blocks=message.blocks)
