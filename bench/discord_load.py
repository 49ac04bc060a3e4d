"""Discord interaction load: 200 interactions in 10 s, each answered within Discord's 3 s?

Two bot processes, each against its own fake Discord API (tests/discord/fake_discord_api.py)
on loopback: `recapbot run` (SQLite file, one group of 50 members; see bench/_discord_bot.py)
and the floor, a bare discord.py client whose commands only answer. Each repetition sends
200 INTERACTION_CREATE over the fake gateway at an even pace over 10 s (open loop: nothing
waits for an answer before sending the next) to the floor, then to recapbot. The mix, per 10:
4 `/recap status`, 1 `help`, 1 `groups`, 1 `question` (shows the current one), 3 `submit`
(opens the recap form: a modal, which must be the first answer, so it cannot defer).

Measured: the time from sending an interaction to the fake receiving its first answer
(callback type 4 message, 5 deferred, 9 modal), and for deferred ones the time to the
follow-up that carries the answer. Target: every first answer within 3 s in every repetition.
--quick: 100 interactions in 5 s. --database URL: a scratch database instead of SQLite.
--count N --seconds S: another load (--seconds 0 sends them all at once: where the wall is).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "discord"))

from discord_fakes import APPLICATION_COMMAND, CHANNEL, GUILD, command, interaction  # noqa: E402
from fake_discord_api import FakeDiscord  # noqa: E402

from bot.core.commands import CommandHandler  # noqa: E402
from bot.core.model import Actor, Workspace  # noqa: E402
from bot.core.ports import SystemClock  # noqa: E402
from bot.core.service import Core  # noqa: E402
from bot.core.texts import SOMETHING_WENT_WRONG  # noqa: E402
from bot.store.db import make_engine, upgrade  # noqa: E402
from bot.store.repo import SqlRepository  # noqa: E402

MEMBERS = 50
MIX = ("status", "submit", "status", "help", "submit", "status", "groups", "question", "status", "submit")
WINDOW_MS = 3000.0  # Discord drops an interaction not answered within 3 s
TOKEN = "bench-token"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def user(i: int) -> tuple[int, str]:
    return 100000000000000001 + i, f"Member{i}"


def populate(url: str) -> None:
    """One group in the fake server's channel, set up by its admin, with MEMBERS members."""
    engine = make_engine(url)
    upgrade(engine)
    core = Core.build(SqlRepository(engine), SystemClock())
    handler = CommandHandler(core)
    where = dict(workspace=Workspace("discord", str(GUILD)), channel=f"<#{CHANNEL}>", channel_name="lab")
    admin_id, admin_name = user(0)
    admin = Actor(user_ref=str(admin_id), display_name=admin_name, is_admin=True, **where)
    core.teams.configure(admin, [("meeting", "Mon 10:00"), ("tz", "Europe/Berlin"), ("channel", f"<#{CHANNEL}>")])
    for i in range(MEMBERS):
        uid, name = user(i)
        handler.run(Actor(user_ref=str(uid), display_name=name, **where), "join", [])
    engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def start_bot(kind: str, database_url: str, log: Path) -> tuple[FakeDiscord, subprocess.Popen]:
    fake = FakeDiscord()
    fake.guilds = [str(GUILD)]
    await fake.start()
    env = dict(os.environ, BENCH_DISCORD_API=fake.base, BENCH_DISCORD_GATEWAY=fake.gateway_url, DISCORD_TOKEN=TOKEN,
               DISCORD_GUILD_IDS=str(GUILD), DATABASE_URL=database_url, RECAPBOT_HTTP_HOST="127.0.0.1",
               RECAPBOT_HTTP_PORT=str(free_port()), RECAPBOT_CATCHUP_HOURS="0")
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "DISCORD_SHARD_COUNT", "DISCORD_SHARD_IDS",
                 "RECAPBOT_DISCORD"):
        env.pop(name, None)
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "_discord_bot.py"),
                             "bare" if kind == "floor" else kind], env=env, cwd=ROOT,
                            stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        await asyncio.wait_for(fake.connected(), 60)
    except asyncio.TimeoutError:
        proc.kill()
        raise SystemExit(f"{kind} did not connect to the fake gateway; see {log}") from None
    return fake, proc


def payload(n: int) -> dict:
    uid, name = user(n % MEMBERS)
    return interaction(APPLICATION_COMMAND, command(MIX[n % len(MIX)]), user_id=uid, name=name)


