"""Core benchmarks on SQLite: digest build+render time vs history, recap store rate, idle memory.

Run with `make bench` (or `.venv/bin/python bench/core_bench.py`). Figures go to bench/README.md.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select, update  # noqa: E402

from bot.core.model import Actor, RecapDraft, Workspace  # noqa: E402
from bot.core.service import Core  # noqa: E402
from bot.render.markdown import render_digest  # noqa: E402
from bot.store import tables as t  # noqa: E402
from bot.store.db import make_engine, upgrade  # noqa: E402
from bot.store.repo import SqlRepository  # noqa: E402

MEMBERS = 500
GROUPS, PER_GROUP = 20, 25  # one workspace holding 20 groups of 25 (each person in two groups)
QUICK = "--quick" in sys.argv or bool(os.environ.get("BENCH_QUICK"))
TEXT = "Some progress on the experiment, with a few numbers and a link. " * 6


class Clock:
    def __init__(self, now: datetime):
        self.value = now

    def now(self) -> datetime:
        return self.value


def new_core(path: Path, clock: Clock) -> tuple[Core, SqlRepository]:
    """The core, and its store for bulk-loading history behind its back."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    repo = SqlRepository(engine)
    return Core.build(repo, clock, default_timezone="Europe/Berlin"), repo


def actor(i: int) -> Actor:
    return Actor(workspace=Workspace("console", "bench"), user_ref=f"u{i}", display_name=f"member{i:03d}", is_admin=True)


def setup_team(core: Core):
    team = core.teams.configure(actor(0), [("meeting", "Mon 10:00"), ("tz", "Europe/Berlin")])
    for i in range(MEMBERS):
        core.teams.member_for(actor(i), team)
    return core.teams.get_team(team.id)


def seed_history(core: Core, repo: SqlRepository, team, cycles_back: int, memory: bool = True) -> None:
    """Bulk-insert past cycles (the store rate is measured separately, through the API), and each
    member's stored streak as submitting them would have left it. `memory`: with research memory's
    parts (plans in the history, milestones, group questions); without, the digest as before issue 10."""
    members = repo.list_members(team.id)
    now = core.clock.now()
    meeting = core.digests.participation(team, _next(core, team)).cycle.previous_meeting_at
    rows = []
    for k in range(cycles_back):
        at = meeting - timedelta(weeks=k)
        for m in members:
            rows.append(dict(team_id=team.id, member_id=m.id, meeting_at=at, question="Q", question_changed=False,
                             progress=TEXT, failures=TEXT, questions="Why?\nHow?" if memory else "",
                             plan=TEXT if memory else "", figuring_it_out=False,
                             late=False, streak=cycles_back - k, submitted_at=now, updated_at=now))
    engine = repo.engine
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert(t.recaps), rows[start:start + 5000])
        if "streak" in t.members.c:  # (so this file also runs on code before stored streaks, to compare)
            conn.execute(update(t.members).where(t.members.c.team_id == team.id)
                         .values(streak=cycles_back, streak_meeting_at=meeting))
    if memory:
        seed_memory(repo, team, members, meeting, now)


def seed_memory(repo: SqlRepository, team, members, last_meeting, now) -> None:
    """What research memory adds to a digest: every member's previous plan (in the history above),
    three open milestones (one past its date) and one reached this cycle, and two questions per recap
    of the whole history: answered, except those of the last three cycles, which are all carried into
    the coming agenda (1,000 a cycle: far more than a real group leaves open)."""
    milestones, questions = [], []
    for m in members:
        for n, days in enumerate((-3, 20, 60), 1):
            milestones.append(dict(member_id=m.id, number=n, title=f"Milestone {n} of {m.display_name}",
                                   due_date=(now + timedelta(days=days)).date(), created_at=now))
        milestones.append(dict(member_id=m.id, number=4, title="Reached", due_date=now.date(), created_at=now,
                               done_at=now))
    with repo.engine.begin() as conn:
        conn.execute(insert(t.milestones), milestones)
        recaps = conn.execute(select(t.recaps.c.id, t.recaps.c.meeting_at).where(t.recaps.c.team_id == team.id)).all()
        number = 0
        for recap_id, meeting_at in recaps:
            closed = None if meeting_at > last_meeting - timedelta(weeks=3) else now
            for position, text in enumerate(("Why?", "How?")):
                number += 1
                questions.append(dict(team_id=team.id, recap_id=recap_id, number=number, position=position,
                                      text=text, created_at=now, closed_at=closed))
        for start in range(0, len(questions), 5000):
            conn.execute(insert(t.group_questions), questions[start:start + 5000])


def _next(core: Core, team):
    from bot.core.teams import upcoming_cycle

    return upcoming_cycle(team, core.clock.now()).meeting_at


RUNS = 5 if QUICK else 15


def time_digest(core: Core, team, runs: int = RUNS) -> float:
    return digest_times(core, team, runs)[1]


def digest_times(core: Core, team, runs: int = RUNS) -> tuple[float, float]:
    """(min, median) ms of build + render, after one warm-up."""
    render_digest(core.upcoming_digest(team))
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        render_digest(core.upcoming_digest(team))
        samples.append(time.perf_counter() - start)
    return min(samples) * 1000, statistics.median(samples) * 1000


