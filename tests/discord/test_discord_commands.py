"""The /recap tree through discord.py's own CommandTree, with fake interactions.

Only the HTTP edge is faked (autospec'd InteractionResponse and follow-up
Webhook); the database, the core and discord.py's option parsing are real.
"""
from __future__ import annotations

import logging

import discord
import pytest

from bot.adapters.discord_bot import buttons
from bot.adapters.discord_bot.buttons import OpenFormButton
from bot.adapters.discord_bot.client import RecapBot
from bot.adapters.discord_bot.modal import RecapModal
from bot.core.model import MAX_FIELD_CHARS
from bot.core.service import Core
from bot.store.db import make_engine
from bot.store.repo import SqlRepository
from discord_fakes import GUILD, OTHER_GUILD, FakeInteraction, command_data, modal_payload

ADMIN = dict(manage_guild=True, user_id=200000000000000002, name="Prof")


@pytest.fixture
async def bot(core):
    client = RecapBot(core, guild_ids=(GUILD,))
    yield client
    await client.close()


async def run(bot, sub, guild_id=GUILD, resolved=None, **kwargs):
    """Invoke `/recap <sub>` as Discord would: an interaction payload through the tree."""
    who = {k: kwargs.pop(k) for k in ("user_id", "name", "manage_guild") if k in kwargs}
    interaction = FakeInteraction(bot, guild_id=guild_id, data=command_data(sub, guild_id, resolved, **kwargs), **who)
    await bot.tree._call(interaction)
    return interaction


async def autocomplete(bot, sub, option, current, **kwargs):
    data = command_data(sub, **{option: (3, current, True)}, **kwargs)
    interaction = FakeInteraction(bot, data=data, type=discord.InteractionType.autocomplete)
    interaction.response.autocomplete.side_effect = None
    await bot.tree._call(interaction)
    [call] = interaction.response.autocomplete.await_args_list
    return [(c.name, c.value) for c in call.args[0]]


async def configure(bot):
    i = await run(bot, "setup", weekday="Mon", time="10:00", timezone="Europe/Berlin", **ADMIN)
    assert "Saved." in i.texts(), i.texts()


async def submit_form(bot, values, figuring=False, **who):
    opened = await run(bot, "submit", **who)
    modal = opened.modal()
    assert isinstance(modal, RecapModal), opened.texts()
    submitted = FakeInteraction(bot, **who)
    await modal._scheduled_task(submitted, modal_payload(modal, values, figuring), {})  # as discord.py dispatches it
    return modal, submitted


# -- the tree's shape -------------------------------------------------------------
def test_tree_shape(core):
    bot = RecapBot(core)
    [group] = bot.tree.get_commands()
    payload = group.to_dict(bot.tree)
    assert payload["name"] == "recap" and len(payload["description"]) <= 100
    assert payload.get("default_member_permissions") is None  # setup's own rule decides, per team
    subs = {opt["name"]: opt for opt in payload["options"]}
    assert set(subs) == {"submit", "question", "away", "back", "status", "digest", "history", "timezone",
                         "schedule", "setup", "skip-meeting", "help"}
    for sub in subs.values():
        assert 1 <= len(sub["description"]) <= 100
        for option in sub.get("options", []):
            assert 1 <= len(option["description"]) <= 100, (sub["name"], option["name"])
    assert [o["name"] for o in subs["away"]["options"]] == ["until", "reason"]
    assert subs["away"]["options"][0]["required"] is True
    assert {o["name"]: o.get("autocomplete") for o in subs["setup"]["options"]}["timezone"] is True
    assert {o["name"]: o.get("autocomplete") for o in subs["setup"]["options"]}["weekday"] is True
    assert subs["timezone"]["options"][0]["autocomplete"] is True
    channel = {o["name"]: o for o in subs["setup"]["options"]}["channel"]
    assert channel["type"] == 7 and channel["channel_types"] == [0, 5]
    assert subs["question"]["options"][0]["max_length"] == MAX_FIELD_CHARS
    history = {o["name"]: o for o in subs["history"]["options"]}
    assert history["member"]["type"] == discord.AppCommandOptionType.user.value
    assert (history["count"]["min_value"], history["count"]["max_value"]) == (1, 20)


async def test_no_privileged_intents(core):
    bot = RecapBot(core)
    assert not (bot.intents.message_content or bot.intents.members or bot.intents.presences)
    assert bot.intents == discord.Intents.default()
    await bot.close()


# -- commands -------------------------------------------------------------------------
async def test_outside_a_server_gets_a_polite_pointer(bot):
    i = await run(bot, "status", guild_id=None)
    assert "inside a server" in i.texts()
    assert i.sent()[0]["ephemeral"] is True


