"""Slack modals run inside the core's guard: an outage keeps the modal open with the same words
every platform uses, the traceback goes to the log, and the next try works."""
from __future__ import annotations

import logging

from slack_harness import ADMIN, ANN, T1, recap_values
from sqlalchemy import text

from bot.core import texts
from bot.core.model import Workspace
from tests.conftest import group_of


async def test_a_database_outage_keeps_the_recap_modal_open_and_is_logged(slack, repo, engine, caplog):
    await slack.command(ANN, "")
    (call,) = await slack.fake.wait_for("views.open")
    view = call.args["view"]
    with engine.begin() as conn:  # the recaps table goes away while the modal is open
        conn.execute(text("ALTER TABLE recaps RENAME TO recaps_away"))
    try:
        with caplog.at_level(logging.ERROR):
            status, answer = await slack.submit(view, recap_values(progress="my precious text"), ANN)
    finally:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE recaps_away RENAME TO recaps"))
    assert status == 200 and answer == {"response_action": "errors",
                                        "errors": {"progress": texts.SOMETHING_WENT_WRONG}}
    assert "slack recap form failed" in caplog.text and "Traceback" in caplog.text
    assert "my precious text" not in caplog.text
    status, answer = await slack.submit(view, recap_values(progress="my precious text"), ANN)
    assert status == 200 and answer is None
    team = group_of(repo, Workspace("slack", T1))
    member = repo.get_member(team.id, ANN)
    assert repo.recent_recaps(member.id, 1)[0].progress == "my precious text"


async def test_a_refused_setting_is_shown_next_to_its_field(slack):
    await slack.command(ADMIN, "setup")
    (call,) = await slack.fake.wait_for("views.open")
    values = {
        "weekday": {"value": {"type": "static_select", "selected_option": {"value": "0"}}},
        "time": {"value": {"type": "timepicker", "selected_time": "10:00"}},
        "tz": {"value": {"type": "plain_text_input", "value": "Europe/Berlin"}},
        "north_star": {"value": {"type": "plain_text_input", "value": "why\x00"}},
    }
    status, answer = await slack.submit(call.args["view"], values, ADMIN)
    assert answer["response_action"] == "errors"
    assert "NUL character" in answer["errors"]["north_star"]
