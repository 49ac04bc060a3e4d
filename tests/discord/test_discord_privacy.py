"""/recap export and /recap forget-me as a person uses them: the real discord.py client
against the fake Discord API on loopback, asserting what Discord received back."""
from __future__ import annotations

import json


from bot.core.model import Actor, RecapDraft, Workspace
from discord_fakes import ALICE, APPLICATION_COMMAND, COMPONENT, GUILD, click, command, send
from fake_discord_api import EPHEMERAL
from tests.conftest import submit_as

UPDATE_MESSAGE = 7  # the callback type of an edit to the message that holds the pressed button
WORKSPACE = Workspace("discord", str(GUILD))
MALLORY = dict(user_id=300000000000000003, name="Mallory")


def alice_submits(core):
    admin = Actor(WORKSPACE, "1", "Prof", is_admin=True)
    core.teams.configure(admin, [("meeting", "Mon 10:00"), ("tz", "Europe/Berlin")])
    submit_as(core, Actor(WORKSPACE, str(ALICE), "Alice"), RecapDraft(progress="Counted cells"))


def is_member(core) -> bool:
    return core.groups.known_member(WORKSPACE, str(ALICE)) is not None


async def ask(api):
    """`/recap forget-me`: an ephemeral question with two buttons; returns (the exchange, its buttons)."""
    asked = await send(api, APPLICATION_COMMAND, command("forget-me"))
    message = asked.messages()[-1]
    assert message["flags"] & EPHEMERAL and "Delete everything recapbot stores about you" in message["content"]
    buttons = asked.buttons()
    assert [b["label"] for b in buttons] == ["Delete my data", "Cancel"]
    shown = api.message_payload(str(asked.payload["channel_id"]), message)
    return dict(shown, id=message["id"]), {b["label"]: b for b in buttons}


async def test_export_is_an_ephemeral_follow_up_with_two_files(bot, api, core):
    alice_submits(core)
    i = await send(api, APPLICATION_COMMAND, command("export"))
    message = i.messages()[-1]
    assert message["flags"] & EPHEMERAL and "JSON" in message["content"]
    names = sorted(message["files"])
    assert names[0].endswith(".json") and names[1].endswith(".md")
    document = json.loads(message["files"][names[0]])
    assert document["user"] == str(ALICE) and document["records"]["recaps"][0]["progress"] == "Counted cells"
    assert "progress: Counted cells" in message["files"][names[1]].decode()


async def test_forget_me_button_deletes_for_the_owner_only(bot, api, core):
    alice_submits(core)
    message, buttons = await ask(api)
    stranger = await send(api, COMPONENT, click(buttons["Delete my data"]), message=message, **MALLORY)
    assert stranger.response_type != UPDATE_MESSAGE and "belong to the person who asked" in stranger.texts()
    assert is_member(core)

    owner = await send(api, COMPONENT, click(buttons["Delete my data"]), message=message)
    [update] = [c for c in owner.callbacks if c["type"] == UPDATE_MESSAGE]
    assert update["data"]["components"] == []  # the buttons are gone
    assert "Done: deleted 1 membership and 1 recap." in update["data"]["content"] + owner.texts()
    assert not is_member(core)


async def test_cancel_keeps_everything(bot, api, core):
    alice_submits(core)
    message, buttons = await ask(api)
    cancelled = await send(api, COMPONENT, click(buttons["Cancel"]), message=message)
    [update] = [c for c in cancelled.callbacks if c["type"] == UPDATE_MESSAGE]
    assert update["data"]["content"] == "Nothing was deleted." and update["data"]["components"] == []
    assert is_member(core)


async def test_nothing_stored_needs_no_question(bot, api):
    i = await send(api, APPLICATION_COMMAND, command("forget-me"))
    assert i.texts() == "recapbot stores nothing about you in this workspace."
