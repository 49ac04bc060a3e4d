"""Streaks: consecutive meetings with a recap.

A meeting the member was away for neither counts nor breaks the streak.
Each recap stores the streak it extended, so a digest needs only the most
recent cycle's recaps, however long the team's history is.
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


def streak_at_submit(repo: Repository, team: Team, member: Member, meeting_at: datetime) -> int:
    """The streak a new recap for `meeting_at` reaches."""
    since = meeting_at.date() - timedelta(days=400)
    needed = required_previous(team, meeting_at, repo.member_aways(member.id, since))
    if needed is None:
        return 1
    last = repo.latest_recap_before(member.id, meeting_at, not_before=needed)
    return last.streak + 1 if last else 1


def member_streak(repo: Repository, team: Team, member: Member, meeting_at: datetime) -> int:
    """A member's streak at a meeting: their recap's, or the one carried in if they have not written."""
    mine = repo.get_recap(member.id, meeting_at)
    if mine is not None:
        return mine.streak
    aways = repo.member_aways(member.id, meeting_at.date() - timedelta(days=400))
    return live_streak(repo.latest_recap_before(member.id, meeting_at), required_previous(team, meeting_at, aways))


def live_streak(recent: Recap | None, needed: datetime | None) -> int:
    """A member's streak going into a meeting they have not written for yet."""
    if recent is None or needed is None or recent.meeting_at < needed:
        return 0
    return recent.streak
