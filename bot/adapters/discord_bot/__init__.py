"""Discord adapter: `/recap` slash commands, a modal form, digests as embeds in a thread.

`DiscordAdapter` is what the composition root (bot/app.py) attaches when
DISCORD_TOKEN is set: the bot client (which shares the app's event loop), its
Chat and its runner. With RECAPBOT_DISCORD=off the runner only logs in over HTTP
(runner "discord-rest"): the replica answers no interaction, yet its scheduler
posts Discord digests and reminders, which need the HTTP API only.
"""
from __future__ import annotations

import asyncio

import discord

from ...config import Settings
from ...core.service import Core
from ...supervisor import Runner
from .chat import DiscordChat
from .client import RecapBot, ShardedRecapBot, make_client
from .guilds import JoinedGuildsChat
from .replies import log

__all__ = ["DiscordAdapter", "DiscordChat", "RecapBot", "ShardedRecapBot"]


class DiscordAdapter:
    def __init__(self, core: Core, settings: Settings, client: RecapBot | ShardedRecapBot | None = None):
        self.settings = settings
        self.client = client or make_client(core, settings)
        self.chat = JoinedGuildsChat(self.client)
        if self.client.gateway:
            self.runner = Runner("discord", self.run, ready=self.client.connected.wait)
        else:
            self.runner = Runner("discord-rest", self.run_rest, ready=self.client.connected.wait)

    async def run(self) -> None:
        """Serve until cancelled. A login or connection that fails raises; the supervisor starts it
        again with backoff, on the same client (cleared first), while the rest keeps serving."""
        bot = self._reopened()
        async with bot:
            await bot.start(self.settings.discord_token)

    def _reopened(self) -> RecapBot | ShardedRecapBot:
        bot = self.client
        bot.connected.clear()
        if bot.is_closed():  # closed by a failed start: reopen it
            bot.clear()
            if getattr(bot.http.connector, "closed", False):
                # clear() keeps the closed connector, and the next login would fail with
                # "Session is closed" (Rapptz/discord.py#9121): let login make a new one.
                bot.http.connector = discord.utils.MISSING
        return bot

    async def run_rest(self) -> None:
        """RECAPBOT_DISCORD=off: log in over HTTP (checks the token, no gateway connection) and
        hold the session for the scheduler's posts until cancelled."""
        bot = self._reopened()
        async with bot:
            await bot.login(self.settings.discord_token)
            log.info("discord: logged in as %s over HTTP only (RECAPBOT_DISCORD=off): posting, no interactions",
                     bot.user)
            bot.connected.set()
            await asyncio.Event().wait()
