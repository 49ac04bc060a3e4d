"""Three replicas on one PostgreSQL database: 1,000 digests due at once, one replica SIGKILLed.

Three real `recapbot run` processes (tests/replica_run.py: the same composition
with a shifted clock, so the digest time comes a few seconds after they start)
post to the fake Slack on loopback, each with its own token for the one
workspace, so the fake knows which replica sent what. 1,000 groups (one
member who wrote, so two message parts each) have their digest at the same
minute. Once 40% of the parts are out, the replica holding the most claims
stops getting answers from Slack (`hold`), and is SIGKILLed as soon as every
part Slack accepted from it is recorded: its unfinished claims must be taken
over by the others (they see its process is gone) and continued, never
repeated. Checked: every digest's parts in its channel exactly once under one
header, every digest within 60 s of its time except those taken over (the
takeover time is printed), and every replica posted a share.
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import statistics
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import aiohttp
import pytest
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "slack"))

from fake_slack import SIGNING_SECRET, FakeSlack  # noqa: E402

from bot.scheduling.posting import digest_key  # noqa: E402
from bot.store import tables as t  # noqa: E402
from bot.store.db import make_engine, upgrade  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (PostgreSQL)"),
]

UTC = timezone.utc
WORKSPACE = "T0LAB"
GROUPS = 1000
PARTS = 2  # the header and one member's entry
REPLICAS = 3
LEAD = 20.0  # seconds from launching the replicas to the digest time (they start in a few)
ON_TIME = timedelta(seconds=60)


def seed(url: str, digest_at: datetime) -> None:
    """GROUPS groups in one workspace, each with its channel and one member who wrote."""
    meeting = digest_at + timedelta(hours=1)
    created = digest_at - timedelta(days=2)
    teams, members, recaps = [], [], []
    for i in range(1, GROUPS + 1):
        teams.append(dict(id=i, workspace=f"slack:{WORKSPACE}", name=f"group {i}", timezone="UTC",
                          channel=f"C{i:05d}", meeting_weekday=meeting.weekday(), meeting_time=f"{meeting:%H:%M}",
                          every_weeks=1, digest_lead_minutes=60, reminder_lead_minutes=1440, admins="",
                          created_at=created, updated_at=created))
        members.append(dict(id=i, team_id=i, user_ref=f"U{i:05d}", display_name=f"Member {i}", joined_at=created))
        recaps.append(dict(team_id=i, member_id=i, meeting_at=meeting, progress=f"progress of group {i}",
                           submitted_at=digest_at - timedelta(hours=2), updated_at=digest_at - timedelta(hours=2)))
    engine = make_engine(url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            for table, rows in ((t.teams, teams), (t.members, members), (t.recaps, recaps)):
                conn.execute(table.insert(), rows)
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Replica:
    def __init__(self, index: int, url: str, fake: FakeSlack, workdir: Path, shift: timedelta):
        self.token = f"xoxb-{WORKSPACE}-replica{index}"
        self.name, self.url, self.fake, self.workdir, self.shift = f"replica{index}", url, fake, workdir, shift
        self.port = free_port()
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> "Replica":
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("SLACK_", "DISCORD_", "RECAPBOT_")) and k != "DATABASE_URL"}
        env.update(DATABASE_URL=self.url, SLACK_BOT_TOKEN=self.token, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                   SLACK_API_URL=self.fake.api_url, RECAPBOT_HTTP_HOST="127.0.0.1", RECAPBOT_HTTP_PORT=str(self.port),
                   REPLICA_CLOCK_SHIFT=str(self.shift.total_seconds()), PYTHONPATH=str(ROOT))
        log = open(self.workdir / f"{self.name}.log", "ab")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "tests" / "replica_run.py"), cwd=self.workdir, env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        return self

    async def healthy(self, session: aiohttp.ClientSession) -> bool:
        try:
            async with session.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                return response.status == 200
        except aiohttp.ClientError:
            return False

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


async def until(condition, timeout: float, what: str) -> None:
    """Poll a condition other processes make true (no event crosses the process boundary)."""
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.05)


def pid_of(replica_id: str) -> int:
    return int(replica_id.rsplit(":", 2)[1])


async def test_three_replicas_post_1000_digests_once_though_one_is_killed(tmp_path):
    from tests.conftest import drop_pg_schema, new_pg_schema

    schema, url = new_pg_schema()
    engine = make_engine(url)
    fake = await FakeSlack().start()
    replicas: list[Replica] = []
    try:
        # The replicas' clock says digest_at LEAD seconds after launch (a whole minute, as digest times are).
        launch = datetime.now(UTC)
        digest_at = (launch + timedelta(days=1)).replace(second=0, microsecond=0)
        shift = digest_at - (launch + timedelta(seconds=LEAD))
        seed(url, digest_at)
        replicas = [Replica(i, url, fake, tmp_path, shift) for i in range(REPLICAS)]
        for replica in replicas:
            fake.add_team(WORKSPACE, replica.token)
            await replica.start()
        async with aiohttp.ClientSession() as session:
            async def all_up():
                return all([await r.healthy(session) for r in replicas])
            await until(all_up, LEAD, "the three replicas to answer /healthz")
        ready = datetime.now(UTC) + shift
        assert ready < digest_at, f"the replicas took {LEAD + (ready - digest_at).total_seconds():.1f} s to start"

        def accepted() -> int:
            return len(fake.accepted_posts())

        async def some_out():
            return accepted() >= GROUPS * PARTS * 0.4
        await until(some_out, LEAD + 60, "40% of the digests")

        # The replica with the most claims in progress is cut off from Slack, then killed once
        # every part Slack accepted from it is recorded (what a crash right after a post leaves).
        d, mp = t.digest_posts, t.message_parts
        with engine.connect() as conn:
            holders = Counter(dict(conn.execute(select(d.c.claimed_by, func.count()).where(d.c.status == "claimed")
                                                .group_by(d.c.claimed_by)).all()))
        assert holders, "no digest was being posted at 40%"
        victim_id = holders.most_common(1)[0][0]
        victim = next(r for r in replicas if r.proc.pid == pid_of(victim_id))
        fake.hold(victim.token)

        async def all_recorded():
            sent = sum(1 for c in fake.accepted_posts() if c.token == victim.token)
            with engine.connect() as conn:
                keys = [digest_key(SimpleNamespace(id=team_id), meeting) for team_id, meeting in conn.execute(
                    select(d.c.team_id, d.c.meeting_at).where(d.c.claimed_by == victim_id))]
                recorded = conn.execute(select(func.count()).select_from(mp).where(mp.c.post_key.in_(keys))).scalar()
            return recorded == sent
        await until(all_recorded, 10, "the victim to record the parts Slack accepted from it")
        os.kill(victim.proc.pid, signal.SIGKILL)
        killed_at = datetime.now(UTC) + shift
        await victim.proc.wait()
        with engine.connect() as conn:
            orphans = {(r.team_id, r.meeting_at) for r in conn.execute(
                select(d.c.team_id, d.c.meeting_at).where(d.c.claimed_by == victim_id, d.c.status == "claimed"))}

        async def all_posted():
            with engine.connect() as conn:
                done = conn.execute(select(func.count()).select_from(d).where(d.c.status == "posted")).scalar()
            return done == GROUPS and accepted() >= GROUPS * PARTS
        await until(all_posted, 90, "every digest to be posted")

        # Exactly once per part: one header per channel, its reply under it, nothing repeated,
        # and what is in the channel is what the ledger recorded.
        by_channel: dict[str, list] = {}
        for call in fake.accepted_posts():
            by_channel.setdefault(call.args["channel"], []).append(call)
        assert len(by_channel) == GROUPS
        with engine.connect() as conn:
            rows = conn.execute(select(d)).all()
        for row in rows:
            posts = by_channel[f"C{row.team_id:05d}"]
            roots = [p for p in posts if "thread_ts" not in p.args]
            bodies = [json.dumps(p.args.get("blocks"), sort_keys=True) for p in posts]
            assert len(roots) == 1 and len(posts) == PARTS and len(set(bodies)) == PARTS, (row.team_id, posts)
            assert all(p.args["thread_ts"] == roots[0].response["ts"] for p in posts if p is not roots[0])
            assert json.loads(row.message_refs) == [f"{p.args['channel']}:{p.response['ts']}" for p in posts]

        delays = {(r.team_id, r.meeting_at): r.posted_at - digest_at for r in rows}
        late = {key: delay for key, delay in delays.items() if delay > ON_TIME and key not in orphans}
        assert not late, f"{len(late)} digests more than 60 s after their time: {sorted(late.values())[:5]}"
        shares = Counter(c.token for c in fake.accepted_posts())
        assert all(shares[r.token] > 0 for r in replicas), shares
        takeover = max((delays[key] + digest_at - killed_at for key in orphans), default=timedelta(0))
        on_time = [delay.total_seconds() for key, delay in delays.items() if key not in orphans]
        print(f"\n{GROUPS} digests by {REPLICAS} replicas: median +{statistics.median(on_time):.1f} s, last on time "
              f"+{max(on_time):.1f} s after their time; parts per replica "
              f"{[shares[r.token] for r in replicas]} (killed: {victim.name}, at +{(killed_at - digest_at).total_seconds():.1f} s); "
              f"its {len(orphans)} unfinished claims taken over and posted within {takeover.total_seconds():.1f} s of the kill")
    finally:
        for replica in replicas:
            await replica.stop()
        await fake.stop()
        engine.dispose()
        drop_pg_schema(schema)
