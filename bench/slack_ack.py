"""Slack acknowledgement latency: 50 concurrent signed `/recap status` requests in HTTP mode.

Runs the real Slack adapter (Bolt, signature check, our listeners) on
127.0.0.1 against the fake Slack Web API from tests/slack, with a migrated
SQLite database. Each request is timed from send to Slack's 200 (the ack);
the work after the ack (users.info, the core, the private answer through
response_url) must also finish for every request. Target: ack p99 < 200 ms.
Loopback only; bounded in count and time.
"""
from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "slack"))

import aiohttp  # noqa: E402
from fake_slack import SIGNING_SECRET, FakeSlack, sign, slash_body  # noqa: E402

from bot.app import App  # noqa: E402
from bot.app import attach_slack as attach  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.model import Actor, Workspace  # noqa: E402
from bot.core.ports import SystemClock  # noqa: E402
from bot.core.service import Core  # noqa: E402
from bot.store.db import make_engine, upgrade  # noqa: E402
from bot.store.repo import SqlRepository  # noqa: E402
from bot.supervisor import Supervisor  # noqa: E402

TEAM, TOKEN = "T0BENCH", "xoxb-T0BENCH-bench"
CONCURRENT = 50
TARGET_P99_MS = 200.0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def main() -> int:
    fake = await FakeSlack().start()
    fake.add_team(TEAM, TOKEN)
    users = [f"U{i:04d}" for i in range(CONCURRENT + 1)]
    for i, user in enumerate(users):
        fake.add_user(TEAM, user, f"Member {i}", admin=i == 0)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        upgrade(engine)
        core = Core.build(SqlRepository(engine), SystemClock())
        core.teams.configure(Actor(Workspace("slack", TEAM), users[0], "Member 0", is_admin=True),
                             [("meeting", "Mon 10:00"), ("tz", "Europe/Berlin"), ("channel", "C0LAB")])
        settings = Settings(slack_bot_token=TOKEN, slack_signing_secret=SIGNING_SECRET, slack_api_url=fake.api_url,
                            http_host="127.0.0.1", http_port=0)
        app = App(settings=settings, engine=engine, core=core)
        adapter = attach(app)
        task = asyncio.create_task(Supervisor(app.health).run(app.runners))  # the HTTP server and Slack
        await asyncio.wait_for(adapter.started.wait(), 10)
        url = f"http://127.0.0.1:{adapter.port}/slack/events"
        try:
            async with aiohttp.ClientSession() as session:
                async def one(user: str) -> float:
                    body, _ = slash_body(fake, TEAM, user, "status")
                    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
                    start = time.perf_counter()
                    async with session.post(url, data=body.encode(), headers=headers) as resp:
                        await resp.read()
                        assert resp.status == 200, resp.status
                    return (time.perf_counter() - start) * 1000

                cold = await one(users[0])  # first request: Bolt's auth.test, connection set-up
                await fake.wait_responses(1, timeout=10)
                acks = await asyncio.wait_for(asyncio.gather(*(one(u) for u in users[1:])), 30)
                await fake.wait_responses(CONCURRENT + 1, timeout=30)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            engine.dispose()
            await fake.stop()
    p50, p99 = statistics.median(acks), percentile(acks, 99)
    answered = sum(1 for r in fake.responses if "Next meeting" in str(r))
    print(f"slack ack, {CONCURRENT} concurrent signed /recap status (HTTP mode, fake Web API on loopback)")
    print(f"  first request (cold): {cold:.1f} ms")
    print(f"  ack p50: {p50:.1f} ms   p99: {p99:.1f} ms   max: {max(acks):.1f} ms")
    print(f"  private answers delivered after the ack: {answered} of {CONCURRENT + 1}")
    ok = p99 < TARGET_P99_MS and answered == CONCURRENT + 1
    print(f"  target p99 < {TARGET_P99_MS:.0f} ms: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
