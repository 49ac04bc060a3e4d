"""/recap as a person uses it: the real discord.py client against the fake Discord API on loopback.

Interactions arrive over the fake gateway (INTERACTION_CREATE) exactly as Discord
delivers them; each test asserts what Discord received back and so what the
person saw: the response type (a message, "thinking...", a modal), whether it
was ephemeral, and the text, embeds, buttons and files. The database, the core,
discord.py's option parsing, views and modals are all real.
"""
from __future__ import annotations

import discord
import pytest

from bot.adapters.discord_bot import buttons
from bot.adapters.discord_bot.client import RecapBot
from bot.core.model import MAX_FIELD_CHARS, Workspace
from bot.core.service import Core
from bot.store.db import make_engine
from bot.store.repo import SqlRepository
from discord_fakes import (
    send,
    APPLICATION_COMMAND, AUTOCOMPLETE, COMPONENT, GUILD, MODAL_SUBMIT, OTHER_GUILD, click, command, modal_submit,
    running,
)
from fake_discord_api import DEFERRED, EPHEMERAL, MESSAGE, MODAL
from tests.conftest import group_of

ADMIN = dict(manage_guild=True, user_id=200000000000000002, name="Prof")
BOB = dict(user_id=300000000000000003, name="Bob")


async def run(api, sub, guild_id=GUILD, resolved=None, **kwargs):
    """`/recap <sub> option:value ...` typed by a person (Alice unless user_id/name/manage_guild say otherwise)."""
    who = {k: kwargs.pop(k) for k in ("user_id", "name", "manage_guild") if k in kwargs}
    return await send(api, APPLICATION_COMMAND, command(sub, guild_id, resolved, **kwargs), guild_id=guild_id, **who)


async def autocomplete(api, sub, option, current, **kwargs):
    exchange = await send(api, AUTOCOMPLETE, command(sub, **{option: (3, current, True)}, **kwargs))
    [callback] = exchange.callbacks
    assert callback["type"] == 8  # APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
    return [(c["name"], c["value"]) for c in callback["data"]["choices"]]


async def configure(api, members=({}, BOB)):
    """The group of the channel, set up by its admin; Alice (the default person) and Bob join it."""
    i = await run(api, "setup", weekday="Mon", time="10:00", timezone="Europe/Berlin", **ADMIN)
    assert "Saved." in i.texts(), i.texts()
    for who in members:
        assert "member of" in (await run(api, "join", **who)).texts()


async def submit_form(api, values, figuring=False, **who):
    """Open the form with /recap submit, fill it in, press Submit: (the modal shown, the answer to the submit)."""
    opened = await run(api, "submit", **who)
    assert opened.response_type == MODAL, opened.texts()
    modal = opened.modal()
    submitted = await send(api, MODAL_SUBMIT, modal_submit(modal, values, figuring), **who)
    return modal, submitted


def inputs(modal: dict) -> dict[str, dict]:
    """The modal's text inputs by field ("progress", ...), as Discord shows them."""
    return {label["component"]["custom_id"].split(":", 1)[1]: label["component"]
            for label in modal["components"] if label["component"]["type"] == 4}


def ephemeral(message: dict) -> bool:
    return bool(message.get("flags", 0) & EPHEMERAL)


# -- what Discord was told at start -----------------------------------------------------
async def test_the_command_discord_shows_is_within_its_limits(bot, api):
    [recap] = api.commands[str(GUILD)]
    assert recap["name"] == "recap" and len(recap["description"]) <= 100
    assert recap.get("default_member_permissions") is None  # setup's own rule decides, per team
    subs = {opt["name"]: opt for opt in recap["options"]}
    assert set(subs) == {"submit", "question", "away", "back", "status", "digest", "history", "timezone",
                         "schedule", "setup", "skip-meeting", "groups", "join", "leave", "group", "deck", "export",
                         "forget-me", "help", "milestone", "questions", "answered", "search"}
    assert len(subs) <= 25  # Discord's limit of options (subcommands and groups) in one command
    assert [o["name"] for o in subs["milestone"]["options"]] == ["add", "done", "drop", "list"]
    for sub in subs.values():
        assert 1 <= len(sub["description"]) <= 100
        for option in sub.get("options", []):
            assert 1 <= len(option["description"]) <= 100, (sub["name"], option["name"])
    assert [o["name"] for o in subs["away"]["options"]] == ["until", "reason", "group"]
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


