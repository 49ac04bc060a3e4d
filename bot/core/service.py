"""The core's services bundled together: what every adapter and the scheduler receive."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from . import cycles
from .digest import DigestBuilder, Participation
from .errors import NotAllowed, UserError
from .model import Actor, Digest, Team
from .ports import Clock, Repository
from .recaps import RecapService
from .teams import TeamService, require_schedule, upcoming_cycle


@dataclass
class Core:
    repo: Repository
    clock: Clock
    teams: TeamService
    recaps: RecapService
    digests: DigestBuilder

    @classmethod
    def build(cls, repo: Repository, clock: Clock, default_timezone: str = "UTC",
              default_team_name: str = "Research group") -> "Core":
        teams = TeamService(repo, clock, default_timezone, default_team_name)
        return cls(
            repo=repo,
            clock=clock,
            teams=teams,
            recaps=RecapService(repo, clock, teams),
            digests=DigestBuilder(repo, clock),
        )

    def upcoming_digest(self, team: Team) -> Digest:
        cycle = upcoming_cycle(team, self.clock.now())
        return self.digests.build(team, cycle.meeting_at)

    def upcoming_participation(self, team: Team) -> Participation:
        cycle = upcoming_cycle(team, self.clock.now())
        return self.digests.participation(team, cycle.meeting_at)

    def digest_on(self, team: Team, day: date | None) -> Digest:
        """The digest of the meeting on a local date (default: the coming one)."""
        if day is None:
            return self.upcoming_digest(team)
        schedule = require_schedule(team)
        meeting = cycles.meeting_on(day, schedule)
        if meeting is None:
            after = cycles.next_meeting(schedule, datetime.combine(day, datetime.min.time(), cycles.UTC), team.skipped)
            raise UserError(
                f"{team.name} has no meeting on {day:%a %Y-%m-%d}. "
                f"The next one after it is on {cycles.meeting_local_date(after, schedule):%a %Y-%m-%d}."
            )
        return self.digests.build(team, meeting)

    def skip_meeting(self, actor: Actor, day: date) -> Team:
        team = self.teams.team_for(actor.workspace)
        if not self.teams.can_configure(actor, team):
            raise NotAllowed("Only workspace admins or this team's admins can skip a meeting.")
        schedule = require_schedule(team)
        meeting = cycles.meeting_on(day, schedule)
        if meeting is None:
            raise UserError(f"There is no meeting on {day:%a %Y-%m-%d} to skip.")
        if meeting <= self.clock.now():
            raise UserError(f"The meeting on {day:%Y-%m-%d} is already over.")
        # Everything that can fail is worked out before the first write: a skip is
        # recorded together with its recaps' move, or not at all.
        following = cycles.next_meeting(schedule, meeting, team.skipped | {day})
        if not self.repo.add_skip(team.id, day, self.clock.now()):
            raise UserError(f"The meeting on {day:%Y-%m-%d} is already skipped.")
        self.repo.move_recaps(team.id, meeting, following)
        team = self.repo.get_team(team.id)
        for listener in self.teams.schedule_listeners:
            listener(team)
        return team