async def load(fake: FakeDiscord, count: int, seconds: float) -> dict:
    """Send `count` interactions evenly over `seconds`; wait (up to 20 s after) for their answers."""
    fake.exchanges.clear()
    start = time.perf_counter()
    exchanges = []
    for n in range(count):
        delay = start + n * seconds / count - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        exchanges.append(fake.deliver(payload(n)))
    deadline = time.perf_counter() + 20

    def done(e) -> bool:
        return e.answered_at is not None and (e.response_type != 5 or e.followup_at)

    while time.perf_counter() < deadline and not all(done(e) for e in exchanges):
        await asyncio.sleep(0.05)
    first = [(e.answered_at - e.sent_at) * 1000 for e in exchanges if e.answered_at is not None]
    full = [((e.followup_at[0] if e.response_type == 5 else e.answered_at) - e.sent_at) * 1000
            for e in exchanges if done(e)]
    kinds: dict[int | None, int] = {}
    for e in exchanges:
        kinds[e.response_type] = kinds.get(e.response_type, 0) + 1
    failed = sum(1 for e in exchanges if SOMETHING_WENT_WRONG in e.texts())
    return {"first": first, "full": full, "count": count, "kinds": kinds, "rejected": len(fake.rejected) + failed,
            "late": sum(1 for ms in first if ms > WINDOW_MS) + count - len(first)}


def line(name: str, r: dict) -> str:
    f, full = r["first"], r["full"]
    text = (f"  {name:9} first answer p50 {statistics.median(f):7.1f} ms  p99 {percentile(f, 99):7.1f}  "
            f"max {max(f):7.1f}  | answered {len(f)}/{r['count']}, over 3 s: {r['late']}, "
            f"errors {r['rejected']}")
    if full:
        text += f"  | full answer p99 {percentile(full, 99):7.1f} ms, {len(full)}/{r['count']} delivered"
    return text + f"  types {dict(sorted((k or 0, v) for k, v in r['kinds'].items()))}"


async def main() -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--quick", action="store_true", help="100 interactions in 5 s instead of 200 in 10 s")
    args.add_argument("--repetitions", type=int, default=3)
    args.add_argument("--database", help="a scratch database URL (default: a SQLite file in a temp dir)")
    args.add_argument("--count", type=int, help="interactions per repetition (default 200; 100 with --quick)")
    args.add_argument("--seconds", type=float, help="spread over this many seconds (default 10; 0: all at once)")
    opts = args.parse_args()
    count, seconds = (100, 5.0) if opts.quick or os.environ.get("BENCH_QUICK") else (200, 10.0)
    count = opts.count or count
    seconds = seconds if opts.seconds is None else opts.seconds
    with tempfile.TemporaryDirectory() as tmp:
        url = opts.database or f"sqlite:///{tmp}/bench.db"
        populate(url)
        bots = {kind: await start_bot(kind, url, Path(tmp) / f"{kind}.log") for kind in ("floor", "recapbot")}
        runs: dict[str, list[dict]] = {kind: [] for kind in bots}
        try:
            for kind, (fake, _) in bots.items():  # warm-up: first use of each command, connections
                for n in range(len(MIX)):
                    await fake.interact(payload(n), timeout=30)
            print(f"discord interactions: {count} in {seconds:.0f} s per repetition, {MEMBERS} members, "
                  f"fake Discord API on loopback, {'PostgreSQL' if url.startswith('postgresql') else 'SQLite'}")
            for rep in range(opts.repetitions):
                print(f" repetition {rep + 1}")
                for kind, (fake, _) in bots.items():
                    runs[kind].append(result := await load(fake, count, seconds))
                    print(line(kind, result), flush=True)
        finally:
            for fake, proc in bots.values():
                proc.terminate()
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                await fake.stop()
            if any(proc.returncode not in (0, -15) for _, proc in bots.values()):
                print((Path(tmp) / "recapbot.log").read_text()[-3000:])
    print(" over the repetitions (min / median):")
    for kind, results in runs.items():
        for label, fn in (("p50", statistics.median), ("p99", lambda v: percentile(v, 99)), ("max", max)):
            values = [fn(r["first"]) for r in results]
            print(f"  {kind:9} first answer {label}: {min(values):7.1f} / {statistics.median(values):7.1f} ms")
    floor_p99 = statistics.median(percentile(r["first"], 99) for r in runs["floor"])
    ours_p99 = statistics.median(percentile(r["first"], 99) for r in runs["recapbot"])
    print(f"  recapbot p99 / floor p99 (medians): {ours_p99 / floor_p99:.1f}x")
    ok = all(r["late"] == 0 and r["rejected"] == 0 and len(r["full"]) == r["count"] for r in runs["recapbot"])
    print(f"  target: all {count} answered within 3 s in every repetition, every answer delivered: "
          f"{'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