def digest_core(cycles_back: int, tmp: Path, memory: bool = True):
    """A 500-member team with `cycles_back` cycles of history, half of it written for the coming meeting."""
    clock = Clock(datetime(2026, 11, 18, 12, 0, tzinfo=timezone.utc))
    core, repo = new_core(tmp / f"h{cycles_back}{'m' if memory else ''}.db", clock)
    team = setup_team(core)
    seed_history(core, repo, team, cycles_back, memory)
    for i in range(0, MEMBERS, 2):  # half the team has written for the coming meeting
        core.recaps.submit(actor(i), RecapDraft(progress=TEXT, failures=TEXT, questions="One?\nTwo?",
                                                plan=TEXT if memory else ""))
    digest = core.upcoming_digest(team)
    carried = sum(1 for item in digest.agenda if item.carried_from)
    if memory:
        assert carried == MEMBERS * 2 * min(3, cycles_back)
        assert all(e.previous_plan and e.next_due for e in digest.entries)
    else:
        assert carried == 0 and not any(e.previous_plan or e.next_due for e in digest.entries)
    # Streaks carried from the stored number: those who have not written keep last week's.
    assert dict(digest.streaks)[f"member{1:03d}"] == cycles_back, digest.streaks[:3]
    return core, team


def digest_with_history(cycles_back: int, tmp: Path, memory: bool = True) -> tuple[float, float]:
    core, team = digest_core(cycles_back, tmp, memory)
    return digest_times(core, team)


def digest_in_twenty_groups(tmp: Path) -> tuple[float, float, float]:
    """A workspace with 20 groups (Mon..Fri, 25 members each, everyone in two groups, 10 cycles of
    history each): (median ms for one group's digest, ms for all 20, median ms to resolve which
    group a command in a group's channel means)."""
    from dataclasses import replace

    clock = Clock(datetime(2026, 11, 18, 12, 0, tzinfo=timezone.utc))
    core, repo = new_core(tmp / "groups.db", clock)
    days = ("Mon", "Tue", "Wed", "Thu", "Fri")
    teams = []
    for g in range(GROUPS):
        admin = replace(actor(0), channel=f"C{g:03d}", channel_name=f"group-{g:02d}")
        team = core.teams.configure(admin, [("meeting", f"{days[g % 5]} {9 + g // 5}:00"), ("tz", "Europe/Berlin")])
        for k in range(PER_GROUP):  # person i is in groups i // 25 and (i // 25 + 1) % 20
            core.teams.member_for(actor((g * PER_GROUP + k) % (GROUPS * PER_GROUP)), team)
            core.teams.member_for(actor(((g - 1) % GROUPS) * PER_GROUP + k), team)
        team = core.teams.get_team(team.id)
        seed_history(core, repo, team, 10)
        teams.append(team)
    for team in teams:  # half of each group has written for its coming meeting
        for m in repo.list_members(team.id)[::2]:
            core.recaps.submit(replace(actor(int(m.user_ref[1:])), group=str(team.id)),
                               RecapDraft(progress=TEXT, questions="One?"))
    one = time_digest(core, teams[7])
    start = time.perf_counter()
    for team in teams:
        render_digest(core.upcoming_digest(team))
    every = (time.perf_counter() - start) * 1000
    samples = []
    for i in range(50):
        who = replace(actor(i * 7 % (GROUPS * PER_GROUP)), channel=f"C{i % GROUPS:03d}")
        begin = time.perf_counter()
        core.groups.scope(who, need_member=False)
        samples.append(time.perf_counter() - begin)
    return one, every, statistics.median(samples) * 1000


def store_rate(tmp: Path) -> float:
    clock = Clock(datetime(2026, 11, 18, 12, 0, tzinfo=timezone.utc))
    core, _ = new_core(tmp / "rate.db", clock)
    setup_team(core)
    count = 0
    start = time.perf_counter()
    for rnd in range(2):  # a first submission and a replacement for every member
        for i in range(MEMBERS):
            core.recaps.submit(actor(i), RecapDraft(progress=f"{TEXT} {rnd}", questions="Why?"))
            count += 1
    return count / (time.perf_counter() - start)


def idle_rss(tmp: Path) -> float:
    """Resident memory of `recapbot run` (no tokens: console + scheduler) after it settles."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp / 'idle.db'}"
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=tmp)
    try:
        time.sleep(4)  # a benchmark, not a test: let start-up finish
        status = Path(f"/proc/{proc.pid}/status").read_text()
        kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
        return kb / 1024
    finally:
        proc.stdin.close()
        proc.wait(timeout=20)


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        h10 = digest_with_history(10, tmp)
        h104 = digest_with_history(104, tmp)
        bare10 = digest_with_history(10, tmp, memory=False)
        bare104 = digest_with_history(104, tmp, memory=False)
        rate = store_rate(tmp)
        g_one, g_all, g_scope = digest_in_twenty_groups(tmp)
        rss = idle_rss(tmp)
    for label, (low, mid) in (("10 cycles of history", h10), ("104 cycles of history", h104),
                              ("10 cycles, without research memory's parts", bare10),
                              ("104 cycles, without research memory's parts", bare104)):
        print(f"digest build+render, {MEMBERS} members, {label:44s}: {low:6.1f} / {mid:6.1f} ms "
              f"(min / median of {RUNS})")
    print(f"recaps stored through RecapService.submit: {rate:6.0f} per second")
    print(f"workspace of {GROUPS} groups x {PER_GROUP} members, 10 cycles each: one group's digest {g_one:5.1f} ms "
          f"(median of {RUNS}), all {GROUPS} digests {g_all:6.1f} ms, which group a command means {g_scope:4.2f} ms")
    print(f"recapbot run idle resident memory: {rss:6.1f} MB")
    ok = h104[1] <= 100 and h104[1] <= h10[1] * 1.25 and rate >= 300 and rss < 120 and g_one <= 100
    print("targets (<=100 ms, no slower with history, >=300/s, <120 MB):", "met" if ok else "NOT met")
    print("issue 12 target (digest without research memory's parts, 104 cycles, median <= 25 ms):",
          "met" if bare104[1] <= 25 else "NOT met")


if __name__ == "__main__":
    main()
