"""Discord across replicas: each replica connects only its shards (DISCORD_SHARD_COUNT and
DISCORD_SHARD_IDS), or no gateway at all (RECAPBOT_DISCORD=off), and any replica with the
token can still post any server's digest over HTTP.

The replicas are the real adapter built from settings, connected to the fake Discord API
on loopback; the fake's gateway routes each server's events to its shard's connection, as
Discord does ((guild_id >> 22) % shard_count), and notes a shard connected twice.
"""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import pytest

from bot.adapters.discord_bot import DiscordAdapter, RecapBot, ShardedRecapBot
from bot.config import load_settings
from bot.core.delivery import PermanentPostError
from bot.core.model import Actor, RecapDraft, Workspace
from discord_fakes import APPLICATION_COMMAND, GUILD, command, send
from fake_discord_api import MESSAGE, shard_of
from memory_parts import MemoryParts
from tests.conftest import group_of, submit_as

SHARD0_GUILD = GUILD + (1 << 22)  # with 2 shards, this server is on shard 0 and GUILD on shard 1
STRANGER_GUILD = GUILD + (2 << 22)  # a server the bot is not in


def replica(core, **env: str) -> DiscordAdapter:
    """One replica's Discord adapter, from the environment an operator would give it."""
    settings = load_settings(env={"DISCORD_TOKEN": "test-token", "DISCORD_GUILD_IDS": str(GUILD), **env})
    return DiscordAdapter(core, settings)


@asynccontextmanager
async def serving(*adapters: DiscordAdapter):
    """Each adapter's runner going, as the supervisor runs it, until it says it is up."""
    tasks = [asyncio.create_task(a.runner()) for a in adapters]
    try:
        for adapter, task in zip(adapters, tasks):
            up = asyncio.create_task(adapter.client.connected.wait())
            await asyncio.wait({task, up}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
            if task.done():
                task.result()  # it failed to start: say why
            assert up.done(), f"{adapter.runner.name} did not come up"
        yield adapters
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def interactions_seen(adapter: DiscordAdapter) -> list[int]:
    """The servers of the interactions this replica received (discord.py's on_interaction)."""
    seen: list[int] = []

    async def on_interaction(interaction):
        seen.append(interaction.guild_id)

    adapter.client.on_interaction = on_interaction
    return seen


def group_in(core, api, guild_id: int):
    """A group in the server's channel, with one recap written for its coming meeting."""
    cid = api.add_channel(guild_id)
    workspace = Workspace("discord", str(guild_id))
    admin = Actor(workspace=workspace, user_ref="100000000000000001", display_name="Alice", is_admin=True)
    core.teams.configure(admin, [("meeting", "Mon 10:00"), ("tz", "Europe/Berlin"), ("channel", f"<#{cid}>")])
    submit_as(core, admin, RecapDraft(question="q", progress="p", failures="f", questions="?"))
    return group_of(core, workspace), cid


def test_guild_ids_chosen_for_these_tests_fall_on_the_shards_they_say():
    assert (shard_of(SHARD0_GUILD, 2), shard_of(GUILD, 2)) == (0, 1)


async def test_two_replicas_each_connect_their_own_shard_and_answer_their_servers(core, api):
    api.guilds = [str(SHARD0_GUILD), str(GUILD)]
    first, second = replica(core, DISCORD_SHARD_COUNT="2", DISCORD_SHARD_IDS="0"), \
        replica(core, DISCORD_SHARD_COUNT="2", DISCORD_SHARD_IDS="1")
    assert isinstance(first.client, ShardedRecapBot) and first.runner.name == "discord"
    async with serving(first, second):
        assert sorted(i["shard"] for i in api.identifies) == [[0, 2], [1, 2]]
        assert api.duplicate_shards == []  # never two connections on one shard
        assert [g.id for g in first.client.guilds] == [SHARD0_GUILD]
        assert [g.id for g in second.client.guilds] == [GUILD]
        syncs = [path for method, path, _ in api.requests if method == "PUT" and path.endswith("/commands")]
        assert len(syncs) == 1  # the commands are told to Discord once, by the holder of shard 0

        seen_first, seen_second = interactions_seen(first), interactions_seen(second)
        on_shard1 = await send(api, APPLICATION_COMMAND, command("help"), guild_id=GUILD)
        on_shard0 = await send(api, APPLICATION_COMMAND, command("help", guild_id=SHARD0_GUILD),
                               guild_id=SHARD0_GUILD)
        assert on_shard1.response_type == MESSAGE and "/recap" in on_shard1.texts()
        assert on_shard0.response_type == MESSAGE and "/recap" in on_shard0.texts()
        assert (seen_first, seen_second) == ([SHARD0_GUILD], [GUILD])  # each answered once, by its shard


async def test_a_replica_posts_the_digest_of_a_server_on_another_replicas_shard(core, api):
    api.guilds = [str(SHARD0_GUILD), str(GUILD)]
    first = replica(core, DISCORD_SHARD_COUNT="2", DISCORD_SHARD_IDS="0")
    team, cid = group_in(core, api, GUILD)  # on shard 1: not on this replica's connection
    async with serving(first):
        refs = await first.chat.post_digest(team, core.upcoming_digest(team), MemoryParts("d").parts())
    assert refs and len(api.messages[cid]) == 1  # asked Discord over HTTP whether the bot is there, then posted
    assert ("GET", f"/api/v10/guilds/{GUILD}", None) in api.requests


async def test_with_discord_off_a_replica_opens_no_gateway_yet_posts_digests(core, api):
    off = replica(core, RECAPBOT_DISCORD="off")
    assert isinstance(off.client, RecapBot) and off.runner.name == "discord-rest"
    team, cid = group_in(core, api, GUILD)
    stranger, _ = group_in(core, api, STRANGER_GUILD)
    async with serving(off):
        refs = await off.chat.post_digest(team, core.upcoming_digest(team), MemoryParts("d").parts())
        with pytest.raises(PermanentPostError, match="no longer in Discord server"):
            await off.chat.post_digest(stranger, core.upcoming_digest(stranger), MemoryParts("s").parts())
    assert refs and len(api.messages[cid]) == 1
    assert api.identifies == [] and not any(path == "/gateway" for _, path, _ in api.requests)
    assert not any(method == "PUT" for method, _, _ in api.requests)  # nor does it sync the commands


async def test_discords_word_that_the_bot_is_in_a_server_is_trusted_for_ten_minutes(core, api):
    from bot.adapters.discord_bot.guilds import MEMBERSHIP_SECONDS, JoinedGuildsChat

    off = replica(core, RECAPBOT_DISCORD="off")
    now = [1000.0]
    chat = JoinedGuildsChat(off.client, clock=lambda: now[0])
    team, _ = group_in(core, api, GUILD)

    def asked() -> int:
        return sum(1 for method, path, _ in api.requests if (method, path) == ("GET", f"/api/v10/guilds/{GUILD}"))

    async with serving(off):
        await chat.post_digest(team, core.upcoming_digest(team), MemoryParts("a").parts())
        now[0] += MEMBERSHIP_SECONDS - 1
        await chat.post_digest(team, core.upcoming_digest(team), MemoryParts("b").parts())
        assert asked() == 1
        api.guilds.remove(str(GUILD))  # removed from the server meanwhile: the next check finds out
        now[0] += 2
        with pytest.raises(PermanentPostError, match="no longer in Discord server"):
            await chat.post_digest(team, core.upcoming_digest(team), MemoryParts("c").parts())
        assert asked() == 2
