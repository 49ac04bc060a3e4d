"""Recap writes on PostgreSQL: submissions per second through the core, 1 and 4 writers.

Each submission is `Core.submit_recap` (the one submit path every adapter calls) of a
member's first recap of a cycle (progress, a failure, a plan and one question for the
group), with last week's recap before it so its streak is worked out. Writers are
threads, as the adapters call the core through `asyncio.to_thread`; each writer submits
for its own group (4 groups of MEMBERS members in one workspace), so writers do not
queue on one group's question numbers. Each repetition moves the clock a week on.

The floor, in the same run: a bare loop that INSERTs the same recap rows through
SQLAlchemy, one transaction per row, on one connection per writer. The ratio says how
much of a submission is the core's work and round trips on top of storing the row.

Also counted over the timed submissions: SQL statements (cursor executions; BEGIN
and COMMIT are not cursor executions) and pool checkouts per recap.

Database: --database-url, else BENCH_DATABASE_URL, else TEST_DATABASE_URL (a
postgresql+psycopg URL); a throw-away schema is created and dropped.
`--quick` (or BENCH_QUICK=1): fewer submissions and 3 repetitions.
Targets (issue 12): >= 300 recaps/s with one writer, >= 600/s with 4.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, insert, text  # noqa: E402

from bot.core.model import Actor, RecapDraft, Workspace  # noqa: E402
from bot.core.replies import TextReply  # noqa: E402
from bot.core.service import Core  # noqa: E402
from bot.store import tables as t  # noqa: E402
from bot.store.db import make_engine, upgrade  # noqa: E402
from bot.store.repo import SqlRepository  # noqa: E402

GROUPS = 4
TEXT = "Ran the second batch of assays; numbers in the lab book, two outliers to look at. " * 3


class Clock:
    def __init__(self, now: datetime):
        self.value = now

    def now(self) -> datetime:
        return self.value


class Counts:
    """Statements and pool checkouts on an engine while `on` is set."""

    def __init__(self, engine) -> None:
        self.on = False
        self.statements = self.checkouts = 0
        self._lock = threading.Lock()
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine.pool, "checkout", self._checkout)

    def _statement(self, *_args) -> None:
        if self.on:
            with self._lock:
                self.statements += 1

    def _checkout(self, *_args) -> None:
        if self.on:
            with self._lock:
                self.checkouts += 1

    def reset(self) -> None:
        self.statements = self.checkouts = 0


@contextmanager
def pg_schema(url: str):
    """A fresh, migrated schema of its own on the server, dropped afterwards."""
    schema = "bench_" + uuid.uuid4().hex[:12]
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}")
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def person(i: int, group: int | None = None) -> Actor:
    who = Actor(workspace=Workspace("console", "bench"), user_ref=f"u{i}", display_name=f"member{i:04d}",
                is_admin=True)
    return replace(who, group=str(group)) if group is not None else who


def setup(core: Core, members: int) -> list[list[Actor]]:
    """GROUPS groups of `members` people each (meeting Mondays 10:00 Berlin): each one's actors."""
    groups = []
    for g in range(GROUPS):
        admin = replace(person(0), channel=f"C{g}", channel_name=f"group-{g}")
        team = core.teams.configure(admin, [("meeting", "Mon 10:00"), ("tz", "Europe/Berlin")])
        actors = [person(g * members + k, team.id) for k in range(members)]
        for who in actors:
            core.teams.member_for(who, team)
        groups.append(actors)
    return groups


DRAFT = RecapDraft(progress=TEXT, failures="The plate reader timed out twice.", questions="Who has spare tips?",
                   plan="Repeat with fresh buffer.")


def timed_writers(write, batches: list) -> float:
    """`write(batch)` in one thread per batch, all let go at once; the seconds until the last
    is done. A writer's error is raised here (a failed writer must not look fast)."""
    errors: list[BaseException] = []
    start_line = threading.Barrier(len(batches) + 1)

    def writer(batch) -> None:
        start_line.wait()
        try:
            write(batch)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    start_line.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - began
    if errors:
        raise errors[0]
    return took


def submit_all(core: Core, groups: list[list[Actor]], writers: int) -> float:
    """Every member submits once, by `writers` threads; the seconds it took."""
    work = [[who for actors in groups for who in actors]] if writers == 1 else groups[:writers]

    def submit(actors: list[Actor]) -> None:
        for who in actors:
            reply = core.submit_recap(who, DRAFT)
            assert isinstance(reply, TextReply) and reply.ok, reply

    return timed_writers(submit, work)


