"""The core's services bundled together: what every adapter and the scheduler receive."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from . import cycles, texts, unit
from .deck import DEFAULT_LINK_DAYS, DEFAULT_PUBLIC_URL, DeckService, Exporter
from .digest import DigestBuilder, Participation
from .errors import FieldErrors, NotAllowed, UserError
from .events import Events, ScheduleChanged
from .feedback import FeedbackService
from .group_questions import GroupQuestionService
from .milestones import MilestoneService
from .groups import Groups
from .model import (
    DEFAULT_TEAM_NAME,
    DEFAULT_TIMEZONE,
    Actor,
    Digest,
    Member,
    Overview,
    Recap,
    RecapDraft,
    Team,
)
from .links import LinkSigner
from .ports import Clock, FileStore, Repository
from .privacy import Privacy
from .recaps import RecapService, meeting_dates
from .replies import FormErrors, Reply, TextReply
from .search import SearchService
from .streaks import member_streak
from .teams import TeamService, require_schedule, upcoming_cycle

T = TypeVar("T")
RECENT_ON_OVERVIEW = 3
FEEDBACK_ON_OVERVIEW = 3


@dataclass
class Core:
    _repo: Repository
    clock: Clock
    events: Events
    groups: Groups
    teams: TeamService
    recaps: RecapService
    digests: DigestBuilder
    privacy: Privacy
    milestones: MilestoneService
    questions: GroupQuestionService
    feedback: FeedbackService
    search: SearchService
    deck: DeckService

    @classmethod
    def build(cls, repo: Repository, clock: Clock, default_timezone: str = DEFAULT_TIMEZONE,
              default_team_name: str = DEFAULT_TEAM_NAME, events: Events | None = None,
              files: FileStore | None = None, links: LinkSigner | None = None,
              public_url: str = DEFAULT_PUBLIC_URL, link_days: int = DEFAULT_LINK_DAYS,
              exporters: dict[str, Exporter] | None = None) -> "Core":
        """`files` keeps figure bytes (none: figures are refused); `links` signs deck links
        (none: a key of this process only, for tests and one-off tools)."""
        events = events or Events()
        groups = Groups(repo, clock, default_timezone, default_team_name)
        teams = TeamService(repo, clock, events, groups)
        digests = DigestBuilder(repo, clock)
        deck = DeckService(repo, clock, groups, teams, digests, files, links or LinkSigner.ephemeral(),
                           public_url.rstrip("/"), link_days, dict(exporters or {}))
        digests.figure_url = deck.figure_url
        return cls(
            _repo=repo,
            clock=clock,
            events=events,
            groups=groups,
            teams=teams,
            recaps=RecapService(repo, clock, groups, teams, events, files),
            digests=digests,
            privacy=Privacy(repo, clock),
            milestones=MilestoneService(repo, clock, groups, teams),
            questions=GroupQuestionService(repo, clock, groups),
            feedback=FeedbackService(repo, clock, groups, events),
            search=SearchService(repo, groups, teams),
            deck=deck,
        )

    def unit(self, work: Callable[..., T], *args: Any) -> T:
        """`work(*args)` as one unit of work (core/unit.py): one connection, one transaction."""
        return unit.run(self._repo, lambda: work(*args))

    def submit_recap(self, actor: Actor, draft: RecapDraft) -> Reply:
        """The one way a filled-in form is stored, whatever form it came from (a modal, the
        console's prompts, `/recap submit --flags`): the confirmation, or what is wrong as data.
        One unit of work: the recap, its questions, figures and streak are stored together."""
        try:
            result = self.unit(self.recaps.submit, actor, draft)
        except FieldErrors as exc:
            return FormErrors(exc.errors)
        except UserError as exc:
            return TextReply(exc.message, ok=False)
        zone = self.teams.member_zone(result.member, result.cycle.team)
        return TextReply(result.scope.say(texts.submitted(result, self.clock.now(), zone)))

    # -- reads for adapters and the scheduler (the repository stays the core's own) ------
    def overviews(self, actor: Actor) -> list[Overview]:
        """What a person's own page shows (Slack's App Home): one overview per group they are in."""
        return self.unit(self._overviews, actor)

    def _overviews(self, actor: Actor) -> list[Overview]:
        teams = {t.id: t for t in self.groups.in_workspace(actor.workspace)}
        return [self.overview_of(teams[m.team_id], m)
                for m in self.groups.memberships(actor.workspace, actor.user_ref) if m.team_id in teams]

    def overview_of(self, team: Team, member: Member) -> Overview:
        """The same for a member already at hand (after a RecapSubmitted event, say)."""
        zone = self.teams.member_zone(member, team)
        now = self.clock.now()
        current = self._repo.current_question(member.id)
        question = current.text if current else None
        recent = tuple(self._repo.recent_recaps(member.id, RECENT_ON_OVERVIEW))
        feedback = tuple(self._repo.recent_feedback(member.id, FEEDBACK_ON_OVERVIEW))
        try:
            cycle = upcoming_cycle(team, now)
        except UserError as exc:  # no meeting time yet
            return Overview(team.name, question, None, None, "", False, recent[0].streak if recent else 0,
                            recent, zone, problem=exc.message, team_id=team.id, feedback=feedback)
        # This cycle's recap is among the newest ones unless all of those are of later meetings.
        if len(recent) < RECENT_ON_OVERVIEW or recent[-1].meeting_at <= cycle.meeting_at:
            mine = next((r for r in recent if r.meeting_at == cycle.meeting_at), None)
        else:
            mine = self._repo.get_recap(member.id, cycle.meeting_at)
        return Overview(
            team_name=team.name, question=question,
            meeting=cycle.meeting_at.astimezone(zone), digest=cycle.digest_at.astimezone(zone),
            digest_relative=texts.relative(cycle.digest_at, now), submitted=mine is not None,
            streak=mine.streak if mine else member_streak(self._repo, team, member, cycle.meeting_at),
            recent=recent, zone=zone, team_id=team.id, feedback=feedback,
        )

    def upcoming_meeting_days(self, actor: Actor, count: int) -> list[date]:
        """The next meetings' local dates of the group the actor means (for pickers); none when that
        is unclear or the group has no meeting time. Creates nothing."""
        team = self.groups.meant(actor)
        if team is None or team.schedule is None:
            return []
        return [cycles.meeting_local_date(m, team.schedule) for m in meeting_dates(team, self.clock.now(), count)]

    def recaps_for_meeting(self, team: Team, meeting_at: datetime) -> list[Recap]:
        return self._repo.recaps_for_meeting(team.id, meeting_at)

    def upcoming_digest(self, team: Team) -> Digest:
        cycle = upcoming_cycle(team, self.clock.now())
        return self.digests.build(team, cycle.meeting_at)

    def upcoming_participation(self, team: Team) -> Participation:
        """Who has written for the coming meeting (not what: `/recap status` shows names only)."""
        cycle = upcoming_cycle(team, self.clock.now())
        return self.digests.participation(team, cycle.meeting_at, with_text=False)

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
        """Skip a meeting: the skip and its recaps' move are one unit of work."""
        return self.unit(self._skip_meeting, actor, day)

    def _skip_meeting(self, actor: Actor, day: date) -> Team:
        team = self.groups.scope(actor, need_member=False).team
        if not self.teams.can_configure(actor, team):
            raise NotAllowed("Only workspace admins or this group's admins can skip a meeting.")
        schedule = require_schedule(team)
        meeting = cycles.meeting_on(day, schedule)
        if meeting is None:
            raise UserError(f"There is no meeting on {day:%a %Y-%m-%d} to skip.")
        if meeting <= self.clock.now():
            raise UserError(f"The meeting on {day:%Y-%m-%d} is already over.")
        # Everything that can fail is worked out before the first write: a skip is
        # recorded together with its recaps' move, or not at all.
        following = cycles.next_meeting(schedule, meeting, team.skipped | {day})
        if not self._repo.add_skip(team.id, day, self.clock.now()):
            raise UserError(f"The meeting on {day:%Y-%m-%d} is already skipped.")
        self._repo.move_recaps(team.id, meeting, following)
        team = self._repo.get_team(team.id)
        self.events.publish(ScheduleChanged(team))
        return team
