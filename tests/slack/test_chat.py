"""The Chat port the scheduler uses: digests in a thread, late updates, reminders."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from slack_harness import ANN, T1, TOKEN1, slack_actor

from bot.core.model import RecapDraft, Workspace


def _team(core):
    return core.teams.team_for(Workspace("slack", T1))


async def test_a_forty_member_digest_with_full_fields_posts_without_a_rejected_message(slack, core):
    for i in range(40):
        slack.fake.add_user(T1, f"U{i:04d}", f"Member {i}")
        text = f"member {i}: " + "results & <notes> " * 170
        core.recaps.submit(slack_actor(f"U{i:04d}"), RecapDraft(
            question=text[:3000], progress=text[:3000], failures=text[:3000], questions=text[:3000]))
    team = _team(core)
    slack.fake.fail("chat.postMessage", times=1, status=429, headers={"Retry-After": "0"})
    refs = await slack.adapter.chat.post_digest(team, core.upcoming_digest(team), f"{team.id}:2026-11-23")
    posts = slack.fake.called("chat.postMessage")
    assert slack.fake.rejected == []
    assert len(refs) == len(posts) > 40  # a header, then each member (long ones split)
    root_channel, root_ts = refs[0].split(":")
    assert root_channel == "C0LAB" and "thread_ts" not in posts[0].args
    assert all(p.args["thread_ts"] == root_ts for p in posts[1:])
    assert all(p.token == TOKEN1 for p in posts)
    assert "40 of 41 recaps" in posts[0].args["text"]  # the admin who set the team up has not written
    for i in range(40):  # every member has their reply in the thread
        assert any(f"member {i}:" in str(p.args["blocks"]) for p in posts[1:])


async def test_late_update_goes_into_the_digest_thread(slack, core):
    result = core.recaps.submit(slack_actor(ANN), RecapDraft(progress="Late but here"))
    team = _team(core)
    digest = core.upcoming_digest(team)
    refs = await slack.adapter.chat.post_late_update(team, ["C0LAB:1700000000.000100"], digest.entries[0], "k")
    (post,) = slack.fake.called("chat.postMessage")
    assert post.args["thread_ts"] == "1700000000.000100" and post.args["channel"] == "C0LAB"
    assert "Late but here" in str(post.args["blocks"])
    assert refs[0].startswith("C0LAB:")
    assert result.recap.progress == "Late but here"


async def test_reminder_is_a_dm_with_a_button_that_opens_the_form(slack, core):
    team = _team(core)
    member = core.teams.member_for(slack_actor(ANN), team)
    await slack.adapter.chat.remind(team, member, datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Berlin")))
    (dm,) = slack.fake.called("chat.postMessage")
    assert dm.args["channel"] == ANN
    button = dm.args["blocks"][-1]["elements"][0]
    assert button["action_id"] == "recap_open"
    assert await slack.click("recap_open", ANN) == 200
    (opened,) = await slack.fake.wait_for("views.open")
    assert opened.args["view"]["callback_id"] == "recap_submit"


async def test_posting_for_another_workspace_with_a_single_token_is_refused(slack, core, repo):
    other = core.teams.team_for(Workspace("slack", "T0ELSEWHERE"))
    other = repo.update_team(other.id, {"channel": "C0X"}, core.clock.now())
    with pytest.raises(LookupError):
        await slack.adapter.chat.post_digest(other, core.upcoming_digest(_team(core)), "k")
    assert slack.fake.called("chat.postMessage") == []


async def test_a_digest_that_failed_part_way_resumes_without_posting_twice(slack, core):
    for i in range(3):
        slack.fake.add_user(T1, f"U{i:04d}", f"Member {i}")
        core.recaps.submit(slack_actor(f"U{i:04d}"), RecapDraft(progress=f"work of member {i}"))
    team = _team(core)
    digest = core.upcoming_digest(team)
    posted = []
    original = slack.fake._answer

    def fail_third_post(method, args, token):  # Slack accepts two messages, then errors for good
        if method == "chat.postMessage":
            posted.append(args)
            if len(posted) == 3:
                return {"ok": False, "error": "fatal_error"}
        return original(method, args, token)

    slack.fake._answer = fail_third_post
    with pytest.raises(Exception):
        await slack.adapter.chat.post_digest(team, digest, "digest:1:20261123T0900Z")
    slack.fake._answer = original
    refs = await slack.adapter.chat.post_digest(team, digest, "digest:1:20261123T0900Z")
    posts = [c for c in slack.fake.called("chat.postMessage") if c.response.get("ok")]  # what people see
    headers = [p for p in posts if "thread_ts" not in p.args]
    assert len(headers) == 1  # the header went out once, the thread continued under it
    assert len(refs) == 4 and len(set(refs)) == 4
    for i in range(3):
        assert sum(f"work of member {i}" in str(p.args["blocks"]) for p in posts) == 1
