"""Slack answering something other than its JSON (a proxy's HTML page, an outage) breaks nothing."""
from __future__ import annotations

import logging

import pytest
from slack_harness import ADMIN, ANN, T1, recap_values
from test_commands import _texts

from bot.core.model import Workspace
from tests.conftest import group_of

HTML = "<html><head><title>405 Not Allowed</title></head><body><h1>405 Not Allowed</h1></body></html>"
AS_JSON = {}  # a proxy that labels its error page as JSON (slack_sdk then hands over its raw aiohttp response)
AS_HTML = {"Content-Type": "text/html"}


@pytest.mark.parametrize("headers", [AS_JSON, AS_HTML], ids=["labelled-json", "text-html"])
async def test_every_command_answers_when_users_info_returns_an_html_405(slack, core, repo, caplog, headers):
    slack.fake.fail("users.info", times=50, status=405, headers=headers, body=HTML)
    with caplog.at_level(logging.WARNING):
        for n, text in enumerate(["status", "help", "schedule", "setup"], start=1):
            await slack.command(ANN, text)
            answers = await slack.fake.wait_responses(n)
            assert "Something went wrong" not in _texts(answers[-1]), text
        # Without users.info nobody gets admin rights: the settings are refused, not broken.
        assert "Only workspace admins" in _texts(slack.fake.responses[-1])
        _, trigger = await slack.command(ANN, "")
        (opened,) = await slack.fake.wait_for("views.open")
        assert opened.args["trigger_id"] == trigger
        status, answer = await slack.submit(opened.args["view"], recap_values(progress="Counted cells"), ANN)
        assert status == 200 and answer is None
        confirmation = (await slack.fake.wait_responses(5))[-1]
    assert "for the meeting on" in _texts(confirmation)
    team = group_of(repo, Workspace("slack", T1))
    member = repo.get_member(team.id, ANN)
    assert member.timezone in (None, team.timezone)  # the team's zone, as designed
    assert repo.recent_recaps(member.id, 1)[0].progress == "Counted cells"
    assert "users.info: HTTP 405" in caplog.text
    assert "Something went wrong" not in caplog.text


async def test_an_html_answer_to_conversations_join_still_saves_and_asks_for_an_invite(slack, core, repo):
    slack.fake.fail("conversations.join", status=405, body=HTML)
    await slack.command(ADMIN, "setup")
    (call,) = await slack.fake.wait_for("views.open")
    values = {
        "channel": {"value": {"type": "conversations_select", "selected_conversation": "C0DIGEST"}},
        "weekday": {"value": {"type": "static_select", "selected_option": {"value": "0"}}},
        "time": {"value": {"type": "timepicker", "selected_time": "10:00"}},
        "tz": {"value": {"type": "plain_text_input", "value": "Europe/Berlin"}},
        "every": {"value": {"type": "static_select", "selected_option": {"value": "1"}}},
        "admins": {"value": {"type": "multi_users_select", "selected_users": [ADMIN]}},
        "north_star": {"value": {"type": "plain_text_input", "value": None}},
    }
    status, answer = await slack.submit(call.args["view"], values, ADMIN)
    assert status == 200 and answer is None
    (message,) = await slack.fake.wait_responses(1)
    assert "Saved" in _texts(message) and "invite me" in _texts(message)
    assert group_of(repo, Workspace("slack", T1)).channel == "C0DIGEST"


async def test_an_html_answer_to_views_open_is_reported_to_the_person(slack, caplog):
    slack.fake.fail("views.open", status=405, body=HTML)
    with caplog.at_level(logging.ERROR):
        await slack.command(ANN)
        (message,) = await slack.fake.wait_responses(1)
    assert "Something went wrong" in _texts(message) and "nothing you typed was lost" in _texts(message)
    assert "views.open: HTTP 405" in caplog.text


def test_errors_read_from_any_shape_of_answer():
    from slack_sdk.errors import SlackApiError

    from bot.adapters.slack.errors import error_code, slack_error

    assert slack_error(SlackApiError("failed", "<html>Bad Gateway</html>")) == "?: unreadable answer"
    assert error_code(SlackApiError("failed", None)) is None
    assert slack_error(ValueError("x")) == "ValueError"