async def test_no_privileged_intents_are_asked_for(bot, api):
    await run(api, "help")  # the gateway session is up
    intents = discord.Intents._from_value(api.identify["intents"])
    assert not (intents.message_content or intents.members or intents.presences)
    assert intents == discord.Intents.default()


# -- commands -------------------------------------------------------------------------
async def test_outside_a_server_gets_a_polite_pointer(bot, api):
    i = await run(api, "status", guild_id=None)
    assert "inside a server" in i.texts()
    assert all(ephemeral(m) for m in i.messages())


async def test_setup_needs_manage_server(bot, api, core):
    refused = await run(api, "setup", weekday="Mon", time="10:00")
    assert "Only workspace admins" in refused.texts()
    assert "no recap group in this workspace" in (await run(api, "status")).texts()
    await configure(api)
    assert "Mon 10:00" in (await run(api, "schedule")).texts()
    i = await run(api, "setup", **ADMIN)  # no options: show settings
    assert "Settings for" in i.texts() and "key=value" not in i.texts()


async def test_setup_channel_is_stored_as_a_mention_chat_can_read(bot, api, core, repo):
    await configure(api)
    cid = "800000000000000555"
    resolved = {"channels": {cid: {"id": cid, "type": 0, "name": "lab", "permissions": "0"}}}
    i = await run(api, "setup", resolved=resolved, channel=(7, cid), **ADMIN)
    assert "Saved." in i.texts()
    assert group_of(repo, Workspace("discord", str(GUILD))).channel == f"<#{cid}>"


async def test_changing_only_the_time_keeps_the_day(bot, api):
    await configure(api)
    await run(api, "setup", time="14:30", **ADMIN)
    assert "Mon 14:30" in (await run(api, "schedule")).texts()


async def test_every_answer_is_private_pings_nobody_and_shows_thinking_first(bot, api):
    await configure(api)
    i = await run(api, "status")
    assert i.response_type == DEFERRED and ephemeral(i.callbacks[0]["data"])  # "recapbot is thinking..."
    assert i.followups and all(ephemeral(m) for m in i.followups)
    assert all(m["allowed_mentions"] == {"parse": []} for m in i.followups)
    assert "Next meeting" in i.texts()


async def test_away_keeps_a_reason_with_quotes_and_spaces(bot, api):
    await configure(api)
    i = await run(api, "away", until="2w", reason='conference "NeurIPS"  and  travel')
    assert 'conference "NeurIPS"  and  travel' in i.texts()
    bad = await run(api, "away", until="someday")
    assert "Unknown away period" in bad.texts()


async def test_timezone_is_set_per_member_and_autocompletes(bot, api, core, repo):
    await configure(api)
    i = await run(api, "timezone", zone="America/New_York")
    assert "America/New_York" in i.texts()
    team = group_of(repo, Workspace("discord", str(GUILD)))
    assert repo.get_member(team.id, "100000000000000001").timezone == "America/New_York"
    wrong = await run(api, "timezone", zone="Mars/Olympus")
    assert "Unknown timezone" in wrong.texts()
    choices = await autocomplete(api, "timezone", "zone", "berl")
    assert ("Europe/Berlin", "Europe/Berlin") in choices and len(choices) <= 25


async def test_weekday_autocomplete(bot, api):
    assert await autocomplete(api, "setup", "weekday", "t") == [("Tuesday", "Tue"), ("Thursday", "Thu")]


async def test_history_of_another_member_by_user_option(bot, api):
    await configure(api)
    await submit_form(api, {"progress": "Bob's progress"}, **BOB)
    resolved = {"users": {"300000000000000003": {"id": "300000000000000003", "username": "bob",
                                                  "discriminator": "0", "avatar": None, "global_name": "Bob"}}}
    i = await run(api, "history", resolved=resolved, member=(6, "300000000000000003"), count=3)
    assert "History of Bob" in i.texts() and "Bob's progress" in i.texts()


async def test_digest_preview_is_rendered_as_embeds(bot, api):
    await configure(api)
    await submit_form(api, {"progress": "Finished the survey", "questions": "Who has GPU time?"})
    i = await run(api, "digest")
    first = i.messages()[0]
    assert ephemeral(first) and "Preview" in first["content"]
    titles = [e.get("title") for e in i.embeds()]
    assert "Questions for the meeting" in titles and "Progress" in titles
    assert api.rejected == []


