"""Reminders and digests before every meeting, posted exactly once (see scheduler.py)."""
from __future__ import annotations

from .posting import Report
from .scheduler import Scheduler, replica_id

__all__ = ["Report", "Scheduler", "replica_id"]
