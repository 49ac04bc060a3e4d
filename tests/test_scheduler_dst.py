"""Reminder and digest times for weekly and biweekly teams around both daylight-saving changes."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.core.model import Schedule, Team
from bot.scheduling import plan
from tests.conftest import CONSOLE
from tests.test_scheduler import FakeChat, scheduler, setup_team

UTC = timezone.utc


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def team_with(schedule: Schedule) -> Team:
    return Team(id=1, workspace=CONSOLE, name="Lab", timezone=schedule.timezone, schedule=schedule)


def wakes(team: Team, start: datetime, count: int) -> list[datetime]:
    out, at = [], start
    for _ in range(count):
        at = plan.next_wake(team, at)
        out.append(at)
    return out


BERLIN_WEEKLY = Schedule(weekday=0, at=time(10, 0), timezone="Europe/Berlin")
BERLIN_BIWEEKLY = Schedule(weekday=0, at=time(10, 0), timezone="Europe/Berlin", every_weeks=2, anchor=date(2026, 3, 16))
BERLIN_BIWEEKLY_AUTUMN = Schedule(weekday=0, at=time(10, 0), timezone="Europe/Berlin", every_weeks=2,
                                  anchor=date(2026, 10, 12))
NY_WEEKLY_GAP = Schedule(weekday=6, at=time(2, 30), timezone="America/New_York")
NY_WEEKLY_FOLD = Schedule(weekday=6, at=time(1, 30), timezone="America/New_York")
NY_BIWEEKLY = Schedule(weekday=1, at=time(9, 0), timezone="America/New_York", every_weeks=2, anchor=date(2026, 10, 27))
NY_BIWEEKLY_SPRING = Schedule(weekday=1, at=time(9, 0), timezone="America/New_York", every_weeks=2,
                              anchor=date(2026, 3, 3))


@pytest.mark.parametrize("schedule, start, expected", [
    # Berlin springs forward on Sun 2026-03-29: Mon 10:00 is 09:00 UTC before, 08:00 UTC after.
    # Reminder (digest - 24 h), digest (meeting - 2 h), for Mar 23 then Mar 30.
    (BERLIN_WEEKLY, utc(2026, 3, 21), [utc(2026, 3, 22, 7), utc(2026, 3, 23, 7), utc(2026, 3, 29, 6), utc(2026, 3, 30, 6)]),
    # Berlin falls back on Sun 2026-10-25: 08:00 UTC before, 09:00 UTC after.
    (BERLIN_WEEKLY, utc(2026, 10, 17), [utc(2026, 10, 18, 6), utc(2026, 10, 19, 6), utc(2026, 10, 25, 7), utc(2026, 10, 26, 7)]),
    # Biweekly (Mar 16, Mar 30, Apr 13): nothing for Mar 23.
    (BERLIN_BIWEEKLY, utc(2026, 3, 17), [utc(2026, 3, 29, 6), utc(2026, 3, 30, 6), utc(2026, 4, 12, 6), utc(2026, 4, 13, 6)]),
    # Biweekly (Oct 12 CEST, Oct 26 CET, Nov 9) across the autumn change.
    (BERLIN_BIWEEKLY_AUTUMN, utc(2026, 10, 13), [utc(2026, 10, 25, 7), utc(2026, 10, 26, 7), utc(2026, 11, 8, 7), utc(2026, 11, 9, 7)]),
    # New York Sun 02:30 does not exist on 2026-03-08: the meeting is at 03:00 EDT (07:00 UTC).
    (NY_WEEKLY_GAP, utc(2026, 3, 2), [utc(2026, 3, 7, 5), utc(2026, 3, 8, 5), utc(2026, 3, 14, 4, 30), utc(2026, 3, 15, 4, 30)]),
    # New York Sun 01:30 happens twice on 2026-11-01: the meeting is the first one (05:30 UTC), once.
    (NY_WEEKLY_FOLD, utc(2026, 10, 26), [utc(2026, 10, 31, 3, 30), utc(2026, 11, 1, 3, 30), utc(2026, 11, 7, 4, 30), utc(2026, 11, 8, 4, 30)]),
    # Biweekly Tue 09:00 across the autumn change (Oct 27 EDT, Nov 10 EST) ...
    (NY_BIWEEKLY, utc(2026, 10, 28), [utc(2026, 11, 9, 12), utc(2026, 11, 10, 12), utc(2026, 11, 23, 12), utc(2026, 11, 24, 12)]),
    # ... and the spring change (Mar 3 EST, Mar 17 EDT).
    (NY_BIWEEKLY_SPRING, utc(2026, 3, 4), [utc(2026, 3, 16, 11), utc(2026, 3, 17, 11), utc(2026, 3, 30, 11), utc(2026, 3, 31, 11)]),
])
def test_reminder_and_digest_times_around_dst(schedule, start, expected):
    team = team_with(schedule)
    times = wakes(team, start, 4)
    assert times == expected
    # The digest keeps its wall-clock distance from the meeting, whatever the offset did.
    zone = ZoneInfo(schedule.timezone)
    for digest_at in times[1::2]:
        meeting_local = (digest_at + schedule.digest_lead).astimezone(zone)
        assert meeting_local.weekday() == schedule.weekday


@pytest.mark.parametrize("tz, meeting, day, first_run", [
    ("America/New_York", '"Sun 01:30"', "2026-11-01", utc(2026, 10, 31, 3, 30)),  # autumn fold
    ("Europe/Berlin", '"Sun 02:30"', "2026-03-29", utc(2026, 3, 27, 23)),       # spring gap
])
async def test_a_meeting_at_a_dst_change_gets_one_digest(core, engine, clock, tz, meeting, day, first_run):
    clock.set(first_run - timedelta(days=6))
    team = setup_team(core, meeting=meeting, tz=tz)
    chat = FakeChat()
    s = scheduler(core, engine, chat, clock)
    # Follow the scheduler's own wake-ups through the change, and poke it every 30 minutes on top.
    at, stop = first_run - timedelta(seconds=1), first_run + timedelta(days=3)
    while at < stop:
        clock.set(at)
        await s.run_due()
        at = min(at + timedelta(minutes=30), s.wake_time(team.id))
    assert [n for n, _ in chat.reminders] == ["alice"]
    assert [f"{m:%Y-%m-%d}" for _, m, _ in chat.digests] == [day]
    meeting_local = chat.digests[0][1]
    if tz == "Europe/Berlin":
        assert f"{meeting_local:%H:%M %Z}" == "03:00 CEST"  # moved to the first valid time after the gap
    else:
        assert f"{meeting_local:%H:%M %Z}" == "01:30 EDT"   # the first of the two 01:30s