async def test_a_masked_link_in_a_recap_is_shown_with_its_address(bot, api):
    await configure(api)
    await submit_form(api, {"progress": "Notes in [the slides](https://evil.example/login)"})
    i = await run(api, "digest")
    [progress] = [e["description"] for e in i.embeds() if e.get("title") == "Progress"]
    assert progress == "Notes in \\[the slides](https://evil.example/login)"  # Discord shows it as typed


async def test_long_replies_are_split_to_2000_characters(bot, api):
    await configure(api)
    for _ in range(2):
        await submit_form(api, {"progress": "p" * 2900, "failures": "f" * 2900})
    i = await run(api, "history")
    assert len(i.messages()) > 1 and all(len(m["content"]) <= 2000 for m in i.messages())
    assert i.texts().count("p") >= 2900
    assert api.rejected == []


async def test_help_answers_at_once_everywhere(bot, api):
    for guild_id in (None, GUILD):
        i = await run(api, "help", guild_id=guild_id)
        assert i.response_type == MESSAGE and i.followups == []  # the answer itself, no "thinking..." first
        assert ephemeral(i.callbacks[0]["data"]) and "/recap away" in i.texts()


# -- the modal ----------------------------------------------------------------------
async def press(api, exchange, label: str, **who):
    """Click the button called `label` in what the person was shown."""
    for message in exchange.messages():
        for row in message.get("components") or []:
            for button in row.get("components", []):
                if button.get("type") == 2 and button.get("label") == label:
                    shown = api.message_payload(str(exchange.payload["channel_id"]), message)
                    return await send(api, COMPONENT, click(button), message=dict(shown, id=message["id"]), **who)
    raise AssertionError(f"no button {label!r} in {[b.get('label') for b in exchange.buttons()]}")


async def test_the_recap_modal_holds_four_texts_and_leaves_a_place_free(bot, api, core):
    await configure(api)
    opened = await run(api, "submit")
    assert opened.response_type == MODAL and opened.followups == []
    modal = opened.modal()
    assert list(inputs(modal)) == ["progress", "failures", "questions", "plan"]
    assert len(modal["components"]) == 4 and all(c["type"] == 18 for c in modal["components"])  # Labels
    assert all(t["max_length"] == 4000 and "3,000" in t["placeholder"] for t in inputs(modal).values())
    assert [c["label"] for c in modal["components"]][-1] == "Plan until the next meeting"
    assert api.rejected == []  # within every limit of a modal (the fake checks them as Discord does)


async def test_submit_then_question_in_the_second_modal_and_a_second_submit_replaces(bot, api, core, repo):
    await configure(api)
    await run(api, "question", text="Can small models reason?")
    _, done = await submit_form(api, {"progress": "First try", "plan": "Try a bigger batch"})
    assert done.response_type == DEFERRED and "Thanks! Your recap is in" in done.texts()
    more = await press(api, done, "Big-picture question & milestones")
    assert more.response_type == MODAL
    second = more.modal()
    assert len(second["components"]) <= 5 and api.rejected == []
    assert inputs(second)["question"]["value"] == "Can small models reason?"  # no milestones: no select
    changed = await send(api, MODAL_SUBMIT, modal_submit(second, {"question": "Can tiny models reason?"}))
    assert "Updated your recap" in changed.texts()
    team = group_of(repo, Workspace("discord", str(GUILD)))
    [recap] = repo.recent_recaps(repo.get_member(team.id, "100000000000000001").id, 5)
    assert (recap.question, recap.progress, recap.plan) == ("Can tiny models reason?", "First try",
                                                           "Try a bigger batch")

    modal, again = await submit_form(api, {"progress": "Second try"})
    assert inputs(modal)["progress"]["value"] == "First try"  # the earlier answers were pre-filled
    assert inputs(modal)["plan"]["value"] == "Try a bigger batch"
    assert modal["title"].startswith("Update your recap")
    assert "Updated your recap" in again.texts()
    preview = await run(api, "digest")
    [progress] = [e["description"] for e in preview.embeds() if e.get("title") == "Progress"]
    assert progress == "Second try"


