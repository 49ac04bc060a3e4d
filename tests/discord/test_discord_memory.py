"""Research memory on Discord: a posted digest's "Answered" select and "Give feedback" buttons,
through the real discord.py client against the fake Discord API (components within its limits)."""
from __future__ import annotations


from bot.adapters.discord_bot.chat import DiscordChat
from bot.core.model import Actor, RecapDraft, Workspace
from discord_fakes import COMPONENT, GUILD, MODAL_SUBMIT, interaction, modal_submit, settle
from fake_discord_api import DEFERRED, MODAL
from memory_parts import MemoryParts
from tests.conftest import group_of, join, submit_as

WS = Workspace("discord", str(GUILD))
ALICE_ID, BOB_ID = 100000000000000001, 300000000000000003


def person(i: int) -> Actor:
    return Actor(WS, str(100000000000000000 + i), f"Member {i:02d}", is_admin=True)


async def post(core, api, bot, members: int):
    cid = api.add_channel(GUILD)
    core.teams.setup(person(0), [("meeting", "Mon 10:00"), ("tz", "Europe/Berlin"), ("channel", f"<#{cid}>")])
    for i in range(1, members + 1):
        submit_as(core, person(i), RecapDraft(progress=f"member {i} progress",
                                                 questions=f"Question {i}a?\nQuestion {i}b?"))
    join(core, Actor(WS, str(BOB_ID), "Bob"))  # Bob, who presses the buttons, is in the group
    team = group_of(core, WS)
    refs = await DiscordChat(bot).post_digest(team, core.upcoming_digest(team), MemoryParts("d").parts())
    assert api.rejected == []
    root = refs[0].split(":")
    messages = api.messages[root[0]] + api.messages[root[1]]
    return team, messages


def components(message: dict) -> list[dict]:
    return [c for row in message.get("components") or [] for c in row["components"]]


async def act(api, data: dict, message: dict, user_id: int = BOB_ID, name: str = "Bob"):
    exchange = await api.interact(interaction(COMPONENT, data, user_id=user_id, name=name, message=message))
    await settle()
    return exchange


async def test_the_digest_carries_selects_of_open_questions_and_a_feedback_button_per_member(bot, api, core):
    team, messages = await post(core, api, bot, 60)  # 120 questions: 5 selects of 25 hold them
    selects = [c for m in messages for c in components(m) if c["type"] == 3]
    assert sum(len(s["options"]) for s in selects) == 120 and all(len(s["options"]) <= 25 for s in selects)
    assert selects[0]["options"][0]["label"] == "#1 Question 1a?"
    buttons = [c for m in messages for c in components(m) if c["type"] == 2]
    assert len(buttons) == 60 and {b["label"] for b in buttons} == {"Give feedback"}
    assert all(len(m.get("components") or []) <= 5 for m in messages)


async def test_picking_questions_in_the_select_marks_them_answered(bot, api, core):
    team, messages = await post(core, api, bot, 2)
    root = messages[0]
    [select] = [c for c in components(root) if c["type"] == 3]
    picked = [o["value"] for o in select["options"][:2]]
    exchange = await act(api, {"custom_id": select["custom_id"], "component_type": 3, "values": picked}, root)
    assert exchange.response_type == DEFERRED
    assert "Question #1 (Question 1a?) is marked answered" in exchange.texts()
    assert "Question #2 (Question 1b?) is marked answered" in exchange.texts()
    assert [a.answered for a in core.upcoming_digest(team).agenda] == [True, True, False, False]
    again = await act(api, {"custom_id": select["custom_id"], "component_type": 3, "values": picked[:1]}, root)
    assert "already marked answered by Bob" in again.texts()


