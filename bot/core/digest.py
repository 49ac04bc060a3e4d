"""Build one meeting's digest (platform-neutral) and the status report before it.

The cost is bounded by the team's size, not its history: one cycle's recaps,
the recaps of the cycle before (for streaks), and the current away periods.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from . import cycles
from .model import AgendaItem, Away, AwayNote, Cycle, Digest, DigestEntry, Figure, Member, Recap, Team
from .ports import Clock, Repository
from .streaks import live_streak, required_previous
from .teams import cycle_for_meeting, require_schedule

_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+")


def agenda_items(text: str) -> list[str]:
    """One agenda item per non-empty line, list markers removed."""
    items = []
    for line in text.splitlines():
        item = _BULLET.sub("", line).strip()
        if item:
            items.append(item)
    return items


def _order(member: Member) -> tuple[str, int]:
    return (member.display_name.casefold(), member.id)


@dataclass(frozen=True)
class Participation:
    """Who wrote, who has not, who is away: shared by the digest and /recap status."""

    cycle: Cycle
    members: list[Member]
    recaps: dict[int, Recap]
    away: dict[int, Away]
    expected: list[Member]
    missing: list[Member]


@dataclass
class DigestBuilder:
    _repo: Repository
    clock: Clock
    # Where a chat platform fetches a figure from (a signed link, core/deck.py); None: no figures.
    figure_url: Callable[[Figure], str] | None = None

    def participation(self, team: Team, meeting_at: datetime) -> Participation:
        schedule = require_schedule(team)
        cycle = cycle_for_meeting(team, meeting_at)
        day = cycles.meeting_local_date(meeting_at, schedule)
        recaps = {r.member_id: r for r in self._repo.recaps_for_meeting(team.id, meeting_at)}
        members = sorted(  # members at that meeting: joined before it and not left by then (or who wrote)
            (m for m in self._repo.list_members(team.id)
             if (m.joined_at <= meeting_at and (m.left_at is None or m.left_at > meeting_at)) or m.id in recaps),
            key=_order,
        )
        away = {}
        for a in self._repo.team_aways(team.id, day):
            if a.covers(day) and a.member_id not in away:
                away[a.member_id] = a
        expected = [m for m in members if m.id in recaps or m.id not in away]
        missing = [m for m in expected if m.id not in recaps]
        return Participation(cycle, members, recaps, away, expected, missing)

    def build(self, team: Team, meeting_at: datetime) -> Digest:
        part = self.participation(team, meeting_at)
        zone = ZoneInfo(team.timezone)

        streaks = self._streaks(team, part, meeting_at)
        entries = self.entries([(m, part.recaps[m.id]) for m in part.members if m.id in part.recaps])
        agenda = tuple(
            AgendaItem(asker=e.member.display_name, text=item)
            for e in entries
            for item in agenda_items(e.recap.questions)
        )
        away_notes = tuple(
            AwayNote(name=m.display_name, until=part.away[m.id].until, reason=part.away[m.id].reason)
            for m in part.members
            if m.id in part.away and m.id not in part.recaps
        )
        streak_list = tuple(
            sorted(
                ((m.display_name, streaks.get(m.id, 0)) for m in part.expected),
                key=lambda pair: (-pair[1], pair[0].casefold()),
            )
        )
        return Digest(
            team_name=team.name,
            timezone=team.timezone,
            meeting_local=meeting_at.astimezone(zone),
            north_star=team.north_star,
            entries=entries,
            agenda=agenda,
            missing=tuple(m.display_name for m in part.missing),
            away=away_notes,
            streaks=streak_list,
            submitted=len(part.recaps),
            expected=len(part.expected),
            generated_at=self.clock.now(),
        )

    def entries(self, pairs: list[tuple[Member, Recap]]) -> tuple[DigestEntry, ...]:
        """Digest entries with each recap's figures, linked for the platform to fetch."""
        figures = self._repo.figures_for([recap.id for _, recap in pairs]) if pairs and self.figure_url else {}
        url = self.figure_url
        return tuple(
            DigestEntry(member, recap, tuple(replace(f, url=url(f)) for f in figures.get(recap.id, ())))
            for member, recap in pairs
        )

    def _streaks(self, team: Team, part: Participation, meeting_at: datetime) -> dict[int, int]:
        """Streak per member: stored on this cycle's recap, else carried from the last one."""
        streaks = {mid: r.streak for mid, r in part.recaps.items()}
        if meeting_at <= self.clock.now():
            return streaks  # a past meeting without a recap broke the streak
        pending = [m for m in part.expected if m.id not in part.recaps]
        if not pending:
            return streaks
        since = meeting_at.date() - timedelta(days=400)
        aways_by_member: dict[int, list[Away]] = defaultdict(list)
        for a in self._repo.team_aways(team.id, since):
            aways_by_member[a.member_id].append(a)
        needed = {m.id: required_previous(team, meeting_at, aways_by_member[m.id]) for m in pending}
        starts = [n for n in needed.values() if n is not None]
        if not starts:
            return streaks
        latest: dict[int, Recap] = {}
        for r in self._repo.recaps_between(team.id, min(starts), meeting_at):
            if r.member_id in needed and (r.member_id not in latest or r.meeting_at > latest[r.member_id].meeting_at):
                latest[r.member_id] = r
        for mid, need in needed.items():
            streaks[mid] = live_streak(latest.get(mid), need)
        return streaks

