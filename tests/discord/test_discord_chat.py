"""The Chat port through the real discord.py HTTP client, against a Discord-compatible API on loopback."""
from __future__ import annotations

import asyncio

import discord
import pytest

from bot.adapters.discord_bot.chat import DigestNotPosted, DiscordChat
from bot.adapters.discord_bot.client import RecapBot
from bot.core.commands import COMMANDS
from bot.app import attach_discord
from bot.config import Settings
from bot.core.delivery import PermanentPostError
from bot.core.model import Actor, RecapDraft, Workspace
from discord_fakes import GUILD, OTHER_GUILD
from fake_discord_api import FakeDiscord
from memory_parts import Crash, MemoryParts
from tests.conftest import group_of, submit_as

WS = Workspace("discord", str(GUILD))


@pytest.fixture
async def api(monkeypatch):
    fake = FakeDiscord()
    base = await fake.start()
    monkeypatch.setattr(discord.http.Route, "BASE", base)
    yield fake
    await fake.stop()


@pytest.fixture
async def bot(core, api):
    client = RecapBot(core, guild_ids=(GUILD,))
    await client.login("test-token")  # runs setup_hook: commands are synced to the guild
    yield client
    await client.close()


def member(i: int) -> Actor:
    return Actor(WS, str(100000000000000000 + i), f"Member {i:02d}", is_admin=True)


def team_with(core, api, recaps: int, chars: int, channel_guild: int = GUILD):
    cid = api.add_channel(channel_guild)
    core.teams.configure(member(0), [("meeting", "Mon 10:00"), ("tz", "Europe/Berlin"), ("channel", f"<#{cid}>")])
    for i in range(recaps):
        body = " ".join(f"m{i}w{j}" for j in range(chars))[:chars]
        submit_as(core, member(i), RecapDraft(question=body, progress=body, failures=body, questions=body))
    return group_of(core, WS), cid


async def test_commands_sync_to_the_listed_guild_at_start(bot, api):
    [recap] = api.commands[str(GUILD)]
    assert recap["name"] == "recap" and len(recap["options"]) == len(COMMANDS)
    assert "global" not in api.commands


async def test_forty_members_of_3000_chars_post_without_a_rejected_message(bot, api, core):
    team, cid = team_with(core, api, 40, 3000)
    digest = core.upcoming_digest(team)
    refs = await DiscordChat(bot).post_digest(team, digest, MemoryParts("team1:2026-11-23").parts())
    assert api.rejected == []
    root_channel, root_id = refs[0].split(":")
    assert root_channel == cid and len(api.messages[cid]) == 1  # only the header in the channel
    thread = api.messages[root_id]  # the thread carries the header message's id
    assert len(refs) == 1 + len(thread) and all(r.startswith(f"{root_id}:") for r in refs[1:])
    assert api.channels[root_id]["name"].startswith("Recaps for Mon 23 Nov 2026")
    # every member's progress arrives whole, in order, in the thread (only the space at each cut is left out)
    text = " ".join(e.get("description") or "" for m in thread for e in m["embeds"]
                   if e.get("title", "").startswith("Progress"))
    for i in range(40):
        assert " ".join(f"m{i}w{j}" for j in range(3000))[:3000] in text
    # no post may ping anyone, whatever people typed
    posts = [body for method, path, body in api.requests if method == "POST" and path.endswith("/messages")]
    assert all(body["allowed_mentions"] == {"parse": []} and body["enforce_nonce"] for body in posts)


def all_messages(api) -> list[dict]:
    return [m for messages in api.messages.values() for m in messages]


async def test_a_kill_before_the_part_is_recorded_does_not_show_it_twice_thanks_to_the_nonce(bot, api, core):
    team, cid = team_with(core, api, 3, 200)
    digest = core.upcoming_digest(team)
    chat = DiscordChat(bot)
    memory = MemoryParts("team1:2026-11-23", crash_at=2)
    with pytest.raises(Crash):
        await chat.post_digest(team, digest, memory.parts())
    count = len(all_messages(api))
    assert len(memory.recorded) == 2 and count == 3  # Discord has part 2; we never recorded it
    refs = await chat.post_digest(team, digest, memory.parts())  # the restart, within the nonce's minutes
    root_id = refs[0].split(":")[1]
    assert refs[:2] == memory.recorded[:2] and len(api.messages[cid]) == 1  # one header, the same thread
    assert len(refs) == 1 + len(api.messages[root_id]) == len(all_messages(api)) > count
    again = await chat.post_digest(team, digest, MemoryParts("team1:2026-11-23").parts())  # nothing recorded at all
    assert again == refs and len(all_messages(api)) == len(refs)


async def test_missing_access_is_permanent_and_says_where(bot, api, core):
    team, cid = team_with(core, api, 1, 50)
    api.no_access.add(cid)
    with pytest.raises(PermanentPostError) as refused:
        await DiscordChat(bot).post_digest(team, core.upcoming_digest(team), MemoryParts().parts())
    assert (refused.value.fix, refused.value.where) == ("permission", f"<#{cid}>")
    assert "Missing Access" in refused.value.reason


async def test_an_unknown_channel_is_permanent(bot, api, core):
    team, cid = team_with(core, api, 1, 50)
    del api.channels[cid], api.messages[cid]
    with pytest.raises(PermanentPostError) as refused:
        await DiscordChat(bot).post_digest(team, core.upcoming_digest(team), MemoryParts().parts())
    assert refused.value.fix == "channel"


