"""The rolling deck: a group's recaps as slides, meeting after meeting.

One document (`Deck`) for every renderer: the web pages, PPTX, Marp Markdown
and single-file HTML all draw the same slides. Each meeting opens with an
agenda slide (that meeting's questions), then one slide per member who wrote:
their big-picture question as the title, progress, what didn't work,
questions, figures. Newest meeting first.

Who may see it is decided here too: a signed link (core/links.py) names the
group and the member it was issued to; `open` turns it into a `DeckAccess`,
and every read takes that access, so a page never shows another group's (or,
for a member's own link, another member's) recaps or figures.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .digest import DigestBuilder, agenda_items
from .errors import UserError
from .links import LinkRefused, LinkSigner
from .replies import FileAttachment
from .model import AgendaItem, Actor, Digest, Figure, Member, QuestionVersion, Recap, Team
from .ports import Clock, FileStore, Repository
from .groups import Groups, Scope
from .teams import TeamService

DEFAULT_PUBLIC_URL = "http://localhost:3000"
DEFAULT_LINK_DAYS = 7
# Images in a digest are fetched by Slack's or Discord's servers, possibly days later.
FIGURE_LINK_DAYS = 180
# The web deck shows this many meetings, then a link to the earlier ones: a page stays
# quick to render and to move through (exports hold the whole history).
MEETINGS_PER_PAGE = 8
DECK_PATH = "/deck"
FIGURE_PATH = "/figures"

# Participation per member and meeting (the chart's cells).
SUBMITTED, LATE, AWAY, MISSED, NOT_MEMBER = "submitted", "late", "away", "missed", ""


@dataclass(frozen=True)
class Slide:
    """One member's recap for one meeting."""

    member: Member
    recap: Recap
    figures: tuple[Figure, ...] = ()


@dataclass(frozen=True)
class DeckMeeting:
    meeting_at: datetime  # UTC
    meeting_local: datetime  # in the group's zone
    agenda: tuple[AgendaItem, ...]
    slides: tuple[Slide, ...]

    @property
    def day(self) -> date:
        return self.meeting_local.date()


@dataclass(frozen=True)
class Deck:
    team: Team
    meetings: tuple[DeckMeeting, ...]  # newest first
    member: Member | None = None  # a member's own deck: only their slides
    older: date | None = None  # the next earlier meeting, when this page stops before it
    generated_at: datetime | None = None

    @property
    def slide_count(self) -> int:
        return sum(1 + len(m.slides) for m in self.meetings)


@dataclass(frozen=True)
class Timeline:
    member: Member
    slides: tuple[Slide, ...]  # newest first
    questions: tuple[QuestionVersion, ...]  # newest first
    zone: ZoneInfo


@dataclass(frozen=True)
class ParticipationGrid:
    members: tuple[Member, ...]
    meetings: tuple[datetime, ...]  # local, oldest first
    cells: tuple[tuple[str, ...], ...]  # [member][meeting]: SUBMITTED, LATE, AWAY, MISSED or NOT_MEMBER


@dataclass(frozen=True)
class DeckAccess:
    """What one link opens: the group, who it was issued to, and whether only their slides."""

    team: Team
    member: Member
    mine: bool
    expires: datetime


# An exporter: the deck and a way to read a figure's bytes -> a file.
Exporter = Callable[[Deck, Callable[[Figure], bytes]], FileAttachment]


def order(member: Member) -> tuple[str, int]:
    return (member.display_name.casefold(), member.id)


