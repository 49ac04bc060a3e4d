"""/recap export and /recap forget-me through discord.py's tree, with fake interactions."""
from __future__ import annotations

import json

import discord
import pytest

from bot.adapters.discord_bot.client import RecapBot
from bot.adapters.discord_bot.replies import ConfirmView
from bot.core.model import Actor, RecapDraft
from discord_fakes import GUILD, FakeInteraction, command_data

ALICE = 100000000000000001
WORKSPACE = f"discord:{GUILD}"


@pytest.fixture
async def bot(core):
    client = RecapBot(core, guild_ids=(GUILD,))
    yield client
    await client.close()


async def run(bot, sub, **who):
    interaction = FakeInteraction(bot, data=command_data(sub), **who)
    await bot.tree._call(interaction)
    return interaction


def alice_submits(core):
    admin = Actor(WORKSPACE, "1", "Prof", is_admin=True)
    core.teams.configure(admin, [("meeting", "Mon 10:00"), ("tz", "Europe/Berlin")])
    core.recaps.submit(Actor(WORKSPACE, str(ALICE), "Alice"), RecapDraft(progress="Counted cells"))


async def press(bot, view: ConfirmView, label: str, **who) -> FakeInteraction:
    button = next(b for b in view.children if b.label == label)
    interaction = FakeInteraction(bot, data={"component_type": 2, "custom_id": button.custom_id},
                                  type=discord.InteractionType.component, **who)
    await view._scheduled_task(button, interaction)  # as discord.py dispatches a press
    return interaction


async def ask(bot) -> ConfirmView:
    asked = await run(bot, "forget-me")
    message = asked.sent()[-1]
    assert message["ephemeral"] is True and "Delete everything recapbot stores about you" in message["content"]
    view = message["view"]
    assert isinstance(view, ConfirmView) and [b.label for b in view.children] == ["Delete my data", "Cancel"]
    return view


async def test_export_is_an_ephemeral_follow_up_with_two_files(bot, core):
    alice_submits(core)
    i = await run(bot, "export")
    [message] = i.sent()
    assert message["ephemeral"] is True and "JSON" in message["content"]
    data, markdown = message["files"]
    assert data.filename.endswith(".json") and markdown.filename.endswith(".md")
    document = json.loads(data.fp.read())
    assert document["user"] == str(ALICE) and document["records"]["recaps"][0]["progress"] == "Counted cells"
    assert "progress: Counted cells" in markdown.fp.read().decode()


async def test_forget_me_button_deletes_for_the_owner_only(bot, core):
    alice_submits(core)
    team = core.teams.team_for(WORKSPACE)
    view = await ask(bot)
    assert core.repo.get_member(team.id, str(ALICE)) is not None

    stranger = await press(bot, view, "Delete my data", user_id=300000000000000003, name="Mallory")
    assert not stranger.response.edit_message.await_count and not stranger.sent()
    assert core.repo.get_member(team.id, str(ALICE)) is not None

    owner = await press(bot, view, "Delete my data")
    assert owner.response.edit_message.await_args.kwargs["view"] is None  # the buttons are gone
    assert "Done: deleted 1 membership and 1 recap." in owner.texts()
    assert core.repo.get_member(team.id, str(ALICE)) is None


async def test_cancel_keeps_everything(bot, core):
    alice_submits(core)
    team = core.teams.team_for(WORKSPACE)
    view = await ask(bot)
    cancelled = await press(bot, view, "Cancel")
    assert cancelled.response.edit_message.await_args.kwargs == {"content": "Nothing was deleted.", "view": None}
    assert core.repo.get_member(team.id, str(ALICE)) is not None


async def test_nothing_stored_needs_no_question(bot):
    i = await run(bot, "forget-me")
    assert i.texts() == "recapbot stores nothing about you in this workspace."