async def test_setup_needs_manage_server(bot, core):
    refused = await run(bot, "setup", weekday="Mon", time="10:00")
    assert "Only workspace admins" in refused.texts()
    assert core.repo.team_for_workspace(f"discord:{GUILD}").schedule is None
    await configure(bot)
    team = core.repo.team_for_workspace(f"discord:{GUILD}")
    assert team.schedule.describe() == "Mon 10:00 Europe/Berlin, every week"
    i = await run(bot, "setup", **ADMIN)  # no options: show settings
    assert "Settings for" in i.texts() and "key=value" not in i.texts()


async def test_setup_channel_is_stored_as_a_mention_chat_can_read(bot, core):
    await configure(bot)
    cid = "800000000000000555"
    resolved = {"channels": {cid: {"id": cid, "type": 0, "name": "lab", "permissions": "0"}}}
    i = await run(bot, "setup", resolved=resolved, channel=(7, cid), **ADMIN)
    assert "Saved." in i.texts()
    assert core.repo.team_for_workspace(f"discord:{GUILD}").channel == f"<#{cid}>"


async def test_changing_only_the_time_keeps_the_day(bot, core):
    await configure(bot)
    await run(bot, "setup", time="14:30", **ADMIN)
    assert core.repo.team_for_workspace(f"discord:{GUILD}").schedule.describe().startswith("Mon 14:30")


async def test_every_answer_is_ephemeral_and_deferred_first(bot):
    await configure(bot)
    i = await run(bot, "status")
    i.response.defer.assert_awaited_once_with(ephemeral=True, thinking=True)
    assert all(m["ephemeral"] for m in i.sent())
    assert "Next meeting" in i.texts()


async def test_away_keeps_a_reason_with_quotes_and_spaces(bot, core):
    await configure(bot)
    i = await run(bot, "away", until="2w", reason='conference "NeurIPS"  and  travel')
    assert 'conference "NeurIPS"  and  travel' in i.texts()
    bad = await run(bot, "away", until="someday")
    assert "Unknown away period" in bad.texts()


async def test_timezone_is_set_per_member_and_autocompletes(bot, core):
    await configure(bot)
    i = await run(bot, "timezone", zone="America/New_York")
    assert "America/New_York" in i.texts()
    team = core.repo.team_for_workspace(f"discord:{GUILD}")
    assert core.repo.get_member(team.id, "100000000000000001").timezone == "America/New_York"
    wrong = await run(bot, "timezone", zone="Mars/Olympus")
    assert "Unknown timezone" in wrong.texts()
    choices = await autocomplete(bot, "timezone", "zone", "berl")
    assert ("Europe/Berlin", "Europe/Berlin") in choices and len(choices) <= 25


async def test_weekday_autocomplete(bot):
    assert await autocomplete(bot, "setup", "weekday", "t") == [("Tuesday", "Tue"), ("Thursday", "Thu")]


async def test_history_of_another_member_by_user_option(bot, core):
    await configure(bot)
    await submit_form(bot, {"progress": "Bob's progress"}, user_id=300000000000000003, name="Bob")
    resolved = {"users": {"300000000000000003": {"id": "300000000000000003", "username": "bob",
                                                  "discriminator": "0", "avatar": None, "global_name": "Bob"}}}
    i = await run(bot, "history", resolved=resolved, member=(6, "300000000000000003"), count=3)
    assert "History of Bob" in i.texts() and "Bob's progress" in i.texts()


async def test_digest_preview_is_rendered_as_embeds(bot):
    await configure(bot)
    await submit_form(bot, {"progress": "Finished the survey", "questions": "Who has GPU time?"})
    i = await run(bot, "digest")
    first = i.sent()[0]
    assert first["ephemeral"] and "Preview" in first["content"]
    titles = [e.title for m in i.sent() for e in m.get("embeds", [])]
    assert "Questions for the meeting" in titles and "Progress" in titles


async def test_long_replies_are_split_to_2000_characters(bot):
    await configure(bot)
    for _ in range(2):
        await submit_form(bot, {"progress": "p" * 2900, "failures": "f" * 2900})
    i = await run(bot, "history")
    assert all(len(m["content"]) <= 2000 for m in i.sent())
    assert i.texts().count("p") >= 2900


async def test_help_works_everywhere_without_deferring(bot):
    i = await run(bot, "help", guild_id=None)
    assert "/recap" in i.texts()


