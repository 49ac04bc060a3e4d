"""The core's Chat port on Discord: digests, late updates, reminders.

Only HTTP calls the bot may make without privileged intents. Every message
goes through the PostParts the scheduler gives (core.delivery), which records
it before the next is sent, so a resumed digest continues in the same thread.
Each part also carries a nonce derived from the post's key and its index, and
discord.py sends it with enforce_nonce: a part resent within a few minutes
(the process was killed after Discord accepted it, before it was recorded) is
not shown twice. Refs are "channel_id:message_id"; the thread made from the
header message has the header's id, so late updates find it from refs[0]
alone. 403 and 404 answers (Missing Access, Unknown Channel...) never get
better by retrying: they are raised as PermanentPostError.
"""
from __future__ import annotations

import hashlib
import re
from contextlib import asynccontextmanager
from datetime import datetime

import discord

from ...core.delivery import FIX_CHANNEL, FIX_DM, FIX_PERMISSION, PermanentPostError, PostParts
from ...core.model import Digest, DigestEntry, Member, Team
from ...core.texts import reminder
from ...render.embeds import Message, render_digest, render_entry, split_text
from .buttons import OpenFormView
from .memory import digest_view
from .replies import NO_PINGS, PLATFORM, guild_of

THREAD_ARCHIVE_MINUTES = 10080  # a week: the thread stays open until the next meeting
THREAD_EXISTS = 160004  # Discord: "A thread has already been created for this message"
_CHANNEL_ID = re.compile(r"^(?:<#)?(\d{15,21})>?$")
# JSON error codes that mean "this will never work as the team is set up" (besides any 403 or 404).
CANNOT_DM = 50007  # Cannot send messages to this user
PERMANENT_CODES = {
    50001: FIX_PERMISSION,  # Missing Access
    50013: FIX_PERMISSION,  # Missing Permissions
    10003: FIX_CHANNEL,     # Unknown Channel
    10008: FIX_CHANNEL,     # Unknown Message (the digest's header was deleted)
    50083: FIX_CHANNEL,     # Thread is archived
    CANNOT_DM: FIX_DM,
}


class DigestNotPosted(PermanentPostError):
    """The team's settings do not allow a post (no channel, a channel of another server)."""

    def __init__(self, detail: str, where: str = ""):
        super().__init__(detail, FIX_CHANNEL, where)


def nonce(key: str, index: int) -> str:
    """Stable per (key, message), at most 25 characters as Discord requires."""
    return hashlib.sha256(f"{key}#{index}".encode()).hexdigest()[:25]


def ref(message: discord.Message) -> str:
    return f"{message.channel.id}:{message.id}"


def channel_mention(channel: str | None) -> str:
    """How a message names the team's channel: a mention for an id, else "#name"."""
    name = (channel or "").strip()
    match = _CHANNEL_ID.match(name)
    if match:
        return f"<#{match[1]}>"
    return f"#{name.lstrip('#')}" if name else "the digest channel"


@asynccontextmanager
async def permanent_errors(where: str):
    """Turn Discord's answers that no retry can fix into PermanentPostError; others pass unchanged."""
    try:
        yield
    except discord.HTTPException as exc:
        fix = PERMANENT_CODES.get(exc.code)
        if fix is None and exc.status in (403, 404):
            fix = FIX_PERMISSION if exc.status == 403 else FIX_CHANNEL
        if fix is None:
            raise
        raise PermanentPostError(f"{exc.status} {exc.text or exc.code}".strip(), fix, where) from exc


class DiscordChat:
    platform = PLATFORM
    needs_channel = True

    def __init__(self, client: discord.Client):
        self.client = client

    async def post_digest(self, team: Team, digest: Digest, parts: PostParts) -> list[str]:
        rendered = render_digest(digest, actions=True)
        guild_id = guild_of(team.workspace)
        where = channel_mention(team.channel)
        thread: discord.abc.Messageable | None = None

        async def post(index: int, message: Message) -> str:
            nonlocal thread
            if index == 0:
                return await self._sent(await self._digest_channel(team), message, parts.key, 0)
            if thread is None:  # made once the header is out; resumed posts find it already made
                thread = await self._thread(parts.root, rendered.thread_name, guild_id)
            return await self._sent(thread, message, parts.key, index)

        async with permanent_errors(where):
            return await parts.send(rendered.all, post)

    async def post_late_update(self, team: Team, refs: list[str], entry: DigestEntry,
                               parts: PostParts) -> list[str]:
        if not refs:
            raise DigestNotPosted(f"team {team.id}: no digest to add a late update to")
        thread = self.client.get_partial_messageable(int(refs[0].split(":")[1]), guild_id=guild_of(team.workspace))
        async with permanent_errors(channel_mention(team.channel)):
            return await parts.send(render_entry(entry, actions=True),
                                    lambda i, message: self._sent(thread, message, parts.key, i))

    async def remind(self, team: Team, member: Member, meeting_local: datetime, parts: PostParts) -> list[str]:
        """A DM with a button that opens the form; a closed DM is a PermanentPostError."""
        text = reminder(team, member, meeting_local)

        async def post(index: int, content: str) -> str:
            user = await self._user(member.user_ref)
            return ref(await user.send(content, view=OpenFormView(guild_of(team.workspace), team.id),
                                       allowed_mentions=NO_PINGS, nonce=nonce(parts.key, index)))

        async with permanent_errors("a direct message"):
            return await parts.send([text], post)

    async def tell(self, team: Team, user_ref: str, text: str) -> None:
        user = await self._user(user_ref)
        for chunk in split_text(text):
            await user.send(chunk, allowed_mentions=NO_PINGS)

    # -- helpers ---------------------------------------------------------------
    async def _user(self, user_ref: str) -> discord.abc.User:
        user_id = int(user_ref)
        return self.client.get_user(user_id) or await self.client.fetch_user(user_id)

    async def _digest_channel(self, team: Team) -> discord.abc.Messageable:
        """The team's channel, and only if it belongs to the team's own server."""
        guild_id = guild_of(team.workspace)
        name = (team.channel or "").strip()
        where = channel_mention(team.channel)
        if not name:
            raise DigestNotPosted(f"team {team.id} has no digest channel: an admin sets one with /recap setup channel",
                                  where)
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
                raise DigestNotPosted(f"team {team.id}: no channel named {name!r} in its server", where)
        if getattr(getattr(channel, "guild", None), "id", None) != guild_id:
            raise DigestNotPosted(f"team {team.id}: channel {name!r} is not in its own server", where)
        return channel

    async def _thread(self, root_ref: str, name: str, guild_id: int) -> discord.abc.Messageable:
        """The thread on the digest's header message, made now unless it already exists."""
        channel_id, message_id = (int(part) for part in root_ref.split(":"))
        try:
            await self.client.http.start_thread_with_message(
                channel_id, message_id, name=name, auto_archive_duration=THREAD_ARCHIVE_MINUTES)
        except discord.HTTPException as exc:
            if exc.code != THREAD_EXISTS:  # a resumed post: the thread is already there
                raise
        return self.client.get_partial_messageable(message_id, guild_id=guild_id)

    async def _sent(self, target: discord.abc.Messageable, message: Message, key: str, index: int) -> str:
        return ref(await self._send(target, message, key, index))

    @staticmethod
    async def _send(target: discord.abc.Messageable, message: Message, key: str, index: int) -> discord.Message:
        return await target.send(
            content=message.content, embeds=message.embeds, nonce=nonce(key, index), allowed_mentions=NO_PINGS,
            view=digest_view(message),  # "Give feedback", "Answered": a posted digest's controls, if any
        )