async def test_give_feedback_opens_a_one_field_modal_and_stores_it(bot, api, core):
    team, messages = await post(core, api, bot, 1)
    [entry] = [m for m in messages if any(c["type"] == 2 for c in components(m))]
    [button] = [c for c in components(entry) if c["type"] == 2]
    opened = await act(api, {"custom_id": button["custom_id"], "component_type": 2}, entry)
    assert opened.response_type == MODAL and api.rejected == []
    modal = opened.modal()
    assert modal["title"] == "Feedback for Member 01" and len(modal["components"]) == 1
    assert modal["components"][0]["component"]["max_length"] == 3000
    values = {"text": "Try the other stain."}  # the field "feedback:text"
    submitted = await api.interact(interaction(MODAL_SUBMIT, modal_submit(modal, values), user_id=BOB_ID, name="Bob"))
    await settle()
    assert "Member 01 gets your feedback" in submitted.texts()
    member = core.teams.member_for(person(1))
    assert [f.text for f in core.overview_of(team, member).feedback] == ["Try the other stain."]


async def test_someone_outside_the_group_is_offered_to_join_instead(bot, api, core):
    team, messages = await post(core, api, bot, 1)
    root = messages[0]
    [select] = [c for c in components(root) if c["type"] == 3]
    [entry] = [m for m in messages if any(c["type"] == 2 for c in components(m))]
    [button] = [c for c in components(entry) if c["type"] == 2]
    eve = dict(user_id=400000000000000004, name="Eve")
    picked = await act(api, {"custom_id": select["custom_id"], "component_type": 3,
                             "values": [select["options"][0]["value"]]}, root, **eve)
    pressed = await act(api, {"custom_id": button["custom_id"], "component_type": 2}, entry, **eve)
    assert "not a member of **Research group**" in picked.texts() and pressed.modal() is None
    assert "not a member of **Research group**" in pressed.texts()
    assert not any(a.answered for a in core.upcoming_digest(team).agenda)


async def test_feedback_on_ones_own_recap_is_refused_without_a_modal(bot, api, core):
    team, messages = await post(core, api, bot, 1)
    [entry] = [m for m in messages if any(c["type"] == 2 for c in components(m))]
    [button] = [c for c in components(entry) if c["type"] == 2]
    mine = await act(api, {"custom_id": button["custom_id"], "component_type": 2}, entry,
                     user_id=100000000000000001, name="Member 01")
    assert mine.modal() is None and "your own recap" in mine.texts()


async def test_the_second_modal_ticks_milestones_in_a_select(bot, api, core):
    from discord_fakes import APPLICATION_COMMAND, command

    alice = Actor(WS, str(ALICE_ID), "Alice", is_admin=True)
    core.teams.setup(alice, [("meeting", "Mon 10:00"), ("tz", "Europe/Berlin")])
    for title, due in (("Baseline", "2026-12-20"), ("Paper draft", "2027-03-01")):
        core.milestones.add(alice, [title, "by", due])
    opened = await api.interact(interaction(APPLICATION_COMMAND, command("submit")))
    submitted = await api.interact(interaction(MODAL_SUBMIT, modal_submit(opened.modal(), {"progress": "Ran it"})))
    await settle()
    [more_button] = [b for b in submitted.buttons() if b["label"] == "Big-picture question & milestones"]
    shown = api.message_payload(str(submitted.payload["channel_id"]), submitted.followups[-1])
    more = await act(api, {"custom_id": more_button["custom_id"], "component_type": 2},
                     dict(shown, id=submitted.followups[-1]["id"]), user_id=ALICE_ID, name="Alice")
    modal = more.modal()
    assert len(modal["components"]) == 2 and api.rejected == []
    select = modal["components"][1]["component"]
    assert [o["label"] for o in select["options"]] == ["#1 Baseline", "#2 Paper draft"]
    assert select["options"][0]["description"] == "due Sun 20 Dec 2026" and select["min_values"] == 0
    done = await api.interact(interaction(MODAL_SUBMIT, modal_submit(modal, {}, selected={"milestones": ["1"]})))
    await settle()
    assert "Updated your recap" in done.texts()
    assert [m.number for m in core.recaps.form(alice).milestones] == [2]
    [entry] = core.upcoming_digest(group_of(core, WS)).entries
    assert entry.recap.progress == "Ran it" and [m.title for m in entry.reached] == ["Baseline"]
