"""Discord adapter: `/recap` slash commands, a modal form, digests as embeds in a thread.

`attach(app)` is what the composition root calls when DISCORD_TOKEN is set.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from ...supervisor import Runner
from .chat import DiscordChat
from .client import RecapBot
from .guilds import JoinedGuildsChat

if TYPE_CHECKING:  # pragma: no cover
    from ...app import App

__all__ = ["DiscordChat", "RecapBot", "attach"]


def attach(app: "App") -> RecapBot:
    """Register the bot's runner and its Chat; the bot shares the app's event loop.

    A login or connection that fails raises out of run(); the supervisor starts it
    again with backoff, on the same client (cleared first), while the rest keeps serving."""
    settings = app.settings
    bot = RecapBot(app.core, guild_ids=settings.discord_guild_ids)
    app.chats["discord"] = JoinedGuildsChat(bot)

    async def run() -> None:
        bot.connected.clear()
        if bot.is_closed():  # closed by a failed start: reopen it
            bot.clear()
            if getattr(bot.http.connector, "closed", False):
                # clear() keeps the closed connector, and the next login would fail with
                # "Session is closed" (Rapptz/discord.py#9121): let login make a new one.
                bot.http.connector = discord.utils.MISSING
        async with bot:
            await bot.start(settings.discord_token)

    app.runners.append(Runner("discord", run, ready=bot.connected.wait))
    return bot
