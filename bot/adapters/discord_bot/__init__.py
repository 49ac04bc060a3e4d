"""Discord adapter: `/recap` slash commands, a modal form, digests as embeds in a thread.

`attach(app)` is what the composition root calls when DISCORD_TOKEN is set.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .chat import DiscordChat
from .client import RecapBot
from .guilds import JoinedGuildsChat

if TYPE_CHECKING:  # pragma: no cover
    from ...app import App

__all__ = ["DiscordChat", "RecapBot", "attach"]


def attach(app: "App") -> RecapBot:
    """Register the bot's runner and its Chat; the bot shares the app's event loop."""
    settings = app.settings
    bot = RecapBot(app.core, guild_ids=settings.discord_guild_ids)
    app.chats["discord"] = JoinedGuildsChat(bot)

    async def run() -> None:
        async with bot:
            await bot.start(settings.discord_token)

    app.runners.append(run)
    return bot