async def test_an_empty_form_offers_still_figuring_it_out_as_a_button(bot, api, repo):
    await configure(api)
    _, empty = await submit_form(api, {})
    assert "Nothing was saved" in empty.texts()
    assert {b["label"] for b in empty.buttons()} == {"Still figuring it out", "Fix my recap"}
    team = group_of(repo, Workspace("discord", str(GUILD)))
    assert repo.get_member(team.id, "100000000000000001") is None or not repo.recent_recaps(
        repo.get_member(team.id, "100000000000000001").id, 5)
    figured = await press(api, empty, "Still figuring it out")
    assert "Thanks! Your recap is in" in figured.texts()
    preview = await run(api, "digest")
    assert any("still figuring it out" in (e.get("author") or {}).get("name", "") for e in preview.embeds())


async def test_the_form_shows_last_times_plan_above_progress(bot, api, core, clock):
    await configure(api)
    await submit_form(api, {"progress": "Set up the cluster", "plan": "Train the small model on 3 seeds"})
    clock.advance(days=7)  # the next cycle
    opened = await run(api, "submit")
    [progress] = [c for c in opened.modal()["components"] if c["component"]["custom_id"] == "recap:progress"]
    assert progress["description"] == "Last time you planned: Train the small model on 3 seeds"
    assert progress["component"]["placeholder"] == "Last time you planned: Train the small model on 3 seeds"
    assert api.rejected == []


async def test_rejected_form_offers_a_fix_button_with_everything_typed(bot, api):
    await configure(api)
    _, sent = await submit_form(api, {"progress": "x" * (MAX_FIELD_CHARS + 1), "failures": "kept"})
    message = sent.messages()[-1]
    assert "Nothing was saved" in message["content"] and "3,000" in message["content"]
    [fix] = sent.buttons()
    assert fix["label"] == "Fix my recap"
    shown = api.message_payload(str(sent.payload["channel_id"]), message)
    pressed = await send(api, COMPONENT, click(fix), message=dict(shown, id=message["id"]))
    assert pressed.response_type == MODAL and len(pressed.modal()["components"]) == 4
    reopened = inputs(pressed.modal())
    assert reopened["progress"]["value"] == "x" * (MAX_FIELD_CHARS + 1)
    assert reopened["failures"]["value"] == "kept"


async def test_no_schedule_yet_says_what_to_do(bot, api):
    i = await run(api, "submit")
    assert i.modal() is None and "no recap group in this workspace" in i.texts()
    made = await run(api, "setup", **ADMIN)  # in a channel with no group: one is made for it
    assert "Created the group **lab**" in made.texts()
    await run(api, "join")
    i = await run(api, "submit")
    assert i.modal() is None and "no meeting time yet" in i.texts()


# -- errors and isolation --------------------------------------------------------------
@pytest.fixture
def breakable(tmp_path, sqlite_url, clock):
    """A core on its own SQLite file, and a way to take the database away under it."""
    engine = make_engine(sqlite_url)
    path = sqlite_url.removeprefix("sqlite:///")

    def take_away() -> None:
        engine.dispose()
        (tmp_path / "recapbot.db").rename(tmp_path / "gone.db")  # the next query finds no tables

    yield Core.build(SqlRepository(engine), clock), take_away
    engine.dispose()
    assert path.endswith("recapbot.db")


async def test_an_error_in_a_command_is_logged_and_told_briefly(api, breakable, caplog):
    core, take_away = breakable
    take_away()
    async with running(RecapBot(core, guild_ids=(GUILD,)), api):
        with caplog.at_level("ERROR", logger="recapbot.discord"):
            i = await run(api, "status")
    assert "nothing you typed was lost" in i.texts() and ephemeral(i.messages()[-1])
    assert "no such table" in caplog.text and "Traceback" in caplog.text


async def test_a_failed_form_gives_the_answers_back(api, breakable, caplog):
    core, take_away = breakable
    async with running(RecapBot(core, guild_ids=(GUILD,)), api):
        await configure(api)
        opened = await run(api, "submit")
        take_away()  # the database goes away while the form is open
        with caplog.at_level("ERROR", logger="recapbot.discord"):
            submitted = await send(api, MODAL_SUBMIT, modal_submit(opened.modal(), {"progress": "my precious text"}))
    last = submitted.messages()[-1]
    assert "nothing you typed was lost" in last["content"]
    assert b"my precious text" in last["files"]["my-recap.md"]
    assert "no such table" in caplog.text


