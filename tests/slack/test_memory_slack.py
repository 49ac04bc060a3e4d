"""Research memory on Slack, over real HTTP: the form's plan, last plan, feedback and milestones;
the posted digest's "Answered" and "Give feedback" buttons."""
from __future__ import annotations

import json

from fake_slack import interaction_body, message_action
from memory_parts import MemoryParts
from slack_harness import ANN, BOB, T1, recap_values, slack_actor
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.core.model import RecapDraft, Workspace
from bot.render.blocks import ANSWERED_ACTION, FEEDBACK_ACTION, MAX_BLOCKS
from tests.conftest import group_of, submit_as


def _team(core):
    return group_of(core, Workspace("slack", T1))


def _valid(view: dict) -> View:
    """slack_sdk's own validation of a view as Slack would get it (raises on a broken one)."""
    parsed = View(**view)
    parsed.validate_json()
    for block in view["blocks"]:
        Block.parse(block).validate_json()
    return parsed


def _texts(node) -> str:
    out = []

    def walk(n):
        if isinstance(n, dict):
            for key in ("text", "value", "initial_value"):
                if isinstance(n.get(key), str):
                    out.append(n[key])
            for v in n.values():
                walk(v)
        elif isinstance(n, list):
            for item in n:
                walk(item)

    walk(node)
    return "\n".join(out)


async def open_form(slack, user):
    before = len(slack.fake.called("views.open"))
    await slack.command(user)
    calls = await slack.fake.wait_for("views.open", before + 1)
    return calls[-1].args["view"]


async def test_the_form_has_the_plan_last_plan_feedback_and_milestones_to_tick(slack, core, clock):
    ann, bob = slack_actor(ANN), slack_actor(BOB)
    recap = core.recaps.submit(ann, RecapDraft(progress="Built the rig", plan="Calibrate the laser")).recap
    core.feedback.give(bob, recap.id, "Check the *alignment* first & log it")
    for i in range(12):
        core.milestones.add(ann, [f"Step {i}", "by", f"2027-01-{i + 1:02d}"])
    clock.advance(days=7)  # the next cycle

    view = await open_form(slack, ANN)
    _valid(view)
    blocks = view["blocks"]
    ids = [b.get("block_id") for b in blocks]
    assert ids.index("progress") < ids.index("plan") < ids.index("milestones") < ids.index("milestones_1")
    text = _texts(blocks)
    assert "*Feedback on your last recap* (from U0BOB): Check the *alignment* first &amp; log it" in text
    last = blocks[ids.index("progress") - 1]
    assert last["type"] == "context" and "*Last time you planned:* Calibrate the laser" in _texts(last)
    plan = blocks[ids.index("plan")]
    assert plan["label"]["text"] == "Plan until the next meeting" and plan["element"]["max_length"] == 3000
    first, second = blocks[ids.index("milestones")], blocks[ids.index("milestones_1")]
    assert len(first["element"]["options"]) == 10 and len(second["element"]["options"]) == 2  # Slack's 10
    assert first["element"]["options"][0]["text"]["text"] == "#1 Step 0"

    values = recap_values(progress="Calibrated", plan="Measure")
    values["milestones_1"] = {"value": {"type": "checkboxes", "selected_options": [{"value": "11"}]}}
    values["milestones"] = {"value": {"type": "checkboxes", "selected_options": [{"value": "2"}]}}
    status, answer = await slack.submit(view, values, ANN)
    assert status == 200 and answer is None
    form = core.recaps.form(ann)
    assert form.existing.plan == "Measure" and [m.number for m in form.milestones] == [1, 3, 4, 5, 6, 7, 8, 9, 10, 12]


async def test_a_milestone_that_is_not_open_is_an_inline_error(slack, core):
    core.milestones.add(slack_actor(ANN), ["Step", "by", "2027-01-01"])
    view = await open_form(slack, ANN)
    core.milestones.close(slack_actor(ANN), ["1"], "done")  # reached elsewhere while the form was open
    values = recap_values(progress="Calibrated")
    values["milestones"] = {"value": {"type": "checkboxes", "selected_options": [{"value": "1"}]}}
    status, answer = await slack.submit(view, values, ANN)
    assert answer["response_action"] == "errors" and "no open milestone #1" in answer["errors"]["milestones"]


