"""Streaks: consecutive meetings with a recap.

A meeting the member was away for neither counts nor breaks the streak.
Each recap stores the streak it extended, and each membership the streak of its
latest recap (members.streak), so a digest reads one number per member, however
long the team's history is.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from . import cycles
from .model import Away, Member, Recap, Team
from .ports import Repository

_MAX_AWAY_WALK = 60  # meetings; a year of weekly absences is the most we allow anyway


def required_previous(team: Team, meeting_at: datetime, aways: Iterable[Away]) -> datetime | None:
    """The meeting whose recap keeps the streak alive: the last one before, skipping away meetings."""
    schedule = team.schedule
    if schedule is None:
        return None
    aways = list(aways)
    prev = cycles.previous_meeting(schedule, meeting_at, team.skipped)
    for _ in range(_MAX_AWAY_WALK):
        if prev is None:
            return None
        day = cycles.meeting_local_date(prev, schedule)
        if not any(a.covers(day) for a in aways):
            return prev
        prev = cycles.previous_meeting(schedule, prev, team.skipped)
    return prev


def streak_at_submit(repo: Repository, team: Team, member: Member, meeting_at: datetime,
                     previous: Recap | None) -> int:
    """The streak a new recap for `meeting_at` reaches; `previous` is the member's latest recap before it."""
    if previous is None or team.schedule is None:
        return 1
    just_before = cycles.previous_meeting(team.schedule, meeting_at, team.skipped)
    if just_before is None:
        return 1
    if previous.meeting_at >= just_before:  # written for the meeting right before: no away matters
        return previous.streak + 1
    aways = repo.member_aways(member.id, meeting_at.date() - timedelta(days=400))
    return live_streak(previous.streak, previous.meeting_at, required_previous(team, meeting_at, aways)) + 1


def member_streak(repo: Repository, team: Team, member: Member, meeting_at: datetime) -> int:
    """The streak a member who has not written for `meeting_at` carries into it."""
    recent = repo.latest_recap_before(member.id, meeting_at)
    if recent is None:
        return 0
    aways = repo.member_aways(member.id, meeting_at.date() - timedelta(days=400))
    return live_streak(recent.streak, recent.meeting_at, required_previous(team, meeting_at, aways))


def live_streak(streak: int, last: datetime | None, needed: datetime | None) -> int:
    """The streak going into a meeting not written for yet, from the latest recap before it
    (its `streak`, its meeting `last`) and the meeting that recap had to be for (`needed`)."""
    if last is None or needed is None or last < needed:
        return 0
    return streak
