"""/recap over real HTTP: Bolt's signature check, the modal, inline errors, private answers."""
from __future__ import annotations

import logging
import time

from slack_harness import ADMIN, ANN, BOB, T1, TOKEN1, recap_values, slack_actor
from fake_slack import sign, slash_body

from bot.core.model import MAX_FIELD_CHARS, Workspace
from tests.conftest import group_of, submit_as


def _member_recap(repo, user):
    team = group_of(repo, Workspace("slack", T1))
    member = repo.get_member(team.id, user)
    return member and repo.recent_recaps(member.id, 5)


def _texts(view_or_message: dict) -> str:
    out = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                out.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(view_or_message.get("blocks") or [])
    return "\n".join(out) + "\n" + (view_or_message.get("text") or "")


async def test_healthz(slack):
    async with slack.session.get(slack.url + "/healthz") as resp:
        assert resp.status == 200
        assert (await resp.json())["components"]["slack"] == {"kind": "adapter", "state": "up"}


async def test_forged_stale_and_missing_signatures_get_401_and_change_nothing(slack, core, repo):
    body, _ = slash_body(slack.fake, T1, ANN, "question Is this stored?")
    forged = sign(body, secret="not-the-secret")
    stale = sign(body, timestamp=int(time.time()) - 600)
    for headers in (forged, stale, {}):
        status, _ = await slack.post(body, headers=headers)
        assert status == 401
    assert slack.fake.calls == []
    assert slack.fake.responses == []
    assert core.recaps.current_question(slack_actor(ANN)) is None  # nothing was stored


async def test_recap_opens_prefilled_modal_and_a_submission_is_stored_and_confirmed(slack, core, repo):
    core.recaps.set_question(slack_actor(ANN), "Can cells count?")
    status, trigger = await slack.command(ANN, "")
    assert status == 200
    (call,) = await slack.fake.wait_for("views.open")
    assert call.args["trigger_id"] == trigger
    assert call.token == TOKEN1
    view = call.args["view"]
    assert view["callback_id"] == "recap_submit"
    question = next(b for b in view["blocks"] if b.get("block_id") == "question")
    assert question["element"]["initial_value"] == "Can cells count?"
    assert question["element"]["max_length"] == MAX_FIELD_CHARS

    status, answer = await slack.submit(view, recap_values("Can cells count?", progress="Counted 3 cells",
                                                           questions="Which microscope?"), ANN)
    assert status == 200 and answer is None  # the modal closes
    (confirmation,) = await slack.fake.wait_responses(1)
    assert confirmation["_id"] == trigger  # the /recap's own response_url
    assert confirmation["response_type"] == "ephemeral"
    assert "for the meeting on" in _texts(confirmation) and "Mon 23 Nov 2026" in _texts(confirmation)
    (recap,) = _member_recap(repo, ANN)
    assert recap.progress == "Counted 3 cells"
    # The App Home is refreshed with the new status.
    (home,) = await slack.fake.wait_for("views.publish")
    assert home.args["user_id"] == ANN and "Submitted" in _texts(home.args["view"])


async def test_second_recap_prefills_answers_and_says_it_replaces(slack, core):
    from bot.core.model import RecapDraft

    submit_as(core, slack_actor(BOB), RecapDraft(progress="First draft", failures="PCR failed"))
    await slack.command(BOB)
    (call,) = await slack.fake.wait_for("views.open")
    view = call.args["view"]
    assert "will be replaced" in _texts(view)
    assert view["submit"]["text"] == "Replace"
    progress = next(b for b in view["blocks"] if b.get("block_id") == "progress")
    assert progress["element"]["initial_value"] == "First draft"


async def test_3000_characters_are_accepted_and_3001_come_back_as_an_inline_error(slack, core, repo):
    await slack.command(ANN)
    (call,) = await slack.fake.wait_for("views.open")
    view = call.args["view"]

    status, answer = await slack.submit(view, recap_values(progress="x" * 3001), ANN)
    assert status == 200
    assert answer["response_action"] == "errors"
    assert "3,001" in answer["errors"]["progress"]
    assert not _member_recap(repo, ANN)

    status, answer = await slack.submit(view, recap_values(progress="y" * 3000), ANN)
    assert status == 200 and answer is None
    (recap,) = _member_recap(repo, ANN)
    assert recap.progress == "y" * 3000


async def test_an_empty_recap_is_an_inline_error(slack, core, repo):
    await slack.command(ANN)
    (call,) = await slack.fake.wait_for("views.open")
    status, answer = await slack.submit(call.args["view"], recap_values(), ANN)
    assert answer["response_action"] == "errors" and "progress" in answer["errors"]
    assert not _member_recap(repo, ANN)


async def test_expired_trigger_tells_the_person_to_try_again(slack):
    body, trigger = slash_body(slack.fake, T1, ANN, "")
    slack.fake.expired_triggers.add(trigger)
    status, _ = await slack.post(body)
    assert status == 200
    (message,) = await slack.fake.wait_responses(1)
    assert "again" in _texts(message) and message["response_type"] == "ephemeral"


async def test_rate_limited_views_open_is_retried_after_retry_after(slack):
    slack.fake.fail("views.open", times=1, status=429, headers={"Retry-After": "0"})
    status, trigger = await slack.command(ANN)
    assert status == 200
    (opened,) = await slack.fake.wait_for("views.open")
    attempts = [c for c in slack.fake.calls if c.method == "views.open"]
    assert [c.status for c in attempts] == [429, 200]
    assert opened.args["trigger_id"] == trigger