async def test_the_posted_digest_has_answered_and_feedback_buttons_within_slacks_limits(slack, core):
    for i in range(45):  # more questions than one message's 50 blocks
        slack.fake.add_user(T1, f"U{i:04d}", f"Member {i}")
        submit_as(core, slack_actor(f"U{i:04d}"), RecapDraft(progress=f"member {i}",
                                                                questions=f"Question {i}a?\nQuestion {i}b?"))
    team = _team(core)
    await slack.adapter.chat.post_digest(team, core.upcoming_digest(team), MemoryParts().parts())
    posts = slack.fake.called("chat.postMessage")
    assert slack.fake.rejected == []
    assert all(len(p.args["blocks"]) <= MAX_BLOCKS for p in posts)
    answered = [e for p in posts for b in p.args["blocks"] if b.get("accessory", {}).get("action_id") == ANSWERED_ACTION
                for e in [b["accessory"]]]
    assert len(answered) == 90 and {e["text"]["text"] for e in answered} == {"Answered"}
    feedback = [e for p in posts for b in p.args["blocks"] if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == FEEDBACK_ACTION]
    assert len(feedback) == 45 and feedback[0]["text"]["text"] == "Give feedback"


async def _click(slack, user, action_id, value):
    body = interaction_body(message_action(T1, user, action_id, value, slack.fake.response_url("click")))
    status, _ = await slack.post(body)
    assert status == 200


async def test_answered_closes_the_question_and_says_so_privately(slack, core):
    core.recaps.submit(slack_actor(ANN), RecapDraft(progress="x", questions="Spare GPU hours?"))
    [item] = core.upcoming_digest(_team(core)).agenda
    await _click(slack, BOB, ANSWERED_ACTION, str(item.question_id))
    [answer] = await slack.fake.wait_responses(1)
    assert answer["response_type"] == "ephemeral" and "Question #1 (Spare GPU hours?) is marked answered" in _texts(
        answer)
    assert core.upcoming_digest(_team(core)).agenda[0].answered
    await _click(slack, ANN, ANSWERED_ACTION, str(item.question_id))
    [_, again] = await slack.fake.wait_responses(2)
    assert "already marked answered by Bob" in _texts(again)  # the name Slack gave


async def test_feedback_opens_a_small_form_and_is_stored_and_the_member_told(slack, core):
    recap = core.recaps.submit(slack_actor(ANN), RecapDraft(progress="Built the rig")).recap
    await _click(slack, BOB, FEEDBACK_ACTION, str(recap.id))
    [call] = await slack.fake.wait_for("views.open")
    view = call.args["view"]
    _valid(view)
    assert view["callback_id"] == "recap_feedback_submit" and json.loads(view["private_metadata"])["recap"] == recap.id
    [field] = [b for b in view["blocks"] if b["type"] == "input"]
    assert field["element"]["max_length"] == 3000 and field["element"]["multiline"]

    values = {"feedback": {"value": {"type": "plain_text_input", "value": "x" * 3001}}}
    status, answer = await slack.submit(view, values, BOB)
    assert answer["response_action"] == "errors" and "3,001" in answer["errors"]["feedback"]
    values = {"feedback": {"value": {"type": "plain_text_input", "value": "Log the alignment"}}}
    status, answer = await slack.submit(view, values, BOB)
    assert answer["response_action"] == "update" and "U0ANN gets your feedback" in _texts(answer["view"])
    assert [f.text for f in core.overviews(slack_actor(ANN))[0].feedback] == ["Log the alignment"]
    # Ann's App Home follows: once for her recap, once for the feedback, which it shows.
    home = await slack.fake.wait_for("views.publish", 2)
    assert any("Log the alignment" in _texts(c.args["view"]) for c in home)


async def test_feedback_on_ones_own_recap_or_a_foreign_one_is_refused_in_a_notice(slack, core):
    recap = core.recaps.submit(slack_actor(ANN), RecapDraft(progress="Built the rig")).recap
    await _click(slack, ANN, FEEDBACK_ACTION, str(recap.id))
    await _click(slack, BOB, FEEDBACK_ACTION, "99999")
    calls = await slack.fake.wait_for("views.open", 2)
    shown = sorted(_texts(c.args["view"]) for c in calls)  # the two clicks are answered in either order
    assert "your own recap" in shown[0] and "not there any more" in shown[1]
    assert core.overviews(slack_actor(ANN))[0].feedback == ()

