"""Build one meeting's digest (platform-neutral) and the status report before it.

The cost is bounded by the team's size, not its history: one cycle's recaps,
each member's stored streak (members.streak), and the current away periods.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from . import cycles, unit
from .model import (
    AgendaItem, Away, AwayNote, Cycle, Digest, DigestEntry, Figure, GroupQuestion, Member, Milestone, Recap, Team,
)
from .ports import Clock, Repository
from .streaks import live_streak, required_previous
from .teams import cycle_for_meeting, require_schedule

_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+")
# An unanswered question is carried into the agenda of this many meetings after its own,
# then only listed under "Still open" by `/recap questions`.
CARRY_MEETINGS = 3


def agenda_items(text: str) -> list[str]:
    """One agenda item per non-empty line, list markers removed."""
    items = []
    for line in text.splitlines():
        item = _BULLET.sub("", line).strip()
        if item:
            items.append(item)
    return items


def _item(q: GroupQuestion, **kwargs) -> AgendaItem:
    return AgendaItem(asker=q.asker, text=q.text, number=q.number, question_id=q.id, **kwargs)


def carry_start(team: Team, meeting_at: datetime) -> datetime:
    """The earliest meeting whose open questions are still carried into `meeting_at`'s agenda."""
    start = meeting_at
    for _ in range(CARRY_MEETINGS):
        start = cycles.previous_meeting(require_schedule(team), start, team.skipped) or start
    return start


def _order(member: Member) -> tuple[str, int]:
    return (member.display_name.casefold(), member.id)


@dataclass(frozen=True)
class Participation:
    """Who wrote, who has not, who is away: shared by the digest and /recap status."""

    cycle: Cycle
    members: list[Member]
    recaps: dict[int, Recap]  # by member id; empty when built without the recaps' text (status)
    away: dict[int, Away]
    expected: list[Member]
    missing: list[Member]
    written: frozenset[int]  # member ids who wrote for the meeting


