"""Meeting times: weekly and biweekly, across both daylight-saving changes."""
from datetime import date, datetime, time, timedelta, timezone

import pytest

from bot.core import cycles
from bot.core.model import Schedule

UTC = timezone.utc


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


BERLIN_MON_10 = Schedule(weekday=0, at=time(10, 0), timezone="Europe/Berlin")
NY_SUN_0230 = Schedule(weekday=6, at=time(2, 30), timezone="America/New_York")
NY_SUN_0130 = Schedule(weekday=6, at=time(1, 30), timezone="America/New_York")


@pytest.mark.parametrize(
    "after, expected",
    [
        # Berlin spring forward on Sun 2026-03-29: 10:00 is 09:00 UTC before, 08:00 UTC after.
        (utc(2026, 3, 20), utc(2026, 3, 23, 9, 0)),
        (utc(2026, 3, 23, 9, 0), utc(2026, 3, 30, 8, 0)),
        # Berlin fall back on Sun 2026-10-25.
        (utc(2026, 10, 19, 8, 0), utc(2026, 10, 26, 9, 0)),
        (utc(2026, 10, 12, 12, 0), utc(2026, 10, 19, 8, 0)),
    ],
)
def test_berlin_weekly_meeting_keeps_wall_clock_time_across_dst(after, expected):
    meeting = cycles.next_meeting(BERLIN_MON_10, after)
    assert meeting == expected
    local = meeting.astimezone(cycles.ZoneInfo("Europe/Berlin"))
    assert (local.weekday(), local.hour, local.minute) == (0, 10, 0)


def test_new_york_meeting_in_spring_gap_moves_to_first_valid_time():
    # 2026-03-08 02:30 does not exist in New York: clocks jump 02:00 -> 03:00 EDT.
    meeting = cycles.next_meeting(NY_SUN_0230, utc(2026, 3, 2))
    assert meeting == utc(2026, 3, 8, 7, 0)  # 03:00 EDT
    assert meeting.astimezone(cycles.ZoneInfo("America/New_York")).strftime("%H:%M %Z") == "03:00 EDT"
    # The week after, 02:30 exists again.
    assert cycles.next_meeting(NY_SUN_0230, meeting) == utc(2026, 3, 15, 6, 30)


def test_new_york_meeting_in_autumn_fold_happens_once_at_first_occurrence():
    # 2026-11-01 01:30 happens twice (EDT, then EST); the meeting is the first one, once.
    first = cycles.next_meeting(NY_SUN_0130, utc(2026, 10, 26))
    assert first == utc(2026, 11, 1, 5, 30)
    second = cycles.next_meeting(NY_SUN_0130, first)
    assert second == utc(2026, 11, 8, 6, 30)  # 01:30 EST, one week later, not an hour later


def test_new_york_0230_on_autumn_change_is_unambiguous():
    assert cycles.next_meeting(NY_SUN_0230, utc(2026, 10, 26)) == utc(2026, 11, 1, 7, 30)


def test_digest_and_reminder_times_follow_the_leads_across_the_change():
    meeting = utc(2026, 3, 30, 8, 0)  # Mon 10:00 CEST, the day after the change
    assert cycles.digest_time(BERLIN_MON_10, meeting) == utc(2026, 3, 30, 6, 0)
    assert cycles.reminder_time(BERLIN_MON_10, meeting) == utc(2026, 3, 29, 6, 0)


def test_biweekly_meetings_follow_the_anchor():
    schedule = Schedule(weekday=0, at=time(10, 0), timezone="Europe/Berlin", every_weeks=2, anchor=date(2026, 11, 30))
    m1 = cycles.next_meeting(schedule, utc(2026, 11, 24))
    m2 = cycles.next_meeting(schedule, m1)
    assert m1 == utc(2026, 11, 30, 9, 0)
    assert m2 == utc(2026, 12, 14, 9, 0)
    assert cycles.previous_meeting(schedule, m1) == utc(2026, 11, 16, 9, 0)
    assert not cycles.is_meeting_date(date(2026, 12, 7), schedule)
    assert cycles.meeting_on(date(2026, 12, 7), schedule) is None


def test_biweekly_across_spring_change_in_new_york():
    schedule = Schedule(weekday=6, at=time(2, 30), timezone="America/New_York", every_weeks=2, anchor=date(2026, 2, 22))
    assert cycles.next_meeting(schedule, utc(2026, 3, 1)) == utc(2026, 3, 8, 7, 0)
    assert cycles.next_meeting(schedule, utc(2026, 3, 9)) == utc(2026, 3, 22, 6, 30)


def test_friday_submission_belongs_to_monday_meeting():
    friday_evening = utc(2026, 11, 27, 18, 0)
    assert cycles.next_meeting(BERLIN_MON_10, friday_evening) == utc(2026, 11, 30, 9, 0)


def test_skipped_meeting_is_passed_over_both_ways():
    skipped = {date(2026, 11, 30)}
    assert cycles.next_meeting(BERLIN_MON_10, utc(2026, 11, 24), skipped) == utc(2026, 12, 7, 9, 0)
    assert cycles.previous_meeting(BERLIN_MON_10, utc(2026, 12, 7, 9, 0), skipped) == utc(2026, 11, 23, 9, 0)


def test_a_meeting_instant_itself_belongs_to_the_next_cycle():
    meeting = utc(2026, 11, 23, 9, 0)
    assert cycles.next_meeting(BERLIN_MON_10, meeting) == meeting + timedelta(days=7)
    assert cycles.next_meeting(BERLIN_MON_10, meeting - timedelta(seconds=1)) == meeting
