"""When a team's reminders and digests are due: pure time math, no I/O.

All instants come from bot.core.cycles, which turns the team's wall-clock
meeting time into UTC with zoneinfo (spring gaps move to the first valid
time, autumn folds happen once). The scheduler asks two questions of a team
at an instant: what is due now, and when to wake up next.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..core import cycles
from ..core.model import Team


@dataclass(frozen=True)
class Due:
    # Meetings whose digest time has passed, oldest first, within the lookback.
    digests: tuple[datetime, ...]
    # The coming meeting whose reminder window is open now, if any.
    reminder_meeting: datetime | None


def reminder_opens(team: Team, meeting_at: datetime, previous: datetime | None) -> datetime:
    """Reminders go out at the reminder time, but never before the previous meeting:
    until then a recap would count for that one."""
    at = cycles.reminder_time(team.schedule, meeting_at)
    return max(at, previous) if previous is not None else at


def due(team: Team, now: datetime, lookback: timedelta) -> Due:
    """What should have happened by `now` (the ledger says what actually did)."""
    return due_and_next(team, now, lookback)[0]


def next_wake(team: Team, now: datetime) -> datetime | None:
    """The first reminder or digest time strictly after `now`."""
    schedule = team.schedule
    if schedule is None:
        return None
    first = cycles.next_meeting(schedule, now, team.skipped)
    return _next_wake(team, now, first, cycles.previous_meeting(schedule, first, team.skipped))


def due_and_next(team: Team, now: datetime, lookback: timedelta) -> tuple[Due, datetime | None]:
    """`due` and `next_wake` at once, sharing the coming meeting (a start plans every team)."""
    schedule = team.schedule
    if schedule is None:
        return Due((), None), None
    digests = []
    meeting = cycles.next_meeting(schedule, now - lookback - schedule.digest_lead, team.skipped)
    while cycles.digest_time(schedule, meeting) <= now:
        if cycles.digest_time(schedule, meeting) > now - lookback:
            digests.append(meeting)
        meeting = cycles.next_meeting(schedule, meeting, team.skipped)
    # The first meeting after now: one whose digest is out already, or the one the loop stopped at.
    coming = next((m for m in digests if m > now), meeting)
    previous = cycles.previous_meeting(schedule, coming, team.skipped)
    reminder = None
    if reminder_opens(team, coming, previous) <= now < cycles.digest_time(schedule, coming):
        reminder = coming
    return Due(tuple(digests), reminder), _next_wake(team, now, coming, previous)


def _next_wake(team: Team, now: datetime, first: datetime, previous: datetime | None) -> datetime:
    schedule = team.schedule
    second = cycles.next_meeting(schedule, first, team.skipped)
    times = [
        reminder_opens(team, first, previous), cycles.digest_time(schedule, first),
        reminder_opens(team, second, first), cycles.digest_time(schedule, second),
    ]
    return min(at for at in times if at > now)
