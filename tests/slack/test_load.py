"""Slack under load: the command backlog answers "busy" rather than late or never, and
`/recap status` names who wrote without reading what they wrote."""
from __future__ import annotations

import asyncio
import threading

import aiohttp
import pytest
from fake_slack import slash_body
from slack_harness import ADMIN, ANN, BOB, T1, Harness, configure_team, make_settings, start, stop
from sqlalchemy import event
from test_commands import _texts

from bot.app import App
from bot.core.texts import BUSY


@pytest.fixture
async def small_backlog(fake, engine, core):
    """HTTP mode with room for one command waiting for the core; the core can be held up."""
    configure_team(core)
    app = App(settings=make_settings(fake, command_backlog=1), engine=engine, core=core)
    adapter, task = await start(app)
    gate, entered = threading.Event(), threading.Event()
    handle = adapter.deps.handler.handle

    def slow_handle(actor, text):  # a core call that takes as long as the test says
        entered.set()
        assert gate.wait(10)
        return handle(actor, text)

    adapter.deps.handler.handle = slow_handle
    async with aiohttp.ClientSession() as session:
        yield Harness(fake, adapter, app, session), gate, entered
    gate.set()
    await stop(task)


async def answers_to(fake, trigger: str) -> list[str]:
    return [_texts(r) for r in fake.responses if r["_id"] == trigger]


async def test_a_full_backlog_answers_busy_at_once_runs_nothing_and_loses_no_command(small_backlog, core):
    slack, gate, entered = small_backlog
    fake = slack.fake
    status, first = await slack.command(ANN, "status")
    assert status == 200
    await asyncio.to_thread(entered.wait, 5)  # Ann's command holds the one place, its core call is running
    body, second = slash_body(fake, T1, BOB, 'question "Can cells count?"')
    status, ack = await slack.post(body)
    assert status == 200  # acknowledged at once, with the answer in the acknowledgement
    assert ack == ":hourglass: " + BUSY  # a plain-text acknowledgement: Slack shows it to Bob only
    assert await answers_to(fake, second) == []  # and nothing more comes for it later
    assert await answers_to(fake, first) == []  # Ann's answer is still on its way
    gate.set()  # the core is free again: Ann's command was not lost
    await fake.wait_responses(1)
    (answer,) = await answers_to(fake, first)
    assert "*Next meeting:*" in answer
    # "nothing was done" is true: Bob's question was not set; and the place is free again
    _, third = await slack.command(BOB, "question")
    await fake.wait_responses(2)
    (answer,) = await answers_to(fake, third)
    assert "no big-picture question yet" in answer
    assert [len(await answers_to(fake, t)) for t in (first, second)] == [1, 0]


async def test_status_names_who_wrote_and_who_is_away_without_reading_any_recap(slack, core, engine):
    await slack.command(ANN, 'submit --progress "Counted 3 cells" --plan "Count more"')
    await slack.command(BOB, "away 2w visiting the sea")
    await slack.fake.wait_responses(2)
    await slack.fake.wait_for("views.publish")  # Ann's App Home, refreshed after her recap
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *args: statements.append(statement))
    _, trigger = await slack.command(BOB, "status")
    await slack.fake.wait_responses(3)
    text = _texts(next(r for r in slack.fake.responses if r["_id"] == trigger))
    assert "*Submitted (1 of 2):* Ann" in text  # Bob is away, so he is not expected
    assert "*Not yet submitted:* U0ADMIN\n" in text
    assert "*Away:* Bob (until" in text
    assert "You are away until" in text
    # who wrote is read as member ids: none of the recaps' text is loaded to answer it
    reads = [s for s in statements if "FROM recaps" in s]
    assert reads and not any("recaps.progress" in s or "recaps.plan" in s for s in reads)

    _, trigger = await slack.command(ADMIN, "status")  # the group's creator has not written yet
    await slack.fake.wait_responses(4)
    text = _texts(next(r for r in slack.fake.responses if r["_id"] == trigger))
    assert "*Submitted (1 of 2):* Ann\n*Not yet submitted:* Ada\n" in text  # named as Slack names her now
    assert "You have not submitted yet" in text
