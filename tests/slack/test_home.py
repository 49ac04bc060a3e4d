"""The App Home tab: question, this cycle's status, streak, last recaps, a button to the form."""
from __future__ import annotations

from slack_harness import ADMIN, ANN, T1, slack_actor

from bot.core.model import RecapDraft, Workspace
from tests.conftest import group_of, submit_as


def _text(view: dict) -> str:
    return str(view["blocks"])


async def test_home_shows_question_status_streak_and_recent_recaps(slack, core):
    actor = slack_actor(ANN)
    submit_as(core, actor, RecapDraft(question="Can cells count?", progress="Week one & more"))
    core.clock.advance(days=7)  # the next cycle: one recap behind, none yet for this one
    assert await slack.event({"type": "app_home_opened", "user": ANN, "channel": "D0ANN", "tab": "home",
                              "event_ts": "1.0"}) == 200
    # One publish follows the submission itself, one the opening of the tab.
    published = (await slack.fake.wait_for("views.publish", count=2))[-1]
    view = published.args["view"]
    assert published.args["user_id"] == ANN and view["type"] == "home"
    text = _text(view)
    assert "Can cells count?" in text
    assert "Not submitted yet" in text and "Mon 30 Nov 2026" in text
    assert "Streak: *1*" in text
    assert "Week one &amp; more" in text
    button = next(b for b in view["blocks"] if b["type"] == "actions")["elements"][0]
    assert button["action_id"] == "recap_open"


async def test_the_messages_tab_does_not_publish(slack):
    await slack.event({"type": "app_home_opened", "user": ANN, "channel": "D0ANN", "tab": "messages",
                       "event_ts": "1.0"})
    await slack.command(ANN, "help")  # something observable after the event
    await slack.fake.wait_responses(1)
    assert slack.fake.called("views.publish") == []


async def test_without_a_schedule_the_button_explains_instead_of_failing(fake, engine, core, repo):
    import aiohttp
    from slack_harness import Harness, make_settings, start, stop

    from bot.app import App

    app = App(settings=make_settings(fake), engine=engine, core=core)  # no group set up at all
    adapter, task = await start(app)
    try:
        async with aiohttp.ClientSession() as session:
            harness = Harness(fake, adapter, app, session)
            assert await harness.click("recap_open", ANN) == 200
            (opened,) = await fake.wait_for("views.open")
            assert "no recap group in this workspace yet" in str(opened.args["view"]["blocks"])
            await harness.event({"type": "app_home_opened", "user": ANN, "tab": "home", "event_ts": "1.0"})
            (home,) = await fake.wait_for("views.publish")
            assert "not in a recap group here yet" in str(home.args["view"]["blocks"])
            assert group_of(repo, Workspace("slack", T1)) is None  # looking creates nothing

            # A group without a meeting time: the button and the page say so.
            core.teams.configure(slack_actor(ADMIN, admin=True), [("channel", "C0LAB")])
            core.teams.member_for(slack_actor(ANN))
            assert await harness.click("recap_open", ANN) == 200
            opened = (await fake.wait_for("views.open", 2))[-1]
            assert "no meeting time yet" in str(opened.args["view"]["blocks"])
            await harness.event({"type": "app_home_opened", "user": ANN, "tab": "home", "event_ts": "2.0"})
            home = (await fake.wait_for("views.publish", 2))[-1]
            assert "no meeting time yet" in str(home.args["view"]["blocks"])
    finally:
        await stop(task)


async def test_a_text_submission_refreshes_the_home_tab_too(slack):
    await slack.command(ANN, 'submit --progress "Ran the assay"')
    (published,) = await slack.fake.wait_for("views.publish")
    assert published.args["user_id"] == ANN
    assert "Submitted" in _text(published.args["view"]) and "Ran the assay" in _text(published.args["view"])
