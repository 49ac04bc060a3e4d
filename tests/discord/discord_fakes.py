"""Fakes for Discord interactions: autospec'd responses, so a wrong call fails like discord.py would.

discord.py's own CommandTree, Namespace and transformers run for real; only the
HTTP edge (InteractionResponse, the follow-up Webhook) is replaced, and those
replacements check every call against discord.py's real signatures.
"""
from __future__ import annotations

from datetime import datetime, timezone
from unittest.mock import create_autospec

import discord

from bot.core.model import DigestEntry, Member, Recap

GUILD = 900000000000000001
OTHER_GUILD = 900000000000000002


class FakeInteraction:
    def __init__(self, client, *, guild_id: int | None = GUILD, user_id: int = 100000000000000001,
                 name: str = "Alice", manage_guild: bool = False, data: dict | None = None,
                 type: discord.InteractionType = discord.InteractionType.application_command):
        self.client = client
        self._state = client._connection
        self.guild_id = guild_id
        self.guild = None
        self.type = type
        self.data = data or {}
        self.extras: dict = {}
        self.command_failed = False
        self._cs_command = None
        self.permissions = discord.Permissions(manage_guild=manage_guild)
        self.user = _FakeMember(user_id, name, self.permissions if guild_id else None)
        self.response = _response()
        self.followup = create_autospec(discord.Webhook, instance=True)
        self.followup.send.return_value = None

    @property
    def command(self):
        return self._cs_command

    # -- what the person saw ------------------------------------------------------
    def sent(self) -> list[dict]:
        """Every message sent back, in order (first response and follow-ups)."""
        calls = [c for c in self.response.mock_calls if c[0] == "send_message"]
        calls += [c for c in self.followup.mock_calls if c[0] == "send"]
        out = []
        for _name, args, kwargs in calls:
            message = dict(kwargs)
            if args:
                message["content"] = args[0]
            out.append(message)
        return out

    def texts(self) -> str:
        return "\n".join(m.get("content") or "" for m in self.sent())

    def modal(self):
        calls = [c for c in self.response.mock_calls if c[0] == "send_modal"]
        return calls[-1][1][0] if calls else None


class _FakeMember:
    def __init__(self, user_id: int, name: str, perms: discord.Permissions | None):
        self.id = user_id
        self.display_name = name
        self.name = name.lower()
        if perms is not None:
            self.guild_permissions = perms


def _response():
    response = create_autospec(discord.InteractionResponse, instance=True)
    state = {"done": False}

    def done(*args, **kwargs):
        state["done"] = True

    response.is_done.side_effect = lambda: state["done"]
    for name in ("send_message", "defer", "send_modal", "edit_message"):
        getattr(response, name).side_effect = done
    return response


def command_data(sub: str, guild_id: int | None = GUILD, resolved: dict | None = None, **options) -> dict:
    """The interaction payload Discord sends for `/recap <sub> option:value ...`."""
    types = {str: 3, int: 4, bool: 5}
    opts = []
    for name, value in options.items():
        if isinstance(value, tuple):  # (type, value) for users/channels, or focused autocomplete
            kind, raw, *focused = value
            opts.append({"name": name, "type": kind, "value": raw, **({"focused": True} if focused else {})})
        else:
            opts.append({"name": name, "type": types[type(value)], "value": value})
    data = {"id": "1", "name": "recap", "type": 1,
            "options": [{"name": sub, "type": 1, "options": opts}]}
    if resolved:
        data["resolved"] = resolved
    return data


def modal_payload(modal, values: dict[str, str], figuring: bool = False) -> list[dict]:
    """What Discord sends back when the modal is submitted (Label = type 18)."""
    components = []
    for key, text_input in modal.inputs.items():
        components.append({"type": 18, "component": {"type": 4, "custom_id": text_input.custom_id,
                                                     "value": values.get(key, "")}})
    components.append({"type": 18, "component": {"type": 23, "custom_id": modal.figuring.custom_id,
                                                 "value": figuring}})
    return components


def entry(name: str, member_id: int, text: str, late: bool = False, streak: int = 1) -> DigestEntry:
    now = datetime(2026, 11, 23, 9, tzinfo=timezone.utc)
    member = Member(member_id, 1, str(member_id), name, None, now)
    recap = Recap(member_id, 1, member_id, now, question=text, question_changed=False, progress=text,
                  failures=text, questions=text, figuring_it_out=False, late=late, streak=streak,
                  submitted_at=now, updated_at=now)
    return DigestEntry(member, recap, streak)
