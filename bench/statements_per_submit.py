"""SQL statements per Slack modal submission: what one "Submit" costs the database.

Runs the real Slack adapter through the Slack test harness (tests/slack: signed
requests, the fake Slack Web API on loopback) on a migrated SQLite database,
or PostgreSQL with `--database-url` (in a schema of its own, dropped after). It opens the recap modal with `/recap`,
then counts every statement (SQLAlchemy `before_cursor_execute`) from the
`view_submission` request until its work is done: the acknowledgement, the
private confirmation, and the App Home refresh that follows every submission.
Measured for a member's first submission of a cycle and for a replacement, and for one
`/recap status`.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "slack"))

import aiohttp  # noqa: E402
from fake_slack import FakeSlack  # noqa: E402
from slack_harness import ADMIN, ANN, T1, TOKEN1, Harness, configure_team, make_settings, recap_values, start, stop  # noqa: E402
from sqlalchemy import event  # noqa: E402

from bot.app import App  # noqa: E402
from bot.core.ports import SystemClock  # noqa: E402
from bot.core.service import Core  # noqa: E402
from bot.store.db import make_engine, upgrade  # noqa: E402
from bot.store.repo import SqlRepository  # noqa: E402
from pg_writes import pg_schema  # noqa: E402  (bench/ is this script's folder)


class Counter:
    def __init__(self, engine) -> None:
        self.statements: list[str] = []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements.append(" ".join(statement.split())[:100])


@contextmanager
def database(url: str | None):
    """A fresh, migrated database: a SQLite file, or a new PostgreSQL schema."""
    with tempfile.TemporaryDirectory() as tmp:
        if not url:
            engine = make_engine(f"sqlite:///{tmp}/bench.db")
            upgrade(engine)
            yield engine
            engine.dispose()
            return
        with pg_schema(url) as engine:
            yield engine


async def one_submission(harness: Harness, counter: Counter, progress: str) -> int:
    """The statements one modal submission by ANN executes, all its follow-ups included."""
    fake = harness.fake
    opened = len(fake.called("views.open"))
    await harness.command(ANN)
    view = (await fake.wait_for("views.open", count=opened + 1))[-1].args["view"]
    published, answered = len(fake.called("views.publish")), len(fake.responses)
    counter.statements.clear()
    status, body = await harness.submit(view, recap_values(progress=progress), ANN)
    assert status == 200 and body is None, (status, body)  # accepted: no inline errors
    await fake.wait_for("views.publish", count=published + 1)  # the App Home refresh
    await fake.wait_responses(answered + 1)                      # the private confirmation
    await asyncio.sleep(0.2)  # anything still in flight after both (there should be nothing)
    return len(counter.statements)


async def main(database_url: str | None, verbose: bool) -> int:
    fake = await FakeSlack().start()
    fake.add_team(T1, TOKEN1)
    fake.add_user(T1, ADMIN, "Ada", admin=True)
    fake.add_user(T1, ANN, "Ann", tz="America/New_York")
    with database(database_url) as engine:
        core = Core.build(SqlRepository(engine), SystemClock(), default_timezone="Europe/Berlin")
        configure_team(core)
        app = App(settings=make_settings(fake), engine=engine, core=core)
        adapter, task = await start(app)
        counter = Counter(engine)
        try:
            async with aiohttp.ClientSession() as session:
                harness = Harness(fake, adapter, app, session)
                await harness.command(ANN, "status")  # warm-up: Ann joins, her users.info is cached
                await fake.wait_responses(1)
                rows = []
                for label, progress in (("first of the cycle", "first version"), ("replacement", "second")):
                    rows.append((label, await one_submission(harness, counter, progress)))
                    if verbose:
                        print("\n".join("    " + s for s in counter.statements))
                counter.statements.clear()  # and one `/recap status` (bench/slack_load.py runs it under load)
                answered = len(fake.responses)
                await harness.command(ANN, "status")
                await fake.wait_responses(answered + 1)
                await asyncio.sleep(0.2)
                status = len(counter.statements)
                if verbose:
                    print("\n".join("    " + s for s in counter.statements))
        finally:
            await stop(task)
            await fake.stop()
    print(f"SQL statements per Slack modal submission ({engine.dialect.name})")
    for label, total in rows:
        print(f"  {label:<18} {total:3d}  (submission, confirmation and App Home refresh)")
    print(f"  {'/recap status':<18} {status:3d}  (the command and its answer)")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each statement")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.database_url, args.verbose)))
