"""Which groups have something to do now: every group at once, in memory, no I/O.

A start (or a wake-up for many groups) reads the ledger once for all of them
(store.ledger: digest statuses, unthreaded recap versions, members' reminders)
and decides here which groups have work: a digest due and not settled, a
posted digest with a recap version to thread, a reminder not sent. Only those
go through posting.py, which claims and re-checks everything one by one; the
rest are only planned. So a restart with nothing due writes nothing and runs
the same few queries with 10 or 10,000 groups. This is a filter, never the
decision: a group it lets through may turn out to have nothing to do.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from ..core import cycles
from ..core.model import Team
from ..store.ledger import CLAIMED, POSTED, MemberReminders
from .plan import Due


@dataclass(frozen=True)
class LedgerView:
    digests: dict[tuple[int, datetime], str]   # (team id, meeting) -> digest row status
    unthreaded: set[tuple[int, datetime]]      # posted digests with a recap version still to thread
    members: dict[int, list[MemberReminders]]  # team id -> its current members (when reminders are due)
    aways: dict[int, list[tuple[date, date]]]  # member id -> away periods not over


def by_team(members: Iterable[MemberReminders]) -> dict[int, list[MemberReminders]]:
    teams: dict[int, list[MemberReminders]] = {}
    for member in members:
        teams.setdefault(member.team_id, []).append(member)
    return teams


def digest_work(team: Team, meeting_at: datetime, view: LedgerView) -> bool:
    status = view.digests.get((team.id, meeting_at))
    if status is None or status == CLAIMED:
        return True  # to claim, record as missed, or watch (its claimer may have died)
    return status == POSTED and (team.id, meeting_at) in view.unthreaded


def reminder_work(team: Team, meeting_at: datetime, view: LedgerView) -> bool:
    """True when a member expected at the meeting wrote nothing, is not away and was not
    reminded for good (what DigestService.participation and Poster.reminders decide one by one)."""
    if (team.id, meeting_at) in view.digests:
        return False  # the digest is out or going out: no reminders
    day = cycles.meeting_local_date(meeting_at, team.schedule)
    for member in view.members.get(team.id, ()):
        if member.joined_at > meeting_at or (member.left_at is not None and member.left_at <= meeting_at):
            continue
        if meeting_at in member.wrote or member.reminders.get(meeting_at):
            continue
        if any(start <= day <= end for start, end in view.aways.get(member.member_id, ())):
            continue
        return True
    return False


def has_work(team: Team, due: Due, view: LedgerView) -> bool:
    if any(digest_work(team, meeting, view) for meeting in due.digests):
        return True
    return due.reminder_meeting is not None and reminder_work(team, due.reminder_meeting, view)
