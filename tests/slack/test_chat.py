"""The Chat port the scheduler uses: digests in a thread, late updates, reminders."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from memory_parts import Crash, MemoryParts
from slack_harness import ADMIN, ANN, T1, TOKEN1, slack_actor

from bot.core.delivery import PermanentPostError
from bot.core.model import RecapDraft, Workspace
from tests.conftest import group_of, submit_as


def _team(core):
    return group_of(core, Workspace("slack", T1))


async def test_a_forty_member_digest_with_full_fields_posts_without_a_rejected_message(slack, core):
    for i in range(40):
        slack.fake.add_user(T1, f"U{i:04d}", f"Member {i}")
        text = f"member {i}: " + "results & <notes> " * 170
        submit_as(core, slack_actor(f"U{i:04d}"), RecapDraft(
            question=text[:3000], progress=text[:3000], failures=text[:3000], questions=text[:3000]))
    team = _team(core)
    slack.fake.fail("chat.postMessage", times=1, status=429, headers={"Retry-After": "0"})
    refs = await slack.adapter.chat.post_digest(team, core.upcoming_digest(team), MemoryParts().parts())
    posts = slack.fake.called("chat.postMessage")
    assert slack.fake.rejected == []
    assert len(refs) == len(posts) > 40  # a header, then each member (long ones split)
    root_channel, root_ts = refs[0].split(":")
    assert root_channel == "C0LAB" and "thread_ts" not in posts[0].args
    assert all(p.args["thread_ts"] == root_ts for p in posts[1:])
    assert all(p.token == TOKEN1 for p in posts)
    assert "40 of 43 recaps" in posts[0].args["text"]  # the admin who set the group up, Ann and Bob have not written
    for i in range(40):  # every member has their reply in the thread
        assert any(f"member {i}:" in str(p.args["blocks"]) for p in posts[1:])


async def test_late_update_goes_into_the_digest_thread(slack, core):
    result = submit_as(core, slack_actor(ANN), RecapDraft(progress="Late but here"))
    team = _team(core)
    digest = core.upcoming_digest(team)
    refs = await slack.adapter.chat.post_late_update(team, ["C0LAB:1700000000.000100"], digest.entries[0],
                                                     MemoryParts().parts())
    (post,) = slack.fake.called("chat.postMessage")
    assert post.args["thread_ts"] == "1700000000.000100" and post.args["channel"] == "C0LAB"
    assert "Late but here" in str(post.args["blocks"])
    assert refs[0].startswith("C0LAB:")
    assert result.recap.progress == "Late but here"


async def test_reminder_is_a_dm_with_a_button_that_opens_the_form(slack, core):
    team = _team(core)
    member = core.teams.member_for(slack_actor(ANN), team)
    await slack.adapter.chat.remind(team, member, datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Berlin")),
                                    MemoryParts().parts())
    (dm,) = slack.fake.called("chat.postMessage")
    assert dm.args["channel"] == ANN
    button = dm.args["blocks"][-1]["elements"][0]
    assert button["action_id"] == "recap_open"
    assert await slack.click("recap_open", ANN) == 200
    (opened,) = await slack.fake.wait_for("views.open")
    assert opened.args["view"]["callback_id"] == "recap_submit"


async def test_posting_for_another_workspace_with_a_single_token_is_refused(slack, core, repo):
    other = core.teams.configure(slack_actor(ADMIN, "T0ELSEWHERE", admin=True), [("channel", "C0X")])
    with pytest.raises(PermanentPostError, match="not_installed"):
        await slack.adapter.chat.post_digest(other, core.upcoming_digest(_team(core)), MemoryParts().parts())
    assert slack.fake.called("chat.postMessage") == []


def _three_members(core):
    for i in range(3):
        submit_as(core, slack_actor(f"U{i:04d}"), RecapDraft(progress=f"work of member {i}"))


def _shown(fake) -> list[str]:
    """Each accepted post's member line, in order ("header" for the channel message)."""
    return ["header" if "thread_ts" not in p.args else
            next(f"member {i}" for i in range(3) if f"work of member {i}" in str(p.args["blocks"]))
            for p in fake.accepted_posts()]


