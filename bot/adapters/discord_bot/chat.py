"""The core's Chat port on Discord: digests, late updates, reminders.

Only HTTP calls the bot may make without privileged intents. Every post
carries a nonce derived from the scheduler's key, and discord.py sends it
with enforce_nonce, so a retried post within a few minutes is not shown twice.
Refs are "channel_id:message_id"; the thread made from the header message
has the header's id, so late updates find it from refs[0] alone.
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime

import discord

from ...core.model import Digest, DigestEntry, Member, Team
from ...core.texts import reminder
from ...render.embeds import Message, render_digest, render_entry
from .buttons import OpenFormView
from .replies import NO_PINGS, PLATFORM, guild_of, log

THREAD_ARCHIVE_MINUTES = 10080  # a week: the thread stays open until the next meeting
THREAD_EXISTS = 160004  # Discord: "A thread has already been created for this message"
_CHANNEL_ID = re.compile(r"^(?:<#)?(\d{15,21})>?$")


class DigestNotPosted(RuntimeError):
    """The team's settings do not allow a post (no channel, a channel of another server)."""


def nonce(key: str, index: int) -> str:
    """Stable per (key, message), at most 25 characters as Discord requires."""
    return hashlib.sha256(f"{key}#{index}".encode()).hexdigest()[:25]


def ref(message: discord.Message) -> str:
    return f"{message.channel.id}:{message.id}"


class DiscordChat:
    platform = PLATFORM
    needs_channel = True

    def __init__(self, client: discord.Client):
        self.client = client

    async def post_digest(self, team: Team, digest: Digest, key: str) -> list[str]:
        channel = await self._digest_channel(team)
        rendered = render_digest(digest)
        root = await self._send(channel, rendered.root, key, 0)
        refs = [ref(root)]
        thread = await self._thread(root, rendered.thread_name)
        for i, message in enumerate(rendered.thread, 1):
            refs.append(ref(await self._send(thread, message, key, i)))
        return refs

    async def post_late_update(self, team: Team, refs: list[str], entry: DigestEntry, key: str) -> list[str]:
        if not refs:
            raise DigestNotPosted(f"team {team.id}: no digest to add a late update to")
        thread = self.client.get_partial_messageable(int(refs[0].split(":")[1]), guild_id=guild_of(team.workspace))
        return [ref(await self._send(thread, message, key, i)) for i, message in enumerate(render_entry(entry))]

    async def remind(self, team: Team, member: Member, meeting_local: datetime) -> None:
        """A DM with a button that opens the form; a closed DM is logged, not raised."""
        user_id = int(member.user_ref)
        user = self.client.get_user(user_id) or await self.client.fetch_user(user_id)
        text = reminder(team, member, meeting_local)
        try:
            await user.send(text, view=OpenFormView(guild_of(team.workspace)), allowed_mentions=NO_PINGS,
                            nonce=nonce(f"remind:{team.id}:{member.id}:{meeting_local.isoformat()}", 0))
        except discord.Forbidden:
            log.info("member %s of team %s does not accept DMs from the bot", member.id, team.id)

    # -- helpers ---------------------------------------------------------------
    async def _digest_channel(self, team: Team) -> discord.abc.Messageable:
        """The team's channel, and only if it belongs to the team's own server."""
        guild_id = guild_of(team.workspace)
        name = (team.channel or "").strip()
        if not name:
            raise DigestNotPosted(f"team {team.id} has no digest channel: an admin sets one with /recap setup channel")
        match = _CHANNEL_ID.match(name)
        if match:
            channel_id = int(match[1])
            channel = self.client.get_channel(channel_id) or await self.client.fetch_channel(channel_id)
        else:
            guild = self.client.get_guild(guild_id) or await self.client.fetch_guild(guild_id)
            channels = guild.text_channels or [c for c in await guild.fetch_channels()
                                                if isinstance(c, discord.TextChannel)]
            channel = discord.utils.get(channels, name=name.lstrip("#"))
            if channel is None:
                raise DigestNotPosted(f"team {team.id}: no channel named {name!r} in its server")
        if getattr(getattr(channel, "guild", None), "id", None) != guild_id:
            raise DigestNotPosted(f"team {team.id}: channel {name!r} is not in its own server")
        return channel

    async def _thread(self, root: discord.Message, name: str) -> discord.abc.Messageable:
        try:
            return await root.create_thread(name=name, auto_archive_duration=THREAD_ARCHIVE_MINUTES)
        except discord.HTTPException as exc:
            if exc.code != THREAD_EXISTS:  # a retried post: the thread is already there
                raise
            return self.client.get_partial_messageable(root.id, guild_id=root.guild.id if root.guild else None)

    @staticmethod
    async def _send(target: discord.abc.Messageable, message: Message, key: str, index: int) -> discord.Message:
        return await target.send(
            content=message.content, embeds=message.embeds, nonce=nonce(key, index), allowed_mentions=NO_PINGS,
        )
