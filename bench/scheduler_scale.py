"""Scheduler at scale: start and restart with 10,000 groups, and 1,000 digests due at once.

1. Start/restart: 10,000 groups (schedules spread over the week in a dozen zones, weekly or
   fortnightly, 3 to 6 members each, some skipped days), every past digest of the last
   weeks in the ledger (posted, a few missed) and the reminders already sent where a
   reminder window is open: the state of a bot that was running until a minute ago.
   Each repetition runs in a fresh process (`--child`): Scheduler.start (with
   APScheduler, a job per group) is timed, then stopped and started again on the same
   database (restart). SQL statements are counted with a SQLAlchemy event listener,
   writes are the INSERT/UPDATE/DELETE among them; RSS (VmRSS) is read after the start
   with 10,000 groups planned. Floors in the same run: importing the libraries, and a
   start with no groups (time and RSS).
2. Spread: 1,000 groups share one digest time (3 members with recaps each); one replica
   with a real AsyncIOScheduler and a fake Chat that takes 30 ms per message part (a
   platform round trip). The clock is the system clock shifted so the digest time is a few
   seconds after the start. Reports when the last of the 1,000 was recorded as posted.

Targets: start and restart <= 2 s on SQLite, <= 3 s on PostgreSQL; a constant number of
statements (the same with 1,000 and 10,000 groups); no writes on start; RSS <= 120 MB with
10,000 groups; all 1,000 digests within 30 s of their time.

Run: .venv/bin/python bench/scheduler_scale.py [--quick] [--reps 3] [--groups 10000]
PostgreSQL is measured when TEST_DATABASE_URL or BENCH_DATABASE_URL is set (a fresh schema).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

UTC = timezone.utc
ZONES = ["UTC", "Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles", "Asia/Tokyo",
         "Asia/Kolkata", "Australia/Sydney", "America/Sao_Paulo", "Africa/Nairobi", "Europe/Helsinki",
         "Pacific/Auckland"]
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # the instant every start happens at (a fixed clock)
TARGET_START = {"sqlite": 2.0, "postgresql": 3.0}
TARGET_RSS_MB = 120.0
TARGET_SPREAD_S = 30.0


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class FixedClock:
    def __init__(self, now: datetime):
        self._now = now

    def now(self) -> datetime:
        return self._now


class ShiftedClock:
    def __init__(self, offset: timedelta):
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


# -- seeding ----------------------------------------------------------------------------
def seed(url: str, groups: int, now: datetime, seed_value: int = 12) -> None:
    """Bulk-insert `groups` groups with members and the ledger of a bot that ran until `now`."""
    from bot.core import cycles
    from bot.scheduling import plan
    from bot.scheduling.posting import reminder_key
    from bot.store import tables as t
    from bot.store.db import make_engine, upgrade
    from bot.store.repo import SqlRepository

    rng = random.Random(seed_value)
    engine = make_engine(url)
    upgrade(engine)
    created = now - timedelta(days=60)
    team_rows, member_rows, skip_rows = [], [], []
    member_id = 0
    members_of: dict[int, list[int]] = {}
    for i in range(1, groups + 1):
        fortnightly = rng.random() < 0.2
        weekday = rng.randrange(7)
        team_rows.append(dict(
            id=i, workspace=f"slack:T{i % 200:05d}", name=f"group {i}", timezone=rng.choice(ZONES),
            channel=f"C{i:07d}", meeting_weekday=weekday, meeting_time=f"{rng.randrange(7, 19):02d}:{rng.choice((0, 15, 30, 45)):02d}",
            every_weeks=2 if fortnightly else 1, anchor_date=date(2026, 9, 7) if fortnightly else None,
            digest_lead_minutes=rng.choice((30, 60, 120, 240)), reminder_lead_minutes=rng.choice((1440, 720, 2880)),
            admins=f"UADM{i}", created_at=created, updated_at=created))
        members_of[i] = []
        for k in range(rng.randrange(3, 7)):
            member_id += 1
            members_of[i].append(member_id)
            member_rows.append(dict(id=member_id, team_id=i, user_ref=f"U{member_id:07d}", display_name=f"M {k}",
                                    timezone=None, joined_at=created, left_at=None))
        if rng.random() < 0.1:
            skip_rows.append(dict(team_id=i, meeting_date=(now + timedelta(days=rng.randrange(1, 30))).date(),
                                  created_at=created))
    with engine.begin() as conn:
        for table, rows in ((t.teams, team_rows), (t.members, member_rows), (t.skipped_meetings, skip_rows)):
            for k in range(0, len(rows), 5000):
                conn.execute(table.insert(), rows[k:k + 5000])
    # The ledger: every digest of the last three weeks (and the lookback) posted with every
    # member's recap in it (a few missed); half the members wrote for the coming meeting; the
    # others were reminded where the reminder window is open.
    repo = SqlRepository(engine)
    digest_rows, remind_rows, part_rows, recap_rows, shown_rows = [], [], [], [], []
    recap_id = 0

    def recap(team_id: int, mid: int, meeting: datetime, at: datetime) -> int:
        nonlocal recap_id
        recap_id += 1
        recap_rows.append(dict(id=recap_id, team_id=team_id, member_id=mid, meeting_at=meeting,
                               progress=f"progress of {mid}", submitted_at=at, updated_at=at))
        return recap_id

    for team in repo.list_teams():
        schedule = team.schedule
        due = plan.due(team, now, timedelta(days=21))
        for meeting in due.digests:
            missed = rng.random() < 0.05
            posted_at = meeting - schedule.digest_lead
            digest_rows.append(dict(team_id=team.id, meeting_at=meeting, status="missed" if missed else "posted",
                                    claimed_by="bench", claimed_at=posted_at, posted_at=None if missed else posted_at,
                                    posted_late=False, channel=team.channel,
                                    message_refs="" if missed else json.dumps([f"ts{team.id}.{meeting:%s}"])))
            for mid in members_of[team.id]:
                rid = recap(team.id, mid, meeting, posted_at - timedelta(hours=3))
                if not missed:
                    shown_rows.append(dict(recap_id=rid, version=posted_at - timedelta(hours=3), claimed_at=posted_at,
                                           message_refs="in-digest"))
        coming = cycles.next_meeting(schedule, now, team.skipped)
        wrote = set(members_of[team.id][::2]) if coming not in due.digests else set()
        for mid in wrote:
            recap(team.id, mid, coming, now - timedelta(hours=1))
        if due.reminder_meeting is not None:
            for mid in members_of[team.id]:
                if due.reminder_meeting == coming and mid in wrote:
                    continue
                sent = max(due.reminder_meeting - schedule.digest_lead - schedule.reminder_lead, now - timedelta(days=6))
                remind_rows.append(dict(member_id=mid, meeting_at=due.reminder_meeting, sent_at=sent))
                part_rows.append(dict(post_key=reminder_key(mid, due.reminder_meeting), part=0, ref=f"dm{mid}",
                                      team_id=team.id, member_id=mid, posted_at=sent))
    with engine.begin() as conn:
        for table, rows in ((t.digest_posts, digest_rows), (t.reminder_sends, remind_rows),
                            (t.message_parts, part_rows), (t.recaps, recap_rows), (t.late_update_posts, shown_rows)):
            for k in range(0, len(rows), 5000):
                conn.execute(table.insert(), rows[k:k + 5000])
    engine.dispose()


# -- one measured process ---------------------------------------------------------------------
async def child(url: str) -> dict:
    """Start, stop, start again (restart) on `url` at NOW; counts statements and writes."""
    from sqlalchemy import event

    from bot.core.service import Core
    from bot.scheduling import Scheduler
    from bot.store.db import make_engine
    from bot.store.ledger import Ledger
    from bot.store.repo import SqlRepository

    engine = make_engine(url)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cursor, stmt, params, context, many: statements.append(stmt))
    clock = FixedClock(NOW)
    core = Core.build(SqlRepository(engine), clock, default_timezone="UTC")
    chat = SlowChat()
    out = {}
    for name in ("start", "restart"):
        statements.clear()
        t0 = time.perf_counter()
        scheduler = Scheduler(core, {"slack": chat}, Ledger(engine), clock=clock, replica=f"bench-{name}")
        report = await scheduler.start()
        elapsed = time.perf_counter() - t0
        writes = sum(1 for s in statements if s.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"))
        jobs = len(scheduler.aps.get_jobs()) if scheduler.aps else 0
        out[name] = dict(seconds=elapsed, statements=len(statements), writes=writes, jobs=jobs,
                         posted=len(report.posted), reminded=len(report.reminded), rss_mb=rss_mb())
        await scheduler.stop()
    engine.dispose()
    return out


def run_child(url: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", url], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def import_floor() -> float:
    code = ("import time; t=time.perf_counter(); import sqlalchemy, apscheduler.schedulers.asyncio, "
            "bot.core.service, bot.scheduling, bot.store.repo, bot.store.ledger; print(time.perf_counter()-t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return float(out.stdout.strip())


# -- databases -----------------------------------------------------------------------------
class Database:
    """A fresh SQLite file or PostgreSQL schema; gone at close."""

    def __init__(self, backend: str, tmp: Path, name: str):
        self.backend, self.schema = backend, None
        if backend == "sqlite":
            self.url = f"sqlite:///{tmp / (name + '.db')}"
        else:
            os.environ.setdefault("TEST_DATABASE_URL", pg_url())
            from tests.conftest import new_pg_schema
            self.schema, self.url = new_pg_schema()

    def close(self) -> None:
        if self.schema:
            from tests.conftest import drop_pg_schema
            drop_pg_schema(self.schema)


def pg_url() -> str | None:
    return os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")


def summary(values: list[float]) -> str:
    return f"min {min(values):.3f} median {statistics.median(values):.3f}"


def start_bench(backend: str, tmp: Path, groups: int, reps: int) -> bool:
    ok = True
    results = {}
    for n in (0, groups // 10, groups):
        db = Database(backend, tmp, f"scale{n}")
        try:
            seed(db.url, n, NOW)
            results[n] = [run_child(db.url) for _ in range(reps)]
        finally:
            db.close()
    floor = [r["start"]["seconds"] for r in results[0]]
    print(f"[{backend}] empty start (floor): {summary(floor)} s, RSS {summary([r['start']['rss_mb'] for r in results[0]])} MB")
    for n in (groups // 10, groups):
        for phase in ("start", "restart"):
            rows = [r[phase] for r in results[n]]
            secs = [r["seconds"] for r in rows]
            print(f"[{backend}] {n:>6} groups {phase:>7}: {summary(secs)} s (x{statistics.median(secs) / max(statistics.median(floor), 1e-6):.0f} "
                  f"the empty start), statements {rows[0]['statements']}, writes {rows[0]['writes']}, "
                  f"jobs {rows[0]['jobs']}, posted {rows[0]['posted']}, reminded {rows[0]['reminded']}, "
                  f"RSS {summary([r['rss_mb'] for r in rows])} MB")
    big, small = results[groups], results[groups // 10]
    limit = TARGET_START[backend]
    for phase in ("start", "restart"):
        secs = statistics.median(r[phase]["seconds"] for r in big)
        met = secs <= limit
        ok &= met
        print(f"[{backend}] target {phase} <= {limit} s with {groups} groups: {'met' if met else 'NOT met'} ({secs:.2f} s)")
    constant = all(b[p]["statements"] == s[p]["statements"] for b, s in zip(big, small) for p in ("start", "restart"))
    writes = max(r[p]["writes"] for r in big for p in ("start", "restart"))
    rss = statistics.median(r["start"]["rss_mb"] for r in big)
    print(f"[{backend}] target constant statements ({groups // 10} vs {groups} groups): {'met' if constant else 'NOT met'}")
    print(f"[{backend}] target no writes on start: {'met' if writes == 0 else 'NOT met'} ({writes})")
    print(f"[{backend}] target RSS <= {TARGET_RSS_MB} MB with {groups} groups: {'met' if rss <= TARGET_RSS_MB else 'NOT met'} ({rss:.1f} MB)")
    return ok and constant and writes == 0 and rss <= TARGET_RSS_MB


# -- 1,000 digests at one time -------------------------------------------------------------------
class SlowChat:
    """A platform that takes 30 ms per message part; records nothing but counts."""

    platform = "slack"
    needs_channel = True
    round_trip = 0.03

    def __init__(self):
        self.in_flight = 0
        self.peak = 0

    async def _send(self, parts, names):
        async def post(index, name):
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            try:
                await asyncio.sleep(self.round_trip)
            finally:
                self.in_flight -= 1
            return f"ts:{parts.key}:{index}"
        return await parts.send(names, post)

    async def post_digest(self, team, digest, parts):
        return await self._send(parts, ["header"] + [e.member.display_name for e in digest.entries])

    async def post_late_update(self, team, refs, entry, parts):
        return await self._send(parts, ["late"])

    async def remind(self, team, member, meeting_local, parts):
        return await self._send(parts, ["dm"])

    async def tell(self, team, user_ref, text):
        pass


async def spread_once(url: str, groups: int, lead_s: float) -> dict:
    from sqlalchemy import select

    from bot.core.service import Core
    from bot.scheduling import Scheduler
    from bot.store import tables as t
    from bot.store.db import make_engine, upgrade
    from bot.store.ledger import Ledger
    from bot.store.repo import SqlRepository

    engine = make_engine(url)
    upgrade(engine)
    digest_at = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # a Monday; meeting at 10:00 UTC, digest 2 h before
    meeting = digest_at + timedelta(hours=2)
    created = digest_at - timedelta(days=1)  # no earlier digest to record as missed at start
    teams, members, recaps = [], [], []
    for i in range(1, groups + 1):
        teams.append(dict(id=i, workspace=f"slack:T{i % 50:05d}", name=f"g{i}", timezone="UTC", channel=f"C{i:06d}",
                          meeting_weekday=0, meeting_time="10:00", every_weeks=1, digest_lead_minutes=120,
                          reminder_lead_minutes=1440, admins="", created_at=created, updated_at=created))
        for k in range(3):
            mid = (i - 1) * 3 + k + 1
            members.append(dict(id=mid, team_id=i, user_ref=f"U{mid:06d}", display_name=f"M{k}", joined_at=created))
            recaps.append(dict(team_id=i, member_id=mid, meeting_at=meeting, progress=f"progress {mid}",
                               submitted_at=digest_at - timedelta(hours=3), updated_at=digest_at - timedelta(hours=3)))
    with engine.begin() as conn:
        for table, rows in ((t.teams, teams), (t.members, members), (t.recaps, recaps)):
            for k in range(0, len(rows), 5000):
                conn.execute(table.insert(), rows[k:k + 5000])
    # Reminders for everyone who wrote: nothing is missing, so only digests are due at digest_at.
    clock = ShiftedClock(digest_at - timedelta(seconds=lead_s) - datetime.now(UTC))
    core = Core.build(SqlRepository(engine), clock, default_timezone="UTC")
    chat = SlowChat()
    scheduler = Scheduler(core, {"slack": chat}, Ledger(engine), clock=clock, replica="spread")
    t0 = time.perf_counter()
    await scheduler.start()
    started = time.perf_counter() - t0
    deadline = time.monotonic() + lead_s + 120
    d = t.digest_posts
    posted: list[datetime] = []
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        with engine.connect() as conn:
            posted = list(conn.execute(select(d.c.posted_at).where(d.c.status == "posted")).scalars())
        if len(posted) >= groups:
            break
    await scheduler.stop()
    engine.dispose()
    delays = sorted((p - digest_at).total_seconds() for p in posted)
    return dict(start_s=started, posted=len(delays), first=delays[0] if delays else None,
                median=statistics.median(delays) if delays else None, last=delays[-1] if delays else None,
                peak_parts_in_flight=chat.peak)


def spread_bench(backend: str, tmp: Path, groups: int, reps: int) -> bool:
    lasts = []
    for rep in range(reps):
        db = Database(backend, tmp, f"spread{rep}")
        try:
            r = asyncio.run(spread_once(db.url, groups, lead_s=4.0))
        finally:
            db.close()
        print(f"[{backend}] {groups} digests due at once, run {rep + 1}: {r['posted']} posted, first +{r['first']:.2f} s, "
              f"median +{r['median']:.2f} s, last +{r['last']:.2f} s (start {r['start_s']:.2f} s, "
              f"{r['peak_parts_in_flight']} parts in flight at most)")
        lasts.append(r["last"] if r["posted"] == groups else float("inf"))
    met = statistics.median(lasts) <= TARGET_SPREAD_S
    print(f"[{backend}] target all {groups} within {TARGET_SPREAD_S:.0f} s: {'met' if met else 'NOT met'} "
          f"(last: {summary(lasts)} s)")
    return met


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="2,000 groups, 1 repetition, SQLite spread only")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--groups", type=int, default=10_000)
    parser.add_argument("--spread-groups", type=int, default=1_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child(args.child))))
        return 0
    if args.quick or os.environ.get("BENCH_QUICK"):
        args.groups, args.reps = min(args.groups, 2_000), 1
    backends = ["sqlite"] + (["postgresql"] if pg_url() else [])
    print(f"{datetime.now():%Y-%m-%d %H:%M}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          f"(a shared machine: figures are noisy); backends: {', '.join(backends)}")
    floors = [import_floor() for _ in range(args.reps)]
    print(f"import floor (sqlalchemy, apscheduler, bot core+scheduling+store): {summary(floors)} s")
    ok = True
    with tempfile.TemporaryDirectory(prefix="sched-scale-") as tmp:
        for backend in backends:
            ok &= start_bench(backend, Path(tmp), args.groups, args.reps)
        for backend in backends:
            ok &= spread_bench(backend, Path(tmp), args.spread_groups, args.reps)
    print("all targets met" if ok else "some targets NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
