"""Which meeting is when: wall-clock schedules turned into UTC instants.

Meetings are wall-clock times in the team's zone, so every computation walks
local calendar dates and converts each one with zoneinfo. A time inside a
spring-forward gap moves to the first valid instant after the gap; a time in
an autumn fold happens once, at its first occurrence.
"""
from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from .model import Schedule

UTC = timezone.utc
_MAX_SEARCH_DAYS = 7 * 60  # far more than any skip list could push a meeting


def local_instant(day: date, schedule: Schedule) -> datetime:
    """The UTC instant of the meeting on a given local date (DST-safe)."""
    return _local_instant(day, schedule.at, schedule.timezone)


@lru_cache(maxsize=8192)  # a scheduler start asks for the same few weeks of every group's meetings
def _local_instant(day: date, at: time, timezone_name: str) -> datetime:
    zone = ZoneInfo(timezone_name)
    wall = datetime.combine(day, at)
    candidate = wall.replace(tzinfo=zone, fold=0)
    as_utc = candidate.astimezone(UTC)
    if as_utc.astimezone(zone).replace(tzinfo=None) == wall:
        return as_utc  # exists (in a fold, fold=0 is the first occurrence)
    # In a gap: the clocks jumped over this wall time. The gap ends at the
    # transition instant; find it between the two readings of the wall time.
    lo = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    hi = as_utc
    if lo > hi:
        lo, hi = hi, lo
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(zone).utcoffset() == lo.astimezone(zone).utcoffset():
            lo = mid
        else:
            hi = mid
    return hi.replace(microsecond=0)


def _anchor(schedule: Schedule) -> date:
    if schedule.anchor is not None:
        return schedule.anchor
    # A fixed reference week so that an unanchored biweekly team is stable.
    base = date(2024, 1, 1)  # a Monday
    return base + timedelta(days=schedule.weekday)


def is_meeting_date(day: date, schedule: Schedule) -> bool:
    if day.weekday() != schedule.weekday:
        return False
    weeks = (day - _anchor(schedule)).days // 7
    return weeks % schedule.every_weeks == 0


def _first_meeting_date_on_or_after(day: date, schedule: Schedule) -> date:
    day = day + timedelta(days=(schedule.weekday - day.weekday()) % 7)
    while not is_meeting_date(day, schedule):
        day += timedelta(days=7)
    return day


def next_meeting(
    schedule: Schedule, after: datetime, skipped: Collection[date] = ()
) -> datetime:
    """The first meeting strictly after `after` that is not skipped."""
    zone = ZoneInfo(schedule.timezone)
    day = after.astimezone(zone).date() - timedelta(days=1)
    day = _first_meeting_date_on_or_after(day, schedule)
    step = timedelta(days=7 * schedule.every_weeks)
    for _ in range(_MAX_SEARCH_DAYS):
        if day not in skipped:
            instant = local_instant(day, schedule)
            if instant > after:
                return instant
        day += step
    raise ValueError("no meeting found: every upcoming meeting is skipped")


def previous_meeting(
    schedule: Schedule, before: datetime, skipped: Collection[date] = ()
) -> datetime | None:
    """The last meeting strictly before `before` that is not skipped."""
    zone = ZoneInfo(schedule.timezone)
    day = _first_meeting_date_on_or_after(before.astimezone(zone).date() + timedelta(days=1), schedule)
    step = timedelta(days=7 * schedule.every_weeks)
    for _ in range(_MAX_SEARCH_DAYS):
        if day not in skipped:
            instant = local_instant(day, schedule)
            if instant < before:
                return instant
        day -= step
    return None


def meeting_local_date(meeting_at: datetime, schedule: Schedule) -> date:
    return meeting_at.astimezone(ZoneInfo(schedule.timezone)).date()


def digest_time(schedule: Schedule, meeting_at: datetime) -> datetime:
    return meeting_at - schedule.digest_lead


def reminder_time(schedule: Schedule, meeting_at: datetime) -> datetime:
    return meeting_at - schedule.digest_lead - schedule.reminder_lead


def meeting_on(day: date, schedule: Schedule) -> datetime | None:
    """The meeting held on a local date, or None if that date has no meeting."""
    if not is_meeting_date(day, schedule):
        return None
    return local_instant(day, schedule)