async def test_a_late_update_goes_into_the_thread(bot, api, core):
    team, cid = team_with(core, api, 2, 100)
    chat = DiscordChat(bot)
    refs = await chat.post_digest(team, core.upcoming_digest(team), MemoryParts().parts())
    submit_as(core, member(7), RecapDraft(progress="arrived late"))
    entry = next(e for e in core.upcoming_digest(team).entries if e.member.display_name == "Member 07")
    late = await chat.post_late_update(team, refs, entry, MemoryParts("k:late:7").parts())
    thread_id = refs[0].split(":")[1]
    assert late[0].startswith(f"{thread_id}:")
    assert api.messages[thread_id][-1]["embeds"][0]["description"] == "arrived late"


async def test_a_channel_of_another_server_is_refused(bot, api, core):
    team, cid = team_with(core, api, 1, 50, channel_guild=OTHER_GUILD)
    with pytest.raises(DigestNotPosted, match="not in its own server"):
        await DiscordChat(bot).post_digest(team, core.upcoming_digest(team), MemoryParts().parts())
    assert api.messages[cid] == []


async def test_no_channel_is_a_clear_error(bot, api, core, repo):
    core.teams.configure(member(0), [("meeting", "Mon 10:00")])
    team = group_of(repo, WS)
    with pytest.raises(DigestNotPosted, match="no digest channel"):
        await DiscordChat(bot).post_digest(team, core.upcoming_digest(team), MemoryParts().parts())


async def test_reminder_is_a_dm_with_a_form_button_and_a_closed_dm_is_permanent(bot, api, core):
    team, _ = team_with(core, api, 0, 0)
    who = core.teams.member_for(member(3))
    meeting = core.upcoming_digest(team).meeting_local
    await DiscordChat(bot).remind(team, who, meeting, MemoryParts("remind:1").parts())
    dm = f"5{who.user_ref[1:]}"
    [message] = api.messages[dm]
    assert "Member 03" in message["content"] and "Mon 23 Nov 2026" in message["content"]
    button = message["components"][0]["components"][0]
    assert button["custom_id"] == f"recapbot:form:{GUILD}:{team.id}"  # the guild and the group
    api.closed_dms.add(dm)
    with pytest.raises(PermanentPostError) as refused:  # the scheduler records it and does not retry
        await DiscordChat(bot).remind(team, who, meeting, MemoryParts("remind:2").parts())
    assert refused.value.fix == "dm"


def test_attach_registers_a_runner_and_the_chat(core):
    from types import SimpleNamespace

    app = SimpleNamespace(core=core, settings=Settings(discord_guild_ids=(GUILD,), discord_token="t"),
                          runners=[], chats={})
    adapter = attach_discord(app)
    assert isinstance(app.chats["discord"], DiscordChat) and app.chats["discord"].client is adapter.client
    assert app.runners == [adapter.runner] and adapter.client.guild_ids == (GUILD,)


async def test_after_removal_from_the_server_nothing_is_sent_there(core, api, caplog):
    from types import SimpleNamespace

    from fake_discord_api import BOT_USER

    app = SimpleNamespace(core=core, settings=Settings(discord_guild_ids=(GUILD,), discord_token="t"),
                          runners=[], chats={})
    client = attach_discord(app).client
    chat = app.chats["discord"]
    api.guilds = [str(GUILD)]  # the servers the bot is in
    team, cid = team_with(core, api, 1, 50)
    who = core.teams.member_for(member(3))
    meeting = core.upcoming_digest(team).meeting_local
    with pytest.raises(RuntimeError, match="not connected yet"):  # not even logged in: nothing to ask with
        await chat.post_digest(team, core.upcoming_digest(team), MemoryParts("k0").parts())
    await client.login("test-token")
    # Logged in, the gateway not ready yet: Discord is asked over HTTP whether the bot is in the server.
    await chat.post_digest(team, core.upcoming_digest(team), MemoryParts("k").parts())
    assert ("GET", f"/api/v10/guilds/{GUILD}", None) in api.requests and len(api.messages[cid]) == 1

    # The gateway's READY lists the server; Discord then removes the bot from it (GUILD_DELETE).
    state = client._connection
    state.guild_ready_timeout = 0
    state.parse_ready({"user": BOT_USER, "guilds": [{"id": str(GUILD), "unavailable": True}]})
    await client.wait_until_ready()
    refs = await chat.post_digest(team, core.upcoming_digest(team), MemoryParts("k").parts())
    assert len(api.messages[cid]) == 1  # the same post, resumed: its nonce keeps it single
    state.parse_guild_delete({"id": str(GUILD)})
    await asyncio.sleep(0)  # let discord.py run the on_guild_remove listener it scheduled
    assert f"removed from Discord server {GUILD}" in caplog.text

    sent = len(api.requests)
    with pytest.raises(PermanentPostError, match="no longer in Discord server"):
        await chat.post_digest(team, core.upcoming_digest(team), MemoryParts("k2").parts())
    with pytest.raises(PermanentPostError, match="no longer in Discord server"):
        await chat.post_late_update(team, refs, core.upcoming_digest(team).entries[0], MemoryParts("k2:late").parts())
    await chat.remind(team, who, meeting, MemoryParts("r").parts())
    await chat.tell(team, who.user_ref, "hello")
    assert len(api.requests) == sent  # not one call to Discord: no post, no reminder DM
    await client.close()
