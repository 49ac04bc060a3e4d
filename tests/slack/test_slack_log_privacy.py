"""What people write stays out of the logs, and out of Slack's markup in the settings modal."""
from __future__ import annotations

import logging

from slack_harness import ADMIN, ANN, T1, recap_values, slack_actor

from bot.core.model import Workspace
from tests.conftest import group_of

SECRET = "Cobalt heron unpublished result 42"


async def test_debug_logs_hold_no_recap_text_and_no_response_url(slack, core, caplog):
    with caplog.at_level(logging.DEBUG):
        _, trigger = await slack.command(ANN, "")
        (opened,) = await slack.fake.wait_for("views.open")
        await slack.submit(opened.args["view"], recap_values(progress=SECRET, questions=SECRET), ANN)
        await slack.fake.wait_responses(1)
        await slack.command(ANN, "")  # the form again, prefilled with the recap
        await slack.fake.wait_for("views.open", count=2)
        await slack.command(ANN, "digest")  # the preview, through the response_url
        await slack.fake.wait_responses(3)
    assert SECRET in str(slack.fake.called("views.open")[-1].args["view"])  # it did travel
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert f"recap submission from {ANN} in {T1} ({2 * len(SECRET)} characters)" in "\n".join(debug)
    assert SECRET not in caplog.text
    assert slack.fake.response_url(trigger) not in caplog.text and "/response/" not in caplog.text


async def test_settings_modal_shows_a_hostile_team_name_as_text(slack, core, repo):
    name = "<!channel> Lab <https://evil.example|click> & co"
    core.teams.configure(slack_actor(ADMIN, admin=True), [("name", name)])
    await slack.command(ADMIN, "setup")
    (opened,) = await slack.fake.wait_for("views.open")
    header = opened.args["view"]["blocks"][0]["elements"][0]
    assert header["type"] == "mrkdwn"
    assert "&lt;!channel&gt; Lab &lt;https://evil.example|click&gt; &amp; co" in header["text"]
    assert "<!channel>" not in header["text"] and "<https://" not in header["text"]
    assert group_of(repo, Workspace("slack", T1)).name == name  # stored as typed


def test_database_errors_do_not_carry_the_values(engine):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO no_such_table (x) VALUES (:x)"), {"x": SECRET})
    except DBAPIError as exc:
        assert SECRET not in str(exc)
    else:  # pragma: no cover
        raise AssertionError("the insert should have failed")
