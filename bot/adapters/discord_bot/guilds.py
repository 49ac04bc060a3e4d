"""Nothing is sent to a Discord server recapbot is no longer in.

Discord has one bot token for every server, so being removed from one (kicked,
or the server deleted) leaves no token to delete: discord.py drops the server
from its cache and fires on_guild_remove. Discord itself refuses channel posts
there, but a reminder DM would still reach a member who shares another server
with the bot. So the Chat the scheduler uses checks first that the bot is in
the team's server: from the gateway's list when this process's connection carries
that server (its shard) and is ready; otherwise by asking Discord over HTTP
(GET /guilds/{id}: 403 or 404 once the bot has left), remembered for a few
minutes. So any replica can post any server's digest: one with other shards, or
with RECAPBOT_DISCORD=off (no gateway at all), or whose gateway is still connecting.
A team whose server the bot has left gets no digest (a PermanentPostError: not
retried, its admins are told) and no reminder or notice until the bot is added back.
Its recaps stay.
"""
from __future__ import annotations

import time
from collections.abc import Callable

import discord

from ...core.delivery import FIX_REINSTALL, PermanentPostError
from ...core.model import Team
from .chat import DiscordChat
from .replies import guild_of, log

MEMBERSHIP_SECONDS = 600.0  # how long an HTTP answer "the bot is in this server" is trusted


class NotConnected(RuntimeError):
    """Not logged in to Discord yet: nothing can be checked or sent; try again later."""


class JoinedGuildsChat(DiscordChat):
    """DiscordChat for the servers the bot is still in."""

    def __init__(self, client: discord.Client, clock: Callable[[], float] = time.monotonic):
        super().__init__(client)
        self._clock = clock
        self._member_since: dict[int, float] = {}  # server id -> when Discord last said the bot is in it

    async def _joined(self, team: Team) -> bool:
        guild_id = guild_of(team.workspace)
        client = self.client
        if client.get_guild(guild_id) is not None:
            return True
        if client.on_this_gateway(guild_id) and client.is_ready():
            return False  # this connection lists every server of its shard: not among them
        if client.user is None:
            raise NotConnected(f"team {team.id}: Discord is not connected yet")
        seen = self._member_since.get(guild_id)
        if seen is not None and self._clock() - seen < MEMBERSHIP_SECONDS:
            return True
        try:
            await client.fetch_guild(guild_id, with_counts=False)
        except (discord.Forbidden, discord.NotFound):
            self._member_since.pop(guild_id, None)
            return False
        self._member_since[guild_id] = self._clock()
        return True

    async def _require(self, team: Team) -> None:
        if not await self._joined(team):
            raise PermanentPostError(f"team {team.id}: recapbot is no longer in Discord server "
                                     f"{guild_of(team.workspace)}; add it back to post there", FIX_REINSTALL)

    async def post_digest(self, team: Team, *args, **kwargs):
        await self._require(team)
        return await super().post_digest(team, *args, **kwargs)

    async def post_late_update(self, team: Team, *args, **kwargs):
        await self._require(team)
        return await super().post_late_update(team, *args, **kwargs)

    async def remind(self, team: Team, *args, **kwargs):
        if not await self._joined(team):
            log.info("team %s: no reminder, recapbot is no longer in Discord server %s",
                     team.id, guild_of(team.workspace))
            return None
        return await super().remind(team, *args, **kwargs)

    async def tell(self, team: Team, *args, **kwargs):
        if not await self._joined(team):
            log.info("team %s: no notice, recapbot is no longer in Discord server %s", team.id, guild_of(team.workspace))
            return None
        return await super().tell(team, *args, **kwargs)
