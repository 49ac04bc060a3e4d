"""Reminders and digests before every meeting, posted exactly once (see scheduler.py)."""
from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from ..store.ledger import Ledger
from .posting import Report
from .scheduler import Scheduler, replica_id

if TYPE_CHECKING:
    from ..app import App

__all__ = ["Report", "Scheduler", "attach", "replica_id"]


def attach(app: "App") -> Scheduler:
    """Build the scheduler on the app's core and chats and register it as a runner."""
    scheduler = Scheduler(
        app.core, app.chats, Ledger(app.engine), clock=app.core.clock,
        catchup=timedelta(hours=app.settings.catchup_hours),
        retention=timedelta(days=app.settings.retention_days) if app.settings.retention_days else None,
    )
    scheduler.listen()
    app.runners.append(scheduler.serve)
    return scheduler
