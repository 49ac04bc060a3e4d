"""The fake Discord API on loopback and the real bot connected to it, for every Discord test."""
from __future__ import annotations

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket
from discord_fakes import GUILD, OTHER_GUILD, running
from fake_discord_api import FakeDiscord

from bot.adapters.discord_bot.client import RecapBot


@pytest.fixture
async def api(monkeypatch):
    """The fake API, with discord.py's REST base and gateway pointed at it; the bot is in two servers."""
    fake = FakeDiscord()
    fake.guilds = [str(GUILD), str(OTHER_GUILD)]
    await fake.start()
    monkeypatch.setattr(discord.http.Route, "BASE", fake.base)
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))
    yield fake
    await fake.stop()


@pytest.fixture
async def bot(core, api):
    async with running(RecapBot(core, guild_ids=(GUILD,)), api) as client:
        yield client
