"""What Discord sends a bot: interaction payloads (slash command, autocomplete, modal submit,
button click), built as the gateway delivers them; and recap fixtures for the renderer tests.

The bot under test runs for real (discord.py's gateway client, CommandTree, views and
modals) against tests/discord/fake_discord_api.py on loopback; these builders only
shape the events a person's clicks and typing would produce.
"""
from __future__ import annotations

import asyncio
import itertools
from contextlib import asynccontextmanager
from datetime import datetime, timezone

import discord

from bot.core.model import DigestEntry, Member, Recap
from fake_discord_api import manager_role

GUILD = 900000000000000001
OTHER_GUILD = 900000000000000002
CHANNEL = 800000000000000100
DM_CHANNEL = 500000000000000100
ALICE = 100000000000000001
APPLICATION_COMMAND, COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5
_ids = itertools.count(600000000000000001)


def interaction(kind: int, data: dict, *, guild_id: int | None = GUILD, user_id: int = ALICE, name: str = "Alice",
                manage_guild: bool = False, message: dict | None = None, channel_id: int = CHANNEL,
                channel_name: str = "lab", roles: tuple[str, ...] = ()) -> dict:
    """An INTERACTION_CREATE payload: in a server channel as a member (holding `roles`), or in a DM as a user."""
    iid = next(_ids)
    user = {"id": str(user_id), "username": name.lower(), "discriminator": "0", "avatar": None, "global_name": name}
    payload = {
        "id": str(iid), "application_id": "700000000000000001", "type": kind, "data": data,
        "token": f"interaction-token-{iid}", "version": 1, "locale": "en-GB", "app_permissions": "0",
        "attachment_size_limit": 10 * 1024 * 1024, "entitlements": [], "authorizing_integration_owners": {},
    }
    if guild_id:
        perms = discord.Permissions(manage_guild=manage_guild, send_messages=True, view_channel=True)
        payload.update(
            guild_id=str(guild_id), context=0, guild={"id": str(guild_id), "locale": "en-GB", "features": []},
            channel={"id": str(channel_id), "type": 0, "guild_id": str(guild_id), "name": channel_name, "position": 0,
                     "permission_overwrites": [], "nsfw": False, "parent_id": None, "permissions": str(perms.value)},
            member={"user": user, "roles": ([manager_role(guild_id)] if manage_guild else []) + list(roles),
                    "joined_at": "2026-01-01T00:00:00+00:00", "deaf": False,
                    "mute": False, "flags": 0, "permissions": str(perms.value)},
        )
    else:
        payload.update(context=1, user=user, channel={"id": str(DM_CHANNEL), "type": 1, "recipients": [user]})
    payload["channel_id"] = payload["channel"]["id"]
    if message is not None:
        payload["message"] = message
    return payload


def command(sub: str, guild_id: int | None = GUILD, resolved: dict | None = None, **options) -> dict:
    """The data of `/recap <sub> option:value ...`; a (type, value) tuple for users, channels or a focused option."""
    types = {str: 3, int: 4, bool: 5}
    opts = []
    for name, value in options.items():
        if isinstance(value, tuple):
            kind, raw, *focused = value
            opts.append({"name": name, "type": kind, "value": raw, **({"focused": True} if focused else {})})
        else:
            opts.append({"name": name, "type": types[type(value)], "value": value})
    data = {"id": "1", "name": "recap", "type": 1, "options": [{"name": sub, "type": 1, "options": opts}]}
    if guild_id:
        data["guild_id"] = str(guild_id)
    if resolved:
        data["resolved"] = resolved
    return data


def modal_submit(modal: dict, values: dict[str, str], figuring: bool = False,
                 selected: dict[str, list[str]] | None = None) -> dict:
    """What Discord sends back when the person fills the modal it showed and presses Submit
    (`selected`: the values picked in each select, by the field in its custom_id)."""
    components = []
    for label in modal["components"]:
        inner = label.get("component") or {}
        key = inner.get("custom_id", ":").split(":", 1)[1]
        if inner.get("type") == 4:  # text input "recap:<field>"
            value = values.get(key, inner.get("value") or "")
            components.append({"type": 18, "component": {"type": 4, "custom_id": inner["custom_id"], "value": value}})
        elif inner.get("type") == 23:  # checkbox
            components.append({"type": 18, "component": {"type": 23, "custom_id": inner["custom_id"],
                                                         "value": figuring}})
        elif inner.get("type") == 3:  # string select
            components.append({"type": 18, "component": {"type": 3, "custom_id": inner["custom_id"],
                                                         "values": (selected or {}).get(key, [])}})
    return {"custom_id": modal["custom_id"], "components": components}


def click(button: dict) -> dict:
    return {"custom_id": button["custom_id"], "component_type": 2}


def pick(select: dict, value: str) -> dict:
    """An option chosen in a select menu the bot showed."""
    return {"custom_id": select["custom_id"], "component_type": 3, "values": [value]}


# discord.py runs each handler in a task of its own; a test waits for them, never for time.
_HANDLERS = ("CommandTree-invoker", "discord-ui-view-dispatch", "discord-ui-modal-dispatch", "discord-ui-dynamic-item")


async def settle() -> None:
    """Wait until every interaction handler the bot started has finished."""
    while pending := [t for t in asyncio.all_tasks() if t.get_name().startswith(_HANDLERS) and not t.done()]:
        await asyncio.wait(pending)


async def send(api, kind: int, data: dict, **who):
    """One interaction, answered: the exchange once every handler the bot started has finished."""
    exchange = await api.interact(interaction(kind, data, **who))
    await settle()
    return exchange


@asynccontextmanager
async def running(client: discord.Client, api):
    """The client connected to the fake API's gateway (login runs setup_hook, which syncs commands)."""
    task = asyncio.create_task(client.start("test-token"))
    up = asyncio.create_task(api.connected())
    await asyncio.wait({task, up}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()  # it failed to start: say why
    assert up.done(), "the bot did not connect to the fake gateway"
    try:
        yield client
    finally:
        await client.close()
        await task


def entry(name: str, member_id: int, text: str, late: bool = False, streak: int = 1) -> DigestEntry:
    now = datetime(2026, 11, 23, 9, tzinfo=timezone.utc)
    member = Member(member_id, 1, str(member_id), name, None, now)
    recap = Recap(member_id, 1, member_id, now, question=text, question_changed=False, progress=text,
                  failures=text, questions=text, figuring_it_out=False, late=late, streak=streak,
                  submitted_at=now, updated_at=now)
    return DigestEntry(member, recap)