async def test_a_digest_that_failed_part_way_is_continued_by_another_replica_under_the_same_header(
        slack, core, engine, clock):
    from bot.scheduling import Scheduler
    from bot.store.ledger import Ledger

    _three_members(core)
    team = _team(core)
    digest_at = datetime(2026, 11, 23, 7, 0, tzinfo=timezone.utc)
    posted = []
    original = slack.fake._answer

    def fail_third_post(method, args, token):  # Slack accepts two messages, then errors
        if method == "chat.postMessage":
            posted.append(args)
            if len(posted) == 3:
                return {"ok": False, "error": "fatal_error"}
        return original(method, args, token)

    slack.fake._answer = fail_third_post
    clock.set(digest_at)
    a = Scheduler(core, {"slack": slack.adapter.chat}, Ledger(engine), clock=clock, replica="a")
    report = await a.run_due()
    assert report.retry_at == digest_at + timedelta(minutes=1) and _shown(slack.fake) == ["header", "member 0"]
    slack.fake._answer = original
    clock.set(digest_at + timedelta(minutes=1))  # "a" is gone; "b" picks the digest up at its next wake-up
    b = Scheduler(core, {"slack": slack.adapter.chat}, Ledger(engine), clock=clock, replica="b")
    assert (await b.run_due()).posted == [(team.id, digest_at + timedelta(hours=2))]
    assert _shown(slack.fake) == ["header", "member 0", "member 1", "member 2"]
    root_ts = slack.fake.accepted_posts()[0].response["ts"]
    assert all(p.args["thread_ts"] == root_ts for p in slack.fake.accepted_posts()[1:])
    row = Ledger(engine).digest_post(team.id, digest_at + timedelta(hours=2))
    assert len(row.refs) == 4 and row.refs[0] == f"C0LAB:{root_ts}"


async def test_a_kill_before_the_part_is_recorded_repeats_only_that_part_on_slack(slack, core):
    _three_members(core)
    team = _team(core)
    digest = core.upcoming_digest(team)
    memory = MemoryParts("digest:1:20261123T0900Z", crash_at=2)
    with pytest.raises(Crash):
        await slack.adapter.chat.post_digest(team, digest, memory.parts())
    await slack.adapter.chat.post_digest(team, digest, memory.parts())
    # Slack has no idempotency key: the part accepted but never recorded shows twice, nothing else does.
    assert _shown(slack.fake) == ["header", "member 0", "member 1", "member 1", "member 2"]


async def test_a_channel_the_bot_is_not_in_stops_the_digest_at_once_and_tells_the_admins(slack, core, engine, clock):
    from bot.scheduling import Scheduler
    from bot.store.ledger import Ledger

    core.teams.configure(slack_actor(ADMIN, admin=True), [("admins", ADMIN)])
    team = _team(core)
    slack.fake.channel_errors["C0LAB"] = "not_in_channel"
    s = Scheduler(core, {"slack": slack.adapter.chat}, Ledger(engine), clock=clock, replica="a")
    digest_at = datetime(2026, 11, 23, 7, 0, tzinfo=timezone.utc)  # Mon 10:00 Berlin, two hours before
    clock.set(digest_at)
    report = await s.run_due()
    assert report.retry_at is None and report.posted == []  # no retry for hours: it can never work as is
    row = Ledger(engine).digest_post(team.id, digest_at + timedelta(hours=2))
    assert row.status == "failed"
    (dm,) = [c for c in slack.fake.called("chat.postMessage") if c.args["channel"] == ADMIN]
    assert "invite" in dm.args["text"].lower() and "<#C0LAB>" in dm.args["text"]
    assert "<#C0LAB>" in str(dm.args["blocks"])  # a working channel link, not escaped text
    assert "Mon 23 Nov 2026" in dm.args["text"]
    clock.set(digest_at + timedelta(hours=1))
    await s.run_due()
    assert len([c for c in slack.fake.called("chat.postMessage") if c.args["channel"] == "C0LAB"]) == 1