async def test_status_answers_privately(slack):
    await slack.command(ANN, "status")
    (message,) = await slack.fake.wait_responses(1)
    text = _texts(message)
    assert message["response_type"] == "ephemeral"
    assert "*Next meeting:*" in text  # **bold** became Slack's *bold*
    assert "**" not in text


async def test_setup_channel_mention_is_translated_to_the_channel_id(slack, core, repo):
    await slack.command(ADMIN, "setup channel=<#C0NEWLAB|new-lab>")
    (message,) = await slack.fake.wait_responses(1)
    assert "Saved" in _texts(message)
    assert group_of(repo, Workspace("slack", T1)).channel == "C0NEWLAB"


async def test_setup_by_a_member_is_politely_refused(slack, core, repo):
    await slack.command(ANN, "setup")
    (message,) = await slack.fake.wait_responses(1)
    assert "Only workspace admins" in _texts(message)
    assert slack.fake.called("views.open") == []
    await slack.command(ANN, "setup channel=<#C0HIJACK|x>")
    await slack.fake.wait_responses(2)
    assert group_of(repo, Workspace("slack", T1)).channel == "C0LAB"


async def test_setup_modal_for_an_admin_saves_the_settings(slack, core, repo):
    await slack.command(ADMIN, "setup")
    (call,) = await slack.fake.wait_for("views.open")
    view = call.args["view"]
    assert view["callback_id"] == "recap_settings"
    values = {
        "channel": {"value": {"type": "conversations_select", "selected_conversation": "C0DIGEST"}},
        "weekday": {"value": {"type": "static_select", "selected_option": {"value": "2"}}},
        "time": {"value": {"type": "timepicker", "selected_time": "14:30"}},
        "tz": {"value": {"type": "plain_text_input", "value": "Not/AZone"}},
        "every": {"value": {"type": "static_select", "selected_option": {"value": "2"}}},
        "admins": {"value": {"type": "multi_users_select", "selected_users": [ANN]}},
        "north_star": {"value": {"type": "plain_text_input", "value": "How do cells decide?"}},
    }
    status, answer = await slack.submit(view, values, ADMIN)
    assert answer["response_action"] == "errors" and "tz" in answer["errors"]
    values["tz"]["value"]["value"] = "America/New_York"
    core.groups.leave(slack_actor(ANN))  # Ann is not a member of the group
    status, answer = await slack.submit(view, values, ADMIN)
    assert answer["response_action"] == "errors" and "U0ANN left Research group" in answer["errors"]["admins"]
    await slack.command(ANN, "join")
    await slack.fake.wait_responses(1)
    status, answer = await slack.submit(view, values, ADMIN)
    assert status == 200 and answer is None
    team = group_of(repo, Workspace("slack", T1))
    assert (team.channel, team.timezone, team.schedule.weekday, team.schedule.every_weeks) == \
        ("C0DIGEST", "America/New_York", 2, 2)
    assert f"{team.schedule.at:%H:%M}" == "14:30"
    assert team.admins == (ANN,) and team.north_star == "How do cells decide?"
    (join,) = await slack.fake.wait_for("conversations.join")
    assert join.args["channel"] == "C0DIGEST"
    message = (await slack.fake.wait_responses(2))[-1]
    assert "Saved" in _texts(message) and f"Ann ({ANN})" in _texts(message)


async def test_a_failure_after_the_ack_reaches_the_user_and_the_log_without_a_token(slack, caplog):
    slack.fake.fail("views.open", times=1, status=200, body={"ok": False, "error": "internal_error"})
    with caplog.at_level(logging.ERROR):
        await slack.command(ANN)
        (message,) = await slack.fake.wait_responses(1)
    assert "Something went wrong" in _texts(message) and "nothing you typed was lost" in _texts(message)
    assert "views.open: internal_error" in caplog.text
    assert TOKEN1 not in caplog.text and "xoxb-" not in caplog.text


async def test_long_answers_go_by_direct_message(slack, core):
    from bot.core.model import RecapDraft

    for week in range(5):
        submit_as(core, slack_actor(ANN), RecapDraft(progress=f"week {week} " + "p" * 2990,
                                                        failures="f" * 3000, questions="q" * 3000))
        core.clock.advance(days=7)
    await slack.command(ANN, "history 5")
    (note,) = await slack.fake.wait_responses(1)
    assert "direct message" in _texts(note)
    posts = await slack.fake.wait_for("chat.postMessage", count=4)
    assert all(p.args["channel"] == ANN for p in posts)
    assert slack.fake.rejected == []


async def test_digest_preview_is_private_and_users_info_is_cached(slack, core):
    from bot.core.model import RecapDraft

    submit_as(core, slack_actor(BOB), RecapDraft(progress="Gel & blot <done>"))
    _, digest_trigger = await slack.command(ANN, "digest")
    await slack.command(ANN, "schedule")
    responses = await slack.fake.wait_responses(4)  # a note, the header, Bob's reply; the schedule
    text = "\n".join(_texts(r) for r in responses if r["_id"] == digest_trigger)
    assert all(r["response_type"] == "ephemeral" for r in responses)
    assert "Preview: only you can see this" in text and "Gel &amp; blot &lt;done&gt;" in text
    assert len([c for c in slack.fake.called("users.info") if c.args["user"] == ANN]) == 1


def test_slack_escaping_is_undone_for_the_core():
    from bot.adapters.slack.common import from_slack_text

    assert from_slack_text("setup channel=<#C0LAB|lab> admins=<@U1|ann>,<@U2>") == \
        "setup channel=C0LAB admins=U1,U2"
    assert from_slack_text("question Is a &lt; b &amp;&amp; <https://x.org|x.org>?") == \
        "question Is a < b && https://x.org?"