def floor(engine, rows_per_writer: list[list[dict]]) -> float:
    """The same recap rows INSERTed bare, one transaction each, one connection per writer
    (connected before the clock starts, as the core's pool is warm)."""
    connections = [engine.connect() for _ in rows_per_writer]

    def insert_rows(batch: tuple) -> None:
        conn, rows = batch
        for row in rows:
            conn.execute(insert(t.recaps).values(**row))
            conn.commit()

    try:
        return timed_writers(insert_rows, list(zip(connections, rows_per_writer)))
    finally:
        for conn in connections:
            conn.close()


def floor_rows(engine, writers: int, n: int, at: datetime) -> list[list[dict]]:
    """Rows like the submissions' (for members of the groups, at a meeting nobody uses)."""
    with engine.connect() as conn:
        members = conn.execute(text("SELECT id, team_id FROM members ORDER BY team_id, id")).all()
    rows = [dict(team_id=team_id, member_id=member_id, meeting_at=at, question="", question_changed=False,
                 progress=DRAFT.progress, failures=DRAFT.failures, questions=DRAFT.questions, plan=DRAFT.plan,
                 figuring_it_out=False, late=False, streak=1, submitted_at=at, updated_at=at)
            for member_id, team_id in members[:n]]
    if writers == 1:
        return [rows]
    by_team: dict[int, list[dict]] = {}
    for row in rows:
        by_team.setdefault(row["team_id"], []).append(row)
    return list(by_team.values())[:writers]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL")
                        or os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--quick", action="store_true", default=bool(os.environ.get("BENCH_QUICK")))
    args = parser.parse_args()
    if not args.database_url or not args.database_url.startswith("postgresql"):
        print("pg_writes: skipped (set BENCH_DATABASE_URL or TEST_DATABASE_URL to a PostgreSQL URL)")
        return 0
    members = 50 if args.quick else 100  # per group: GROUPS x members submissions per repetition
    reps = 3 if args.quick else 5
    clock = Clock(datetime(2026, 11, 18, 12, 0, tzinfo=timezone.utc))
    results: dict[str, list[float]] = {}
    per_recap: dict[int, tuple[float, float]] = {}
    with pg_schema(args.database_url) as engine:
        core = Core.build(SqlRepository(engine), clock, default_timezone="Europe/Berlin")
        groups = setup(core, members)
        total = GROUPS * members
        counts = Counts(engine)
        submit_all(core, groups, 1)  # warm-up: everyone has last week's recap, so streaks are worked out
        for rep in range(reps):
            for writers in (1, 4):
                clock.value += timedelta(weeks=1)  # a new cycle: every submission is a first one
                counts.reset()
                counts.on = True
                took = submit_all(core, groups, writers)
                counts.on = False
                results.setdefault(f"core {writers}", []).append(total / took)
                per_recap[writers] = (counts.statements / total, counts.checkouts / total)
                far = datetime(2030, 1, 7, 9, tzinfo=timezone.utc) + timedelta(weeks=rep * 2 + writers)
                took = floor(engine, floor_rows(engine, writers, total, far))
                results.setdefault(f"floor {writers}", []).append(total / took)
    print(f"Recap writes on PostgreSQL ({total} first submissions per repetition, {reps} repetitions; "
          f"recaps per second, min / median)")
    ok = True
    for writers, target in ((1, 300), (4, 600)):
        core_rates, floor_rates = results[f"core {writers}"], results[f"floor {writers}"]
        median = statistics.median(core_rates)
        ok = ok and median >= target
        statements, checkouts = per_recap[writers]
        print(f"  {writers} writer{'s' if writers > 1 else ' '}: Core.submit_recap {min(core_rates):7.0f} / {median:7.0f}"
              f"   bare INSERT floor {min(floor_rates):7.0f} / {statistics.median(floor_rates):7.0f}"
              f"   ratio {median / statistics.median(floor_rates):4.2f}"
              f"   {statements:4.1f} statements, {checkouts:3.1f} checkouts per recap   (target >= {target}/s)")
    print("targets (>= 300/s with 1 writer, >= 600/s with 4):", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
