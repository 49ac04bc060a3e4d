"""Two groups in one Slack workspace, through the fake Slack: two channels, a person in both,
the join button, the group picker, the copy button, a user group, the App Home, two digests."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import aiohttp
import pytest
from fake_slack import interaction_body, message_action, view_action
from slack_harness import ADMIN, ANN, BOB, T1, Harness, make_settings, recap_values, slack_actor, start, stop

from bot.app import App
from bot.core.model import Workspace
from bot.scheduling import Scheduler
from bot.store.ledger import Ledger

UTC = timezone.utc
WS = Workspace("slack", T1)
CAT = "U0CAT"


@pytest.fixture
async def lab(fake, engine, core):
    """No group yet: the admin makes both in the chat, as a lab would."""
    fake.add_user(T1, CAT, "Cat")
    app = App(settings=make_settings(fake), engine=engine, core=core)
    adapter, task = await start(app)
    async with aiohttp.ClientSession() as session:
        harness = Harness(fake, adapter, app, session)
        await harness.command(ADMIN, 'setup meeting="Mon 10:00" tz=Europe/Berlin', channel="C0LAB")
        await fake.wait_response("Created the group *lab*")
        await harness.command(ADMIN, 'group new "Reading group" channel=<#C0PAPERS|papers> meeting="Thu 16:00" '
                                     "tz=Europe/Berlin")
        await fake.wait_response("Created the group *Reading group*")
        fake.responses.clear()
        yield harness
    await stop(task)


def groups(core):
    return {g.name: g for g in core.groups.in_workspace(WS)}


async def response(fake, text: str) -> dict:
    return await fake.wait_response(text)


async def test_a_stranger_in_a_groups_channel_joins_with_a_button_and_writes_there(lab, core, fake):
    await lab.command(ANN, "", channel="C0PAPERS", channel_name="papers")
    offer = await response(fake, "not a member of")
    [button] = offer["blocks"][-1]["elements"]
    assert button["action_id"] == "recap_join" and "Reading group" in button["text"]["text"]
    press = message_action(T1, ANN, "recap_join", button["value"], fake.response_url("join"))
    assert (await lab.post(interaction_body(press)))[0] == 200
    (opened,) = await fake.wait_for("views.open")
    view = opened.args["view"]
    assert view["callback_id"] == "recap_submit" and "Reading group" not in str(view["blocks"])  # one group: no name
    status, answer = await lab.submit(view, recap_values(progress="read two papers"), ANN)
    assert status == 200 and answer is None
    reading = groups(core)["Reading group"]
    assert [e.recap.progress for e in core.digests.build(reading, datetime(2026, 11, 19, 15, 0, tzinfo=UTC)).entries] \
        == ["read two papers"]


async def test_someone_in_two_groups_picks_one_in_the_modal_and_can_copy_the_other(lab, core, fake):
    await lab.command(ANN, "join", channel="C0LAB")
    await lab.command(ANN, 'join "Reading group"', channel="D0ANN")
    await fake.wait_responses(2)
    g = groups(core)

    # From a DM the form starts with a picker of her groups.
    await lab.command(ANN, "", channel="D0ANN")
    (opened,) = await fake.wait_for("views.open")
    picker = opened.args["view"]
    select = picker["blocks"][-1]["elements"][0]
    assert select["type"] == "static_select" and [o["text"]["text"] for o in select["options"]] == ["lab",
                                                                                                    "Reading group"]
    assert "submit" not in picker
    await lab.post(interaction_body(view_action(T1, ANN, picker, "recap_group", selected=str(g["lab"].id))))
    (updated,) = await fake.wait_for("views.update")
    form = updated.args["view"]
    assert "*lab*'s meeting" in str(form["blocks"]) and form["blocks"][0]["elements"][0]["initial_option"]["value"] \
        == str(g["lab"].id)
    status, answer = await lab.submit(form, recap_values(progress="qPCR works", failures="gel smeared"), ANN)
    assert status == 200 and answer is None
    confirmation = await response(fake, "Thanks!")
    assert "_lab:_" in str(confirmation)  # she is in two groups: the reply says which

    # In the reading group's channel the form opens for it, with a button to copy the lab recap.
    await lab.command(ANN, "", channel="C0PAPERS", channel_name="papers")
    opened = (await fake.wait_for("views.open", 2))[-1]
    reading_form = opened.args["view"]
    copy = next(b for b in reading_form["blocks"] if b.get("block_id") == "copy")["elements"][0]
    assert copy["action_id"] == "recap_copy" and copy["text"]["text"] == "Copy my recap from lab"
    await lab.post(interaction_body(view_action(T1, ANN, reading_form, "recap_copy", value=copy["value"])))
    copied = (await fake.wait_for("views.update", 2))[-1].args["view"]
    prefilled = {b["block_id"]: b["element"].get("initial_value") for b in copied["blocks"] if b["type"] == "input"
                 and b["element"]["type"] == "plain_text_input"}
    assert prefilled["progress"] == "qPCR works" and prefilled["failures"] == "gel smeared"
    status, answer = await lab.submit(copied, recap_values(progress="qPCR works, also for the club"), ANN)
    assert status == 200 and answer is None
    assert core.recaps.form(core_actor(ANN, "C0PAPERS")).existing.progress == "qPCR works, also for the club"
    assert core.recaps.form(core_actor(ANN, "C0LAB")).existing.progress == "qPCR works"


def core_actor(user: str, channel: str):
    return replace(slack_actor(user), channel=channel)


async def test_a_user_group_in_members_adds_its_people_when_the_command_runs(lab, core, fake):
    fake.add_usergroup(T1, "S0PHD", [BOB, CAT])
    await lab.command(ADMIN, "setup members=<!subteam^S0PHD|@phd-students>", channel="C0LAB")
    answer = await response(fake, "Saved.")
    assert "admins:" in str(answer)
    lab_group = groups(core)["lab"]
    members = {m.user_ref: m.display_name for m in core.upcoming_participation(lab_group).members}
    assert members == {ADMIN: "Ada", BOB: "Bob", CAT: "Cat"}
    assert fake.called("usergroups.users.list")[0].args["usergroup"] == "S0PHD"
    fake.scopes[T1] = {"commands"}  # installed before the manifest asked for usergroups:read
    await lab.command(ADMIN, "group add <!subteam^S0PHD|@phd-students>", channel="C0PAPERS", channel_name="papers")
    refused = await response(fake, "usergroups:read")
    assert "reinstall" in str(refused)
    assert CAT not in {m.user_ref for m in core.upcoming_participation(groups(core)["Reading group"]).members}


async def test_the_app_home_shows_every_group_with_its_own_button(lab, core, fake):
    g = groups(core)
    core.teams.member_for(core_actor(ANN, "C0LAB"))
    core.teams.member_for(core_actor(ANN, "C0PAPERS"))
    await lab.event({"type": "app_home_opened", "user": ANN, "tab": "home", "event_ts": "1.0"})
    (home,) = await fake.wait_for("views.publish")
    blocks = home.args["view"]["blocks"]
    headers = [b["text"]["text"] for b in blocks if b["type"] == "header"]
    assert headers == ["Your research recaps", "lab", "Reading group"]
    buttons = [b["elements"][0]["value"] for b in blocks if b["type"] == "actions"]
    assert buttons == [str(g["lab"].id), str(g["Reading group"].id)]
    assert await lab.click("recap_open", ANN) == 200  # an old button without a group: she picks one
    (opened,) = await fake.wait_for("views.open")
    assert opened.args["view"]["blocks"][-1]["elements"][0]["type"] == "static_select"


async def test_one_scheduler_posts_each_groups_digest_in_its_channel_at_its_time(lab, core, fake, engine, clock):
    for channel in ("C0LAB", "C0PAPERS"):
        core.teams.member_for(core_actor(ANN, channel))
    core.teams.member_for(core_actor(BOB, "C0LAB"))
    scheduler = Scheduler(core, {"slack": lab.adapter.chat}, Ledger(engine), clock=clock, replica="one")

    clock.set(datetime(2026, 11, 18, 15, 0, tzinfo=UTC))  # Wed 16:00 Berlin: the reading group's reminders
    await scheduler.run_due()
    reminded = sorted(c.args["channel"] for c in fake.called("chat.postMessage"))
    assert reminded == [ADMIN, ANN]  # its members; Bob is only in the lab

    clock.set(datetime(2026, 11, 19, 13, 0, tzinfo=UTC))  # Thu 14:00 Berlin: its digest, two hours ahead
    await scheduler.run_due()
    digests = [c for c in fake.called("chat.postMessage") if c.args["channel"].startswith("C")]
    assert [(c.args["channel"], "Reading group" in c.args["text"]) for c in digests] == [("C0PAPERS", True)]

    clock.set(datetime(2026, 11, 23, 7, 0, tzinfo=UTC))  # Mon 08:00 Berlin: the lab's
    await scheduler.run_due()
    digests = [c for c in fake.called("chat.postMessage") if c.args["channel"].startswith("C") and
               "thread_ts" not in c.args]
    assert [c.args["channel"] for c in digests] == ["C0PAPERS", "C0LAB"]
    assert "lab" in digests[1].args["text"] and "0 of 3" in digests[1].args["text"]
    clock.advance(minutes=5)
    await scheduler.run_due()
    assert len([c for c in fake.called("chat.postMessage") if "thread_ts" not in c.args and
                c.args["channel"].startswith("C")]) == 2  # each once
