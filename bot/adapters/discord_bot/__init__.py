"""Discord adapter: `/recap` slash commands, a modal form, digests as embeds in a thread.

`DiscordAdapter` is what the composition root (bot/app.py) attaches when
DISCORD_TOKEN is set: the bot client (which shares the app's event loop), its
Chat and its runner.
"""
from __future__ import annotations

import discord

from ...config import Settings
from ...core.service import Core
from ...supervisor import Runner
from .chat import DiscordChat
from .client import RecapBot
from .guilds import JoinedGuildsChat

__all__ = ["DiscordAdapter", "DiscordChat", "RecapBot"]


class DiscordAdapter:
    def __init__(self, core: Core, settings: Settings, client: RecapBot | None = None):
        self.settings = settings
        self.client = client or RecapBot(core, guild_ids=settings.discord_guild_ids)
        self.chat = JoinedGuildsChat(self.client)
        self.runner = Runner("discord", self.run, ready=self.client.connected.wait)

    async def run(self) -> None:
        """Serve until cancelled. A login or connection that fails raises; the supervisor starts it
        again with backoff, on the same client (cleared first), while the rest keeps serving."""
        bot = self.client
        bot.connected.clear()
        if bot.is_closed():  # closed by a failed start: reopen it
            bot.clear()
            if getattr(bot.http.connector, "closed", False):
                # clear() keeps the closed connector, and the next login would fail with
                # "Session is closed" (Rapptz/discord.py#9121): let login make a new one.
                bot.http.connector = discord.utils.MISSING
        async with bot:
            await bot.start(self.settings.discord_token)