# -- the modal ----------------------------------------------------------------------
async def test_submit_opens_a_prefilled_modal_and_a_second_one_replaces(bot, core):
    await configure(bot)
    await run(bot, "question", text="Can small models reason?")
    opened = await run(bot, "submit")
    modal = opened.modal()
    assert modal.inputs["question"].default == "Can small models reason?"
    assert all(t.max_length == 4000 and "3,000" in t.placeholder for t in modal.inputs.values())
    assert len(modal.children) == 5 and all(isinstance(c, discord.ui.Label) for c in modal.children)
    assert len(modal.title) <= 45

    _, done = await submit_form(bot, {"question": "Can small models reason?", "progress": "First try"})
    assert "Thanks! Your recap is in" in done.texts()
    modal, again = await submit_form(bot, {"question": "Can small models reason?", "progress": "Second try"},
                                     figuring=True)
    assert modal.inputs["progress"].default == "First try"  # the earlier answers were pre-filled
    assert modal.title.startswith("Update your recap")
    assert "Updated your recap" in again.texts()
    team = core.repo.team_for_workspace(f"discord:{GUILD}")
    digest = core.upcoming_digest(team)
    [entry] = digest.entries
    assert entry.recap.progress == "Second try" and entry.recap.figuring_it_out


async def test_rejected_form_offers_a_fix_button_with_everything_typed(bot, core):
    await configure(bot)
    modal, sent = await submit_form(bot, {"progress": "x" * (MAX_FIELD_CHARS + 1), "failures": "kept"})
    message = sent.sent()[-1]
    assert "Nothing was saved" in message["content"] and "3,000" in message["content"]
    fix = FakeInteraction(bot)
    view = message["view"]
    await view.children[0].callback(fix)
    reopened = fix.modal()
    assert reopened.inputs["progress"].default == "x" * (MAX_FIELD_CHARS + 1)
    assert reopened.inputs["failures"].default == "kept"


async def test_no_schedule_yet_says_what_to_do(bot):
    i = await run(bot, "submit")
    assert i.modal() is None and "no meeting time yet" in i.texts()


# -- errors and isolation --------------------------------------------------------------
@pytest.fixture
def broken_core(tmp_path, clock):
    """A core whose database has no tables: every query fails for real."""
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    yield Core.build(SqlRepository(engine), clock)
    engine.dispose()


async def test_an_error_in_a_command_is_logged_and_told_briefly(broken_core, caplog):
    bot = RecapBot(broken_core)
    with caplog.at_level(logging.ERROR, logger="recapbot.discord"):
        i = await run(bot, "status")
    await bot.close()
    assert "nothing you typed was lost" in i.texts() and i.sent()[-1]["ephemeral"]
    assert "no such table" in caplog.text and "Traceback" in caplog.text


async def test_a_failed_form_gives_the_answers_back(bot, broken_core, caplog):
    await configure(bot)
    modal = (await run(bot, "submit")).modal()
    modal.core = broken_core  # the database goes away while the form is open
    submitted = FakeInteraction(bot)
    with caplog.at_level(logging.ERROR, logger="recapbot.discord"):
        await modal._scheduled_task(submitted, modal_payload(modal, {"progress": "my precious text"}), {})
    last = submitted.sent()[-1]
    assert "nothing you typed was lost" in last["content"]
    assert b"my precious text" in last["file"].fp.read()
    assert "no such table" in caplog.text


async def test_guilds_do_not_see_each_other(bot, core):
    await configure(bot)
    await submit_form(bot, {"progress": "secret of guild one"})
    await run(bot, "setup", guild_id=OTHER_GUILD, weekday="Tue", time="09:00", timezone="UTC", **ADMIN)
    bob = dict(user_id=300000000000000003, name="Bob")
    preview = await run(bot, "digest", guild_id=OTHER_GUILD, **bob)
    status = await run(bot, "status", guild_id=OTHER_GUILD, **bob)
    seen = preview.texts() + status.texts() + "".join(
        (e.description or "") for m in preview.sent() for e in m.get("embeds", []))
    assert "secret of guild one" not in seen and "Alice" not in seen
    one = core.repo.team_for_workspace(f"discord:{GUILD}")
    two = core.repo.team_for_workspace(f"discord:{OTHER_GUILD}")
    assert one.id != two.id and two.schedule.describe().startswith("Tue 09:00")


# -- the reminder button ---------------------------------------------------------------
async def test_reminder_button_opens_the_form_from_a_dm_for_members_only(bot, core):
    await configure(bot)
    await run(bot, "status")  # Alice joins the team
    button = OpenFormButton(GUILD)
    in_dm = FakeInteraction(bot, guild_id=None)
    await button.callback(in_dm)
    assert isinstance(in_dm.modal(), RecapModal)
    stranger = FakeInteraction(bot, guild_id=None, user_id=400000000000000004, name="Eve")
    await button.callback(stranger)
    assert stranger.modal() is None and "not part of" in stranger.texts()


async def test_a_slow_form_offers_the_button_instead(bot, monkeypatch):
    await configure(bot)
    monkeypatch.setattr(buttons, "FORM_DEADLINE", 0)
    i = await run(bot, "submit")
    assert i.modal() is None
    view = i.sent()[-1]["view"]
    assert view.children[0].custom_id == f"recapbot:form:{GUILD}" and view.timeout is None
