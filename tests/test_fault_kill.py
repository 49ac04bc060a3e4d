"""Fault test: real `recapbot run` processes, SIGKILLed while posting a digest to the fake Slack.

The fake Slack kills the posting process right after it accepted digest part k,
a restarted process on the same machine takes the dead one's claim over at
start (its pid is gone), and each part must be in the channel exactly once,
the thread under the one header. On PostgreSQL two replicas run from the
start and race for the claim; the one that wins is killed.

`python tests/test_fault_kill.py [runs] [postgres]` repeats the scenario with
the kill at every part, in both kill modes (see KillSwitch in fake_slack.py),
and prints how many parts were repeated; `postgres` uses TEST_DATABASE_URL
and two replicas.
"""
from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "slack"))
sys.path.insert(0, str(ROOT))

from fake_slack import SIGNING_SECRET, FakeSlack  # noqa: E402

from bot.core.model import WEEKDAYS, Actor, RecapDraft, Workspace  # noqa: E402
from bot.core.service import Core  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bot.store import tables  # noqa: E402
from bot.store.db import make_engine  # noqa: E402
from bot.store.repo import SqlRepository  # noqa: E402
from tests.conftest import submit_as

T1, TOKEN, CHANNEL = "T0LAB", "xoxb-T0LAB-secret", "C0LAB"
MEMBERS = 5  # a header and one reply each: 6 parts
PARTS = MEMBERS + 1
UTC = timezone.utc


class StepClock:
    def __init__(self, now: datetime):
        self._now = now

    def now(self) -> datetime:
        return self._now