async def test_guilds_do_not_see_each_other(bot, api, core):
    await configure(api)
    await submit_form(api, {"progress": "secret of guild one"})
    await run(api, "setup", guild_id=OTHER_GUILD, weekday="Tue", time="09:00", timezone="UTC", **ADMIN)
    preview = await run(api, "digest", guild_id=OTHER_GUILD, **BOB)
    status = await run(api, "status", guild_id=OTHER_GUILD, **BOB)
    seen = preview.texts() + status.texts() + "".join(e.get("description") or "" for e in preview.embeds())
    assert "secret of guild one" not in seen and "Alice" not in seen
    assert "Tue 09:00" in (await run(api, "schedule", guild_id=OTHER_GUILD, **BOB)).texts()
    assert "Mon 10:00" in (await run(api, "schedule")).texts()


# -- the reminder button ---------------------------------------------------------------
def reminder(api) -> dict:
    """The reminder DM as Discord delivers it with a click on its button."""
    button = {"type": 2, "style": 1, "label": "Write my recap", "custom_id": f"recapbot:form:{GUILD}"}
    return api.message_payload("500000000000000100", {"content": "Reminder", "components": [
        {"type": 1, "components": [button]}]})


async def test_reminder_button_opens_the_form_from_a_dm_for_members_only(bot, api):
    await configure(api)
    await run(api, "status")  # Alice joins the team
    button = {"custom_id": f"recapbot:form:{GUILD}"}
    in_dm = await send(api, COMPONENT, click(button), guild_id=None, message=reminder(api))
    assert in_dm.response_type == MODAL and in_dm.modal()["title"].startswith("Recap for")
    stranger = await send(api, COMPONENT, click(button), guild_id=None, user_id=400000000000000004, name="Eve",
                          message=reminder(api))
    assert stranger.modal() is None and "not part of" in stranger.texts()


async def test_a_slow_form_offers_the_button_instead(bot, api, monkeypatch):
    await configure(api)
    monkeypatch.setattr(buttons, "FORM_DEADLINE", 0)
    i = await run(api, "submit")
    assert i.response_type == MESSAGE and i.modal() is None
    [button] = i.buttons()
    assert button["custom_id"] == f"recapbot:form:{GUILD}" and button["label"] == "Write my recap"


# -- figures ------------------------------------------------------------------------------
async def test_images_attached_to_submit_are_stored_with_the_recap_from_the_form(bot, api, core):
    from tests.deck_data import png

    await configure(api)
    plot = api.add_attachment(990000000000000001, "plot.png", png(50, 40))
    cut = api.add_attachment(990000000000000002, "cut.png", png(300, 300)[:150])
    opened = await run(api, "submit", resolved={"attachments": {plot["id"]: plot}},
                       image=(11, plot["id"]), caption="The fit")
    assert opened.response_type == MODAL
    done = await send(api, MODAL_SUBMIT, modal_submit(opened.modal(), {"progress": "Fitted"}))
    assert "1 figure attached" in done.texts()
    team = group_of(core, Workspace("discord", str(GUILD)))
    [entry] = core.upcoming_digest(team).entries
    assert [(f.caption, f.width, f.height) for f in entry.figures] == [("The fit", 50, 40)]

    bad = await run(api, "submit", resolved={"attachments": {cut["id"]: cut}}, image=(11, cut["id"]))
    refused = await send(api, MODAL_SUBMIT, modal_submit(bad.modal(), {"progress": "Half a plot"}))
    assert "cut.png" in refused.texts() and "could not be decoded" in refused.texts()
    [entry] = core.upcoming_digest(team).entries
    assert entry.recap.progress == "Fitted" and len(entry.figures) == 1  # the refused one stored nothing


def test_a_digest_entry_shows_each_figure_as_an_embed_image():
    from dataclasses import replace

    from bot.core.model import Figure
    from bot.render.embeds import render_entry
    from discord_fakes import entry

    figures = tuple(Figure(i, 1, 1, 1, i, f"Figure caption {i}", "image/png", 10, 10, 10,
                           url=f"https://recap.example.org/figures/fig.{i}") for i in range(1, 5))
    messages = render_entry(replace(entry("Ann", 1, "short"), figures=figures))
    images = [e.image.url for m in messages for e in m.embeds if e.image]
    assert images == [f.url for f in figures]
    assert all(len(m.embeds) <= 10 for m in messages)
