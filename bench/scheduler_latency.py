"""Scheduler figures: how late a digest goes out, and posts per digest when two replicas race.

1. Latency: a real AsyncIOScheduler on a real event loop; the clock is the
   system clock shifted so that a team's digest time is 1 s ahead. We measure
   (a) when the Chat port is called and (b) when the ledger records the post,
   relative to the digest time; with 1 team, then with 50 teams due at once.
2. Races: two replicas (own engine, own event loop, own thread) run the due
   work for the same instant after a barrier; we count how many posted each
   digest, over 200 meetings, on a SQLite file and (when TEST_DATABASE_URL or
   BENCH_DATABASE_URL is set) on PostgreSQL.

Run: .venv/bin/python bench/scheduler_latency.py [--races 200] [--samples 10]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import uuid
from collections import Counter
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from bot.core import cycles  # noqa: E402
from bot.core.model import Actor, Schedule, Workspace  # noqa: E402
from bot.core.service import Core  # noqa: E402
from bot.scheduling import Scheduler  # noqa: E402
from bot.store.db import make_engine, upgrade  # noqa: E402
from bot.store.ledger import Ledger  # noqa: E402
from bot.store.repo import SqlRepository  # noqa: E402

UTC = timezone.utc
TARGET_LATENCY_S = 1.0  # a digest should be out within a second of its time


class ShiftedClock:
    def __init__(self, offset: timedelta):
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


class TimingChat:
    platform = "console"
    needs_channel = False

    def __init__(self, clock):
        self.clock = clock
        self.calls: list[datetime] = []
        self.lock = threading.Lock()
        self.count: Counter[str] = Counter()

    async def post_digest(self, team, digest, parts):
        with self.lock:
            self.calls.append(self.clock.now())
            self.count[parts.key] += 1
        await asyncio.sleep(0.02)  # a platform round trip
        return await parts.send([parts.key], self._ref)

    async def post_late_update(self, team, refs, entry, parts):
        return await parts.send([parts.key], self._ref)

    async def remind(self, team, member, meeting_local, parts):
        return await parts.send([parts.key], self._ref)

    async def tell(self, team, user_ref, text):
        pass

    @staticmethod
    async def _ref(index, key):
        return f"bench:{key}:{index}"


def setup_teams(core: Core, count: int, at: datetime) -> list:
    teams = []
    for i in range(count):
        actor = Actor(Workspace("console", f"bench{i}"), "admin", "admin", is_admin=True)
        team = core.teams.configure(actor, [("meeting", "Mon 10:00"), ("tz", "Europe/Berlin"), ("channel", "#lab")])
        for j in range(5):
            core.teams.member_for(Actor(actor.workspace, f"m{j}", f"member {j}"), team)
        teams.append(core.teams.get_team(team.id))
    return teams


# -- 1. latency ------------------------------------------------------------------
async def latency_sample(url: str, teams: int) -> tuple[list[float], list[float]]:
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        for table in ("digest_posts", "reminder_sends", "message_parts", "post_failures"):
            conn.execute(text(f"DELETE FROM {table}"))
    real = datetime.now(UTC)
    meeting = cycles.next_meeting(Schedule(weekday=0, at=time(10, 0), timezone="Europe/Berlin"),
                                  real + timedelta(days=30))
    digest_at = meeting - timedelta(hours=2)
    clock = ShiftedClock(digest_at - timedelta(seconds=1) - real)
    core = Core.build(SqlRepository(engine), clock, default_timezone="Europe/Berlin")
    created = setup_teams(core, teams, clock.now())
    chat = TimingChat(clock)
    ledger = Ledger(engine)
    s = Scheduler(core, {"console": chat}, ledger, clock=clock, replica="bench")
    await s.run_due()  # the reminders (their window is open), so that the measured start has only the digest
    clock.offset = digest_at - timedelta(seconds=1) - datetime.now(UTC)  # exactly 1 s ahead at start
    await s.start()
    deadline = digest_at + timedelta(seconds=10)
    while len(chat.calls) < teams and clock.now() < deadline:
        await asyncio.sleep(0.005)
    await s.settle()
    await s.stop()
    called = [(c - digest_at).total_seconds() for c in chat.calls]
    recorded = [(ledger.digest_post(t.id, meeting).posted_at - digest_at).total_seconds()
                for t in created if ledger.digest_post(t.id, meeting)]
    engine.dispose()
    return called, recorded


def describe(values: list[float]) -> str:
    if not values:
        return "no posts!"
    ms = sorted(v * 1000 for v in values)
    return f"median {statistics.median(ms):.1f} ms, max {ms[-1]:.1f} ms (n={len(ms)})"


# -- 2. races --------------------------------------------------------------------
def race(url: str, races: int) -> tuple[Counter[int], Counter[str]]:
    engine = make_engine(url)
    upgrade(engine)
    start = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)

    class Fixed:
        now_value = start

        def now(self):
            return self.now_value

    clock = Fixed()
    setup = Core.build(SqlRepository(engine), clock, default_timezone="Europe/Berlin")
    team = setup_teams(setup, 1, start)[0]
    chat = TimingChat(clock)
    replicas = []
    for name in ("a", "b"):
        e = make_engine(url)
        core = Core.build(SqlRepository(e), clock, default_timezone="Europe/Berlin")
        replicas.append((Scheduler(core, {"console": chat}, Ledger(e), clock=clock, replica=name), e))
    meeting = cycles.next_meeting(team.schedule, start)
    for i in range(races):
        m = meeting + timedelta(weeks=i)
        clock.now_value = m - timedelta(hours=2)
        barrier = threading.Barrier(2)

        def run(s):
            barrier.wait()
            asyncio.run(s.run_due(clock.now_value))

        threads = [threading.Thread(target=run, args=(s,)) for s, _ in replicas]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    per_digest = Counter(chat.count.values())
    missing = races - sum(per_digest.values())
    if missing:
        per_digest[0] += missing
    with engine.connect() as conn:
        winners = Counter(dict(conn.execute(text(
            "SELECT claimed_by, count(*) FROM digest_posts WHERE status = 'posted' GROUP BY claimed_by")).all()))
    for _, e in replicas:
        e.dispose()
    engine.dispose()
    return per_digest, winners


def pg_url() -> tuple[str, callable] | None:
    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not base:
        return None
    schema = "bench_" + uuid.uuid4().hex[:10]
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"

    def drop():
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return f"{base}{sep}options=-csearch_path%3D{schema}", drop


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--races", type=int, default=200)
    parser.add_argument("--samples", type=int, default=10)
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        called, recorded = [], []
        for _ in range(args.samples):
            c, r = asyncio.run(latency_sample(url, 1))
            called += c
            recorded += r
        print(f"digest latency, 1 team, {args.samples} runs: chat called {describe(called)}; "
              f"ledger recorded {describe(recorded)}")
        ok &= len(called) == args.samples and max(recorded) <= TARGET_LATENCY_S
        url50 = f"sqlite:///{Path(tmp) / 'bench50.db'}"
        c, r = asyncio.run(latency_sample(url50, 50))
        print(f"digest latency, 50 teams due at once: chat called {describe(c)}; ledger recorded {describe(r)}")
        ok &= len(c) == 50

        counts, winners = race(f"sqlite:///{Path(tmp) / 'race.db'}", args.races)
        print(f"two replicas, SQLite file, {args.races} races: posts per digest {dict(sorted(counts.items()))}, "
              f"won by {dict(sorted(winners.items()))}")
        ok &= set(counts) == {1}
    pg = pg_url()
    if pg:
        url, drop = pg
        try:
            counts, winners = race(url, args.races)
        finally:
            drop()
        print(f"two replicas, PostgreSQL, {args.races} races: posts per digest {dict(sorted(counts.items()))}, "
              f"won by {dict(sorted(winners.items()))}")
        ok &= set(counts) == {1}
    else:
        print("PostgreSQL race skipped: set TEST_DATABASE_URL or BENCH_DATABASE_URL")
    print("target met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
