"""Discord adapter: `/recap` slash commands, a modal form, digests as embeds in a thread.

`DiscordAdapter` is what the composition root (bot/app.py) attaches when
DISCORD_TOKEN is set: the bot client (which shares the app's event loop) and
its Chat.
"""
from __future__ import annotations

from ...config import Settings
from ...core.service import Core
from .chat import DiscordChat
from .client import RecapBot

__all__ = ["DiscordAdapter", "DiscordChat", "RecapBot"]


class DiscordAdapter:
    def __init__(self, core: Core, settings: Settings, client: RecapBot | None = None):
        self.settings = settings
        self.client = client or RecapBot(core, guild_ids=settings.discord_guild_ids)
        self.chat = DiscordChat(self.client)

    async def run(self) -> None:
        async with self.client:
            await self.client.start(self.settings.discord_token)