@dataclass
class DeckService:
    _repo: Repository
    clock: Clock
    groups: Groups
    teams: TeamService
    digests: DigestBuilder
    files: FileStore | None
    links: LinkSigner
    public_url: str = DEFAULT_PUBLIC_URL
    link_days: int = DEFAULT_LINK_DAYS
    # Deck -> file, by format ("pptx", "md", "html"): bot/render's exporters, given by the
    # composition root (the core renders no file format itself).
    exporters: dict[str, "Exporter"] = field(default_factory=dict)

    # -- links --------------------------------------------------------------------
    def _scope(self, who: Actor | Scope) -> Scope:
        """Callers that already resolved the group pass its Scope; others the Actor."""
        return who if isinstance(who, Scope) else self.groups.scope(who)

    def link(self, who: Actor | Scope, mine: bool = False) -> tuple[str, datetime]:
        """A signed link to the deck of the group the actor means (or their own slides there),
        and when it expires; only a member of that group gets one."""
        scope = self._scope(who)
        return self.link_for(scope.team, scope.member, mine)

    def link_for(self, team: Team, member: Member, mine: bool = False) -> tuple[str, datetime]:
        expires = self.clock.now() + timedelta(days=self.link_days)
        token = self.links.deck_token(team.id, member.id, mine, expires)
        return f"{self.public_url}{DECK_PATH}/{token}", expires

    def open(self, token: str) -> DeckAccess:
        """The access a deck link grants, or LinkRefused (altered, expired, or its member gone)."""
        claims = self.links.open_deck(token, self.clock.now())
        team = self.teams.get_team(claims.team_id)
        member = self.teams.member_by_id(claims.member_id)
        if team is None or member is None or member.team_id != team.id or not member.active:
            raise LinkRefused("This link no longer opens anything: its group is gone, or its member left it.")
        return DeckAccess(team, member, claims.mine, claims.expires)

    @property
    def reachable_from_outside(self) -> bool:
        """Whether Slack's and Discord's servers could fetch from RECAPBOT_PUBLIC_URL: https and not
        this machine. Slack refuses a whole message whose image it cannot download."""
        scheme, _, rest = self.public_url.partition("://")
        host = rest.split("/", 1)[0].rsplit("@", 1)[-1].split(":", 1)[0].strip("[]").lower()
        local = host in ("localhost", "::1", "0.0.0.0") or host.startswith("127.") or host.endswith(".local")
        return scheme == "https" and not local

    def figure_url(self, figure: Figure) -> str:
        """A signed link a chat platform fetches the figure from; "" when it could not reach us."""
        if not self.reachable_from_outside:
            return ""
        token = self.links.figure_token(figure.id, self.clock.now() + timedelta(days=FIGURE_LINK_DAYS))
        return f"{self.public_url}{FIGURE_PATH}/{token}"

    # -- the deck -------------------------------------------------------------------
    def deck(self, team: Team, member: Member | None = None, since: date | None = None,
             before: date | None = None, limit: int | None = None) -> Deck:
        """The deck, newest meeting first: the whole history, or `limit` meetings before `before`."""
        zone = ZoneInfo(team.timezone)
        held = self._repo.meetings_held(team.id)
        if since is not None:
            held = [m for m in held if m.astimezone(zone).date() >= since]
        if before is not None:
            held = [m for m in held if m.astimezone(zone).date() < before]
        older = None
        if limit is not None and len(held) > limit:
            older = held[limit].astimezone(zone).date()
            held = held[:limit]
        if not held:
            return Deck(team, (), member, None, self.clock.now())
        recaps = self._repo.recaps_between(team.id, held[-1], held[0] + timedelta(microseconds=1))
        if member is not None:
            recaps = [r for r in recaps if r.member_id == member.id]
        slides = self._slides(team, recaps)
        by_meeting: dict[datetime, list[Slide]] = defaultdict(list)
        for slide in slides:
            by_meeting[slide.recap.meeting_at].append(slide)
        meetings = []
        for meeting_at in held:
            mine = sorted(by_meeting.get(meeting_at, []), key=lambda s: order(s.member))
            if member is not None and not mine:
                continue
            agenda = tuple(AgendaItem(asker=s.member.display_name, text=item)
                           for s in mine for item in agenda_items(s.recap.questions))
            meetings.append(DeckMeeting(meeting_at, meeting_at.astimezone(zone), agenda, tuple(mine)))
        return Deck(team, tuple(meetings), member, older, self.clock.now())

    def deck_for(self, access: DeckAccess, before: date | None = None,
                 limit: int | None = MEETINGS_PER_PAGE) -> Deck:
        return self.deck(access.team, access.member if access.mine else None, before=before, limit=limit)

    def export_file(self, who: Actor | Scope, fmt: str, mine: bool = False) -> FileAttachment:
        """The whole deck of the group the actor means (or their own slides there) as a file."""
        scope = self._scope(who)
        return self.render(self.deck(scope.team, scope.member if mine else None), fmt)

    def render(self, deck: Deck, fmt: str) -> FileAttachment:
        exporter = self.exporters.get(fmt)
        if exporter is None:
            raise UserError(f"Decks cannot be exported as {fmt!r} here; formats: {', '.join(self.exporters) or 'none'}.")
        return exporter(deck, self.figure_bytes)

    def _slides(self, team: Team, recaps: list[Recap]) -> list[Slide]:
        members = {m.id: m for m in self._repo.list_members(team.id)}
        figures = self._repo.figures_for([r.id for r in recaps]) if recaps else {}
        return [Slide(members[r.member_id], r, tuple(figures.get(r.id, ()))) for r in recaps if r.member_id in members]

    # -- the other pages ------------------------------------------------------------
    def timeline(self, access: DeckAccess, member_id: int) -> Timeline:
        """Every recap of one member of the link's group, and how their question changed."""
        member = self._member(access, member_id)
        recaps = self._repo.recent_recaps(member.id, 10_000)
        figures = self._repo.figures_for([r.id for r in recaps]) if recaps else {}
        slides = tuple(Slide(member, r, tuple(figures.get(r.id, ()))) for r in recaps)
        return Timeline(member, slides, tuple(self._repo.question_history(member.id, 500)),
                        ZoneInfo(access.team.timezone))

    def meeting(self, access: DeckAccess, day: date) -> Digest:
        """That meeting's digest, figures included."""
        self._whole_group(access)
        schedule_zone = ZoneInfo(access.team.timezone)
        for meeting_at in self._repo.meetings_held(access.team.id):
            if meeting_at.astimezone(schedule_zone).date() == day:
                return self.digests.build(access.team, meeting_at)
        raise UserError(f"{access.team.name} has no meeting with recaps on {day:%a %Y-%m-%d}.")

    def participation(self, access: DeckAccess) -> ParticipationGrid:
        """Members \u00d7 meetings held: submitted, late, away or missed."""
        self._whole_group(access)
        team = access.team
        zone = ZoneInfo(team.timezone)
        held = sorted(self._repo.meetings_held(team.id))
        members = sorted(self._repo.list_members(team.id), key=order)
        if not held:
            return ParticipationGrid(tuple(members), (), tuple(() for _ in members))
        recaps = {(r.member_id, r.meeting_at): r
                  for r in self._repo.recaps_between(team.id, held[0], held[-1] + timedelta(microseconds=1))}
        aways = defaultdict(list)
        for away in self._repo.team_aways(team.id, held[0].astimezone(zone).date()):
            aways[away.member_id].append(away)
        rows = []
        for member in members:
            row = []
            for meeting_at in held:
                recap = recaps.get((member.id, meeting_at))
                if recap is not None:
                    row.append(LATE if recap.late else SUBMITTED)
                elif member.joined_at > meeting_at or (member.left_at is not None and member.left_at <= meeting_at):
                    row.append(NOT_MEMBER)
                elif any(a.covers(meeting_at.astimezone(zone).date()) for a in aways[member.id]):
                    row.append(AWAY)
                else:
                    row.append(MISSED)
            rows.append(tuple(row))
        return ParticipationGrid(tuple(members), tuple(m.astimezone(zone) for m in held), tuple(rows))

    def figure(self, access: DeckAccess, figure_id: int) -> tuple[Figure, bytes]:
        """A figure of the link's group (of its member, for a member's own link)."""
        figure = self._repo.get_figure(figure_id)
        if figure is None or figure.team_id != access.team.id or (access.mine and figure.member_id != access.member.id):
            raise UserError("No such figure in this deck.")
        return figure, self._bytes(figure)

    def figure_by_link(self, token: str) -> tuple[Figure, bytes]:
        """A figure a digest links to (signed for that figure alone)."""
        figure = self._repo.get_figure(self.links.open_figure(token, self.clock.now()))
        if figure is None:
            raise LinkRefused("This figure was deleted.")
        return figure, self._bytes(figure)

    def figure_bytes(self, figure: Figure) -> bytes:
        """For exports that embed the images (PPTX, single-file HTML)."""
        return self._bytes(figure)

    def _bytes(self, figure: Figure) -> bytes:
        data = self.files.get(figure) if self.files is not None else None
        if data is None:
            raise UserError("That figure's image is missing from the file store.")
        return data

    def _member(self, access: DeckAccess, member_id: int) -> Member:
        if access.mine and member_id != access.member.id:
            raise UserError("This link shows only your own slides.")
        member = self.teams.member_by_id(member_id)
        if member is None or member.team_id != access.team.id:
            raise UserError("No such member in this group.")
        return member

    @staticmethod
    def _whole_group(access: DeckAccess) -> None:
        if access.mine:
            raise UserError("This link shows only your own slides.")

