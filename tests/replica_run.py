"""`recapbot run` with its clock shifted by REPLICA_CLOCK_SHIFT seconds (tests/test_replicas.py).

The process is composed exactly as `recapbot run` composes it (bot.app.build,
then the same runner), only with an injected clock, so that a test can put a
digest time a few seconds after the replicas are up instead of waiting for the
next whole minute. APScheduler counts system time; the scheduler already
converts (see Scheduler._plan).
"""
from __future__ import annotations

import logging
import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot import __main__ as cli  # noqa: E402
from bot import app as composition  # noqa: E402
from bot.config import load_settings  # noqa: E402


class ShiftedClock:
    def __init__(self, shift: timedelta):
        self.shift = shift

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self.shift


def main() -> int:
    settings = load_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    shift = timedelta(seconds=float(os.environ["REPLICA_CLOCK_SHIFT"]))
    return cli._run(composition.build(settings, clock=ShiftedClock(shift)))


if __name__ == "__main__":
    sys.exit(main())