@dataclass
class DigestBuilder:
    _repo: Repository
    clock: Clock
    # Where a chat platform fetches a figure from (a signed link, core/deck.py); None: no figures.
    figure_url: Callable[[Figure], str] | None = None

    def participation(self, team: Team, meeting_at: datetime, with_text: bool = True) -> Participation:
        """Who wrote, who has not, who is away; `with_text=False` reads only who wrote, not what
        (`/recap status` needs names, not the recaps' text)."""
        return unit.run(self._repo, lambda: self._participation(team, meeting_at, with_text))

    def _participation(self, team: Team, meeting_at: datetime, with_text: bool = True) -> Participation:
        schedule = require_schedule(team)
        cycle = cycle_for_meeting(team, meeting_at)
        day = cycles.meeting_local_date(meeting_at, schedule)
        if with_text:
            recaps = {r.member_id: r for r in self._repo.recaps_for_meeting(team.id, meeting_at)}
            written = frozenset(recaps)
        else:
            recaps, written = {}, frozenset(self._repo.meeting_writers(team.id, meeting_at))
        members = sorted(  # members at that meeting: joined before it and not left by then (or who wrote)
            (m for m in self._repo.list_members(team.id)
             if (m.joined_at <= meeting_at and (m.left_at is None or m.left_at > meeting_at)) or m.id in written),
            key=_order,
        )
        away = {}
        for a in self._repo.team_aways(team.id, day):
            if a.covers(day) and a.member_id not in away:
                away[a.member_id] = a
        expected = [m for m in members if m.id in written or m.id not in away]
        missing = [m for m in expected if m.id not in written]
        return Participation(cycle, members, recaps, away, expected, missing, written)

    def build(self, team: Team, meeting_at: datetime) -> Digest:
        """The digest, its reads made on one connection (one unit of work)."""
        return unit.run(self._repo, lambda: self._build(team, meeting_at))

    def _build(self, team: Team, meeting_at: datetime) -> Digest:
        part = self._participation(team, meeting_at)
        zone = ZoneInfo(team.timezone)

        streaks = self._streaks(team, part, meeting_at)
        written = [m for m in part.members if m.id in part.recaps]
        plans = self._repo.previous_plans(team.id, meeting_at) if written else {}
        reached, next_due = self._milestones(team, part.cycle)
        entries = tuple(
            replace(e, previous_plan=plans.get(e.member.id, ""), reached=reached.get(e.member.id, ()),
                    next_due=next_due.get(e.member.id))
            for e in self.entries([(m, part.recaps[m.id]) for m in written])
        )
        agenda = self._agenda(team, entries, meeting_at)
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

    def _milestones(self, team: Team, cycle: Cycle) -> tuple[dict[int, tuple[Milestone, ...]], dict[int, Milestone]]:
        """Per member: milestones reached since the previous meeting, and the open one due first."""
        since = cycle.previous_meeting_at or cycle.meeting_at - timedelta(weeks=require_schedule(team).every_weeks)
        reached: dict[int, list[Milestone]] = defaultdict(list)
        next_due: dict[int, Milestone] = {}
        for m in self._repo.team_milestones(team.id, since):  # by member, due date first
            if m.done_at is not None:
                if m.done_at < cycle.meeting_at:
                    reached[m.member_id].append(m)
            elif m.member_id not in next_due:
                next_due[m.member_id] = m
        return {k: tuple(v) for k, v in reached.items()}, next_due

    def _agenda(self, team: Team, entries: tuple[DigestEntry, ...], meeting_at: datetime) -> tuple[AgendaItem, ...]:
        """This meeting's questions in the members' order, then the open ones carried over from the
        last CARRY_MEETINGS meetings, oldest first. Each is its group question (its number) when
        stored; a recap saved before questions were stored shows its lines without one."""
        schedule = require_schedule(team)
        stored = self._repo.group_questions(team.id, meetings=(carry_start(team, meeting_at),
                                                               meeting_at + timedelta(microseconds=1)),
                                            answers=False, open_before=meeting_at)
        by_recap: dict[int, list[GroupQuestion]] = defaultdict(list)
        for q in stored:
            by_recap[q.recap_id].append(q)
        items: list[AgendaItem] = []
        for e in entries:
            unused = list(by_recap.get(e.recap.id, ()))
            for text in agenda_items(e.recap.questions):
                q = next((q for q in unused if q.text == text), None)
                if q is None:
                    items.append(AgendaItem(asker=e.member.display_name, text=text))
                    continue
                unused.remove(q)
                items.append(_item(q, answered=q.closed_at is not None))
        days: dict[datetime, date] = {}  # a few meetings, many questions
        for q in stored:
            if q.meeting_at < meeting_at and q.closed_at is None:
                if q.meeting_at not in days:
                    days[q.meeting_at] = cycles.meeting_local_date(q.meeting_at, schedule)
                items.append(_item(q, carried_from=days[q.meeting_at]))
        return tuple(items)
    def entries(self, pairs: list[tuple[Member, Recap]]) -> tuple[DigestEntry, ...]:
        """Digest entries with each recap's figures, linked for the platform to fetch."""
        figures = self._repo.figures_for([recap.id for _, recap in pairs]) if pairs and self.figure_url else {}
        url = self.figure_url
        return tuple(
            DigestEntry(member, recap, tuple(replace(f, url=url(f)) for f in figures.get(recap.id, ())))
            for member, recap in pairs
        )

    def _streaks(self, team: Team, part: Participation, meeting_at: datetime) -> dict[int, int]:
        """Streak per member: stored on this cycle's recap, else carried in from the member's
        stored streak (members.streak: their latest recap's) if that recap still counts."""
        streaks = {mid: r.streak for mid, r in part.recaps.items()}
        if meeting_at <= self.clock.now():
            return streaks  # a past meeting without a recap broke the streak
        pending = [m for m in part.expected if m.id not in part.recaps]
        if not pending:
            return streaks
        stored = self._repo.stored_streaks(team.id)
        carried = {m.id: stored[m.id] for m in pending if m.id in stored}
        for mid, (_, last) in list(carried.items()):
            if last >= meeting_at:  # written for a later meeting (moved there): read the one before
                recent = self._repo.latest_recap_before(mid, meeting_at)
                carried[mid] = (recent.streak, recent.meeting_at) if recent else (0, None)
        since = meeting_at.date() - timedelta(days=400)
        aways_by_member: dict[int, list[Away]] = defaultdict(list)
        if carried:
            for a in self._repo.team_aways(team.id, since):
                aways_by_member[a.member_id].append(a)
        unaway = required_previous(team, meeting_at, ()) if carried else None  # most members' answer
        for m in pending:
            streak, last = carried.get(m.id, (0, None))
            if last is None:
                streaks[m.id] = 0
                continue
            aways = aways_by_member.get(m.id)
            needed = required_previous(team, meeting_at, aways) if aways else unaway
            streaks[m.id] = live_streak(streak, last, needed)
        return streaks
