"""Milestones: dated steps toward a member's long-term goal, ticked off in the recap form.

They belong to a membership (a person in two groups keeps two lists, each in
the group the command means). A member refers to one by the number shown next
to it (#3), which never changes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from .errors import UserError
from .groups import Groups, Scope
from .model import MAX_MILESTONE_CHARS, MAX_OPEN_MILESTONES, Actor, Member, Milestone
from .parsing import parse_date, parse_positive_int
from .ports import Clock, Repository
from .teams import TeamService
from .validation import clean_text

ADD_USAGE = '`/recap milestone add "Reproduce the baseline on 3 seeds" by 2027-01-15`'
MAX_NUMBER = 1_000_000
RECENT_DAYS = 30  # how long a reached milestone stays in `/recap milestones`


@dataclass(frozen=True)
class Milestones:
    member: Member
    open: list[Milestone]
    reached: list[Milestone]  # in the last RECENT_DAYS


def number(text: str) -> int:
    """'3' or '#3': the number `/recap milestones` shows."""
    return parse_positive_int(text.strip().removeprefix("#"), "A milestone's number", 1, MAX_NUMBER)


@dataclass
class MilestoneService:
    _repo: Repository
    clock: Clock
    groups: Groups
    teams: TeamService

    def _scope(self, who: Actor | Scope) -> Scope:
        return who if isinstance(who, Scope) else self.groups.scope(who)

    def add(self, who: Actor | Scope, words: list[str]) -> Milestone:
        """`<title> by YYYY-MM-DD`: the title in quotes or not, the date after the last "by"."""
        by = max((i for i, w in enumerate(words) if w.lower() == "by"), default=None)
        if by is None or by == 0 or by != len(words) - 2:
            raise UserError(f"Give the milestone and its date: {ADD_USAGE}.")
        title = clean_text(" ".join(words[:by]), "The milestone", MAX_MILESTONE_CHARS)
        if not title:
            raise UserError(f"Name the milestone: {ADD_USAGE}.")
        due = parse_date(words[-1])
        scope = self._scope(who)
        team, member = scope.team, scope.member
        today = self.clock.now().astimezone(self.teams.member_zone(member, team)).date()
        if due < today:
            raise UserError(f"{due:%Y-%m-%d} is in the past. Give the date you aim for, from today on.")
        added = self._repo.add_milestone(member.id, title, due, self.clock.now(), MAX_OPEN_MILESTONES)
        if added is None:
            raise UserError(f"You have {MAX_OPEN_MILESTONES} open milestones, the most there can be. Mark one "
                            "done (`/recap milestone done N`) or drop it (`/recap milestone drop N`) first.")
        return added

    def close(self, who: Actor | Scope, words: list[str], how: str) -> Milestone:
        """Mark the member's milestone #N done or dropped."""
        verb = "done" if how == "done" else "drop"
        if len(words) != 1:
            raise UserError(f"Use `/recap milestone {verb} N` with the number `/recap milestones` shows.")
        n = number(words[0])
        member = self._scope(who).member
        milestone = self._repo.get_milestone(member.id, n)
        if milestone is None:
            raise UserError(f"You have no milestone #{n}. `/recap milestones` lists yours.")
        if not milestone.is_open:
            state = "reached" if milestone.done_at else "dropped"
            raise UserError(f"Milestone #{n} is already {state}; nothing changed.")
        self._repo.close_milestone(milestone.id, "done" if how == "done" else "dropped", self.clock.now())
        return self._repo.get_milestone(member.id, n)

    def listing(self, who: Actor | Scope, name: str | None) -> Milestones:
        """Someone's milestones in the group: the person's own, or a member's by name (`name`)."""
        scope = self._scope(who)
        member = self.teams.resolve_member(scope.team, name) if name else scope.member
        if member is None:  # an admin outside the group asking for their own
            raise UserError(f"You are not a member of {scope.team.name}: name whose milestones to show.")
        since = self.clock.now() - timedelta(days=RECENT_DAYS)
        rows = self._repo.milestones(member.id, closed_since=since)
        return Milestones(member, [m for m in rows if m.is_open],
                          sorted((m for m in rows if m.done_at), key=lambda m: m.done_at, reverse=True))
