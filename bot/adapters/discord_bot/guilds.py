"""Nothing is sent to a Discord server recapbot is no longer in.

Discord has one bot token for every server, so being removed from one (kicked,
or the server deleted) leaves no token to delete: discord.py drops the server
from its cache and fires on_guild_remove. Discord itself refuses channel posts
there, but a reminder DM would still reach a member who shares another server
with the bot. So the Chat the scheduler uses checks the gateway's list of
servers first: until the gateway is ready nothing is sent (the scheduler tries
again later); a team whose server the bot has left gets no digest
(a PermanentPostError: not retried, its admins are told) and no reminder or notice until the bot is added back. Its recaps stay.
"""
from __future__ import annotations

from ...core.model import Team
from ...core.delivery import FIX_REINSTALL, PermanentPostError
from .chat import DiscordChat
from .replies import guild_of, log


class NotConnected(RuntimeError):
    """The gateway has not said yet which servers the bot is in; try again later."""


class JoinedGuildsChat(DiscordChat):
    """DiscordChat for the servers the bot is still in."""

    def _joined(self, team: Team) -> bool:
        if not self.client.is_ready():
            raise NotConnected(f"team {team.id}: Discord is not connected yet")
        return self.client.get_guild(guild_of(team.workspace)) is not None

    def _require(self, team: Team) -> None:
        if not self._joined(team):
            raise PermanentPostError(f"team {team.id}: recapbot is no longer in Discord server "
                                     f"{guild_of(team.workspace)}; add it back to post there", FIX_REINSTALL)

    async def post_digest(self, team: Team, *args, **kwargs):
        self._require(team)
        return await super().post_digest(team, *args, **kwargs)

    async def post_late_update(self, team: Team, *args, **kwargs):
        self._require(team)
        return await super().post_late_update(team, *args, **kwargs)

    async def remind(self, team: Team, *args, **kwargs):
        if not self._joined(team):
            log.info("team %s: no reminder, recapbot is no longer in Discord server %s",
                     team.id, guild_of(team.workspace))
            return None
        return await super().remind(team, *args, **kwargs)

    async def tell(self, team: Team, *args, **kwargs):
        if not self._joined(team):
            log.info("team %s: no notice, recapbot is no longer in Discord server %s", team.id, guild_of(team.workspace))
            return None
        return await super().tell(team, *args, **kwargs)