def seed(db_url: str) -> datetime:
    """A team whose digest came due a minute ago (on time), with MEMBERS recaps; returns the meeting."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    meeting = now + timedelta(minutes=61)
    engine = make_engine(db_url)
    try:
        core = Core.build(SqlRepository(engine), StepClock(meeting - timedelta(days=1)), default_timezone="UTC")
        admin = Actor(Workspace("slack", T1), "U0ADMIN", "Ada", "UTC", is_admin=True)
        core.teams.configure(admin, [
            ("meeting", f"{WEEKDAYS[meeting.weekday()]} {meeting:%H:%M}"), ("tz", "UTC"),
            ("digest-lead", "62m"), ("channel", CHANNEL)])
        for i in range(MEMBERS):
            who = Actor(Workspace("slack", T1), f"U{i:04d}", f"Member {i}", "UTC")
            submit_as(core, who, RecapDraft(progress=f"progress of member {i}"))
    finally:
        engine.dispose()
    return meeting


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Bot:
    """One `recapbot run` process (HTTP mode, one workspace) against the fake Slack."""

    def __init__(self, db_url: str, fake: FakeSlack, workdir: Path, name: str):
        self.db_url, self.fake, self.workdir, self.name = db_url, fake, workdir, name
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> "Bot":
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("SLACK_", "DISCORD_", "RECAPBOT_")) and k != "DATABASE_URL"}
        env.update(DATABASE_URL=self.db_url, SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                   SLACK_API_URL=self.fake.api_url, RECAPBOT_HTTP_HOST="127.0.0.1",
                   RECAPBOT_HTTP_PORT=str(free_port()),
                   PYTHONPATH=str(ROOT))
        log = open(self.workdir / f"{self.name}.log", "ab")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=self.workdir, env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


def digest_row(db_url: str):
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(tables.digest_posts)).first()
    finally:
        engine.dispose()


def claimer_pid(db_url: str):
    """The pid of the process holding the digest claim (replica ids are host:pid:random)."""
    def victim() -> int | None:
        row = digest_row(db_url)
        return int(row.claimed_by.rsplit(":", 2)[1]) if row is not None and row.status == "claimed" else None
    return victim


def thread_report(fake: FakeSlack) -> dict:
    """What people see: the headers in the channel, the replies under each, repeated parts."""
    posts = fake.accepted_posts()
    roots = [p for p in posts if "thread_ts" not in p.args]
    bodies = [json.dumps(p.args.get("blocks"), sort_keys=True) for p in posts]
    return {
        "posts": len(posts),
        "headers": len(roots),
        "root_ts": [p.response["ts"] for p in roots],
        "threads": sorted({p.args.get("thread_ts") for p in posts if "thread_ts" in p.args}),
        "repeated": len(bodies) - len(set(bodies)),
        "channels": sorted({p.args["channel"] for p in posts}),
    }


async def kill_scenario(db_url: str, workdir: Path, kill_at: int, replicas: int = 1,
                        before_next: bool = True, timeout: float = 25.0) -> dict:
    """Start `replicas` bots, SIGKILL the poster after part `kill_at`, restart it, wait for every part."""
    seed(db_url)
    fake = await FakeSlack().start()
    fake.add_team(T1, TOKEN)
    bots: list[Bot] = []
    try:
        switch = fake.kill_after(kill_at, claimer_pid(db_url), before_next=before_next)
        bots = [await Bot(db_url, fake, workdir, f"bot{i}").start() for i in range(replicas)]
        await asyncio.wait_for(_until(lambda: switch.killed), timeout)
        victim = next(b for b in bots if b.pid == switch.killed[0])
        await victim.proc.wait()
        bots.append(await Bot(db_url, fake, workdir, "restarted").start())
        await fake.wait_for("chat.postMessage", count=PARTS, timeout=timeout)
        await asyncio.wait_for(_until(lambda: _status(db_url) == "posted"), timeout)
        report = thread_report(fake)
        report["killed_after"] = kill_at
        return report
    finally:
        for bot in bots:
            await bot.stop()
        await fake.stop()


def _status(db_url: str) -> str | None:
    row = digest_row(db_url)
    return row.status if row is not None else None


async def _until(condition) -> None:
    """Poll a condition another process makes true (no event crosses the process boundary)."""
    while not condition():
        await asyncio.sleep(0.05)


def assert_exactly_once(report: dict) -> None:
    assert report["channels"] == [CHANNEL]
    assert report["headers"] == 1, report                      # one header, the thread root
    assert report["threads"] == report["root_ts"], report      # every reply under that one root
    assert report["repeated"] == 0 and report["posts"] == PARTS, report


@pytest.mark.parametrize("kill_at", [1, 3])
async def test_a_bot_killed_mid_digest_leaves_each_part_once_after_restart(sqlite_url, tmp_path, kill_at):
    assert_exactly_once(await kill_scenario(sqlite_url, tmp_path, kill_at))


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (PostgreSQL)")
async def test_two_replicas_on_postgresql_one_killed_mid_digest_each_part_once(tmp_path):
    from tests.conftest import drop_pg_schema, new_pg_schema
    from bot.store.db import upgrade

    schema, url = new_pg_schema()
    try:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        assert_exactly_once(await kill_scenario(url, tmp_path, kill_at=2, replicas=2))
    finally:
        drop_pg_schema(schema)


async def _loop(runs: int, postgres: bool) -> None:
    """Outside the suite: kills at every part, both modes, on fresh SQLite files (or PostgreSQL
    schemas with two replicas)."""
    import shutil
    import tempfile

    from bot.store.db import upgrade
    from tests.conftest import drop_pg_schema, new_pg_schema

    base = Path(tempfile.mkdtemp(prefix="recapbot-kill-"))
    template = base / "template.db"
    engine = make_engine(f"sqlite:///{template}")
    upgrade(engine)
    engine.dispose()
    totals = {True: [0, 0, 0], False: [0, 0, 0]}  # mode -> [runs, repeated parts, extra headers]
    for run in range(runs):
        for before_next in (True, False):
            kill_at = 1 + run % (PARTS - 1) if before_next else 1 + run % PARTS
            workdir = base / f"run{run}-{'next' if before_next else 'answer'}"
            workdir.mkdir()
            schema = None
            if postgres:
                schema, url = new_pg_schema()
                engine = make_engine(url)
                upgrade(engine)
                engine.dispose()
            else:
                shutil.copy(template, workdir / "bot.db")
                url = f"sqlite:///{workdir / 'bot.db'}"
            try:
                report = await kill_scenario(url, workdir, kill_at, replicas=2 if postgres else 1,
                                             before_next=before_next)
            finally:
                if schema:
                    drop_pg_schema(schema)
            stats = totals[before_next]
            stats[0] += 1
            stats[1] += report["repeated"]
            stats[2] += report["headers"] - 1
            print(f"run {run:2d} {'before next' if before_next else 'after answer'} kill after part {kill_at}: "
                  f"{report['posts']} posts, {report['repeated']} repeated, {report['headers']} header(s)", flush=True)
    for before_next, (n, repeated, headers) in totals.items():
        mode = "killed once the part was recorded" if before_next else "killed before the part was recorded"
        print(f"{mode}: {n} kills, {repeated} repeated parts, {headers} extra headers")
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(_loop(int(sys.argv[1]) if len(sys.argv) > 1 else 10, "postgres" in sys.argv[2:]))
