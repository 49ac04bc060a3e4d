"""Plain data the core passes around: no ORM, no chat platform.

Every datetime here is timezone-aware UTC; dates are local calendar dates of
whoever they belong to (a meeting's date is the team's local date).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

# One limit for every free-text field: it fits Slack's plain_text_input (3,000)
# and Discord's TextInput (4,000), so no platform ever has to cut a recap.
MAX_FIELD_CHARS = 3000
MAX_NAME_CHARS = 80
MAX_REASON_CHARS = 200
MAX_MILESTONE_CHARS = 200
MAX_OPEN_MILESTONES = 20  # per member and group
# Figures in a recap (issue 11): a few images, each checked by content (core/figures.py).
MAX_FIGURES = 4
MAX_FIGURE_BYTES = 5 * 1024 * 1024
MAX_CAPTION_CHARS = 200

# A new team's name and timezone until an admin sets them (RECAPBOT_TEAM_NAME, RECAPBOT_TIMEZONE).
DEFAULT_TEAM_NAME = "Research group"
DEFAULT_TIMEZONE = "UTC"
DEFAULT_DIGEST_LEAD = timedelta(hours=2)
DEFAULT_REMINDER_LEAD = timedelta(hours=24)

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Schedule:
    """A team's meeting rhythm: a wall-clock time in the team's zone.

    `anchor` is one meeting date; with every_weeks > 1 only dates a whole
    number of periods away from it are meetings (that is what makes biweekly
    well defined).
    """

    weekday: int
    at: time
    timezone: str
    every_weeks: int = 1
    anchor: date | None = None
    digest_lead: timedelta = DEFAULT_DIGEST_LEAD
    reminder_lead: timedelta = DEFAULT_REMINDER_LEAD

    def describe(self) -> str:
        every = "every week" if self.every_weeks == 1 else f"every {self.every_weeks} weeks"
        return f"{WEEKDAYS[self.weekday]} {self.at:%H:%M} {self.timezone}, {every}"


@dataclass(frozen=True)
class Workspace:
    """Where a team lives: a Slack workspace, a Discord server, the console.

    `platform` names the adapter that serves it, `id` is that platform's own
    id (a Slack team id, a Discord guild id). The store keeps it as one string,
    `key` ("slack:T0123"), read back with `parse`; nothing else builds or
    splits that string.
    """

    platform: str
    id: str

    def __post_init__(self) -> None:
        if not self.platform or ":" in self.platform or not self.id:
            raise ValueError(f"not a workspace: platform={self.platform!r}, id={self.id!r}")

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.id}"

    @classmethod
    def parse(cls, key: str) -> "Workspace":
        platform, _, ident = key.partition(":")
        return cls(platform, ident)

    def __str__(self) -> str:
        return self.key


@dataclass(frozen=True)
class Team:
    id: int
    workspace: Workspace
    name: str
    timezone: str
    channel: str | None = None
    schedule: Schedule | None = None
    north_star: str | None = None
    admins: tuple[str, ...] = ()
    skipped: frozenset[date] = frozenset()
    created_at: datetime | None = None
    member_role: str | None = None  # a Discord role id: whoever holds it joins on first use


Group = Team  # a group is what a team was: a `teams` row (see notes on groups in README)


@dataclass(frozen=True)
class Member:
    """One person's membership in one group; a person in two groups has two."""

    id: int
    team_id: int
    user_ref: str
    display_name: str
    timezone: str | None
    joined_at: datetime
    left_at: datetime | None = None  # left the group: kept for history, out of reminders and digests

    @property
    def active(self) -> bool:
        return self.left_at is None


@dataclass(frozen=True)
class QuestionVersion:
    """One entry in a member's big-picture question history."""

    text: str
    set_at: datetime


@dataclass(frozen=True)
class Away:
    member_id: int
    start: date
    until: date  # inclusive
    reason: str = ""

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.until


@dataclass(frozen=True)
class FigureUpload:
    """An image someone attached, as received: checked by core/figures.py before anything is stored."""

    data: bytes
    caption: str = ""
    name: str = ""  # the file's name as sent, only to say which one is wrong

    def __repr__(self) -> str:  # never dump the bytes into a log
        return f"FigureUpload(name={self.name!r}, {len(self.data)} bytes)"


@dataclass(frozen=True)
class Figure:
    """A stored figure's metadata; the bytes live behind the FileStore port (core/ports.py).

    `url` is filled in only where a platform must fetch the image itself (a digest).
    """

    id: int
    recap_id: int
    member_id: int
    team_id: int
    position: int
    caption: str
    mime: str
    width: int
    height: int
    size: int
    url: str = ""


@dataclass(frozen=True)
class RecapDraft:
    """What a member typed into the form, before validation.

    `figures` given with a submission replace the recap's figures; none keeps them.
    """

    question: str = ""
    progress: str = ""
    failures: str = ""
    questions: str = ""
    figuring_it_out: bool = False
    plan: str = ""
    milestones_done: tuple[int, ...] = ()  # numbers of the member's open milestones reached
    figures: tuple[FigureUpload, ...] = ()


@dataclass(frozen=True)
class Recap:
    id: int
    team_id: int
    member_id: int
    meeting_at: datetime
    question: str
    question_changed: bool
    progress: str
    failures: str
    questions: str
    figuring_it_out: bool
    late: bool
    streak: int
    submitted_at: datetime
    updated_at: datetime
    plan: str = ""


@dataclass(frozen=True)
class Actor:
    """Who is talking to the bot, and where, as an adapter saw them.

    `channel` is the platform's id of the channel the command came from (None in a
    DM or the App Home), `channel_name` its name (a new group's default name);
    `group` is an explicit choice (a picker, `--group NAME`: a group id or name);
    `roles` are the platform roles the person holds (Discord); `mentioned` names the
    people the command mentions, (user id, display name), as the platform gave them.
    The core alone decides which group all this means (core/groups.py).
    """

    workspace: Workspace
    user_ref: str
    display_name: str
    timezone: str | None = None
    is_admin: bool = False
    channel: str | None = None
    channel_name: str | None = None
    group: str | None = None
    roles: tuple[str, ...] = ()
    mentioned: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Cycle:
    """The window of one meeting: recaps filed between the previous meeting and this one."""

    team: Team
    meeting_at: datetime
    digest_at: datetime
    reminder_at: datetime
    previous_meeting_at: datetime | None


@dataclass(frozen=True)
class DigestEntry:
    """One member's recap in a digest; the streak it extended is `recap.streak`."""

    member: Member
    recap: Recap
    figures: tuple[Figure, ...] = ()
    previous_plan: str = ""  # what they planned in their recap before this one
    reached: tuple["Milestone", ...] = ()  # milestones reached since the previous meeting
    next_due: "Milestone | None" = None  # their open milestone due first


@dataclass(frozen=True)
class Milestone:
    """A step toward a member's long-term goal; `number` is what the member types (#3)."""

    id: int
    member_id: int
    number: int
    title: str
    due: date
    created_at: datetime
    done_at: datetime | None = None
    dropped_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.done_at is None and self.dropped_at is None


@dataclass(frozen=True)
class Feedback:
    """What someone in the group said about a member's recap."""

    id: int
    recap_id: int
    member_id: int  # whose recap
    giver: str  # the giver's display name
    text: str
    given_at: datetime
    meeting_at: datetime  # the recap's meeting


@dataclass(frozen=True)
class GroupQuestion:
    """A question from a recap's agenda, open until someone closes it; `number` is per group."""

    id: int
    team_id: int
    number: int
    recap_id: int
    member_id: int  # who asked
    asker: str
    text: str
    meeting_at: datetime  # the meeting it was first asked for
    closed_at: datetime | None = None
    answered_by: str | None = None  # the name of who closed it, while they are in the group
    note: str = ""


# Marks around the matched words of a search snippet. Control characters: clean_text refuses
# them in anything people type, so stored text never holds them.
MARK_START, MARK_END = "\x02", "\x03"
SEARCH_FIELDS = ("progress", "failures", "questions", "plan")  # recap fields a search can be limited to


@dataclass(frozen=True)
class SearchQuery:
    """What to look for in a group: every group of words must match, several words as a phrase."""

    groups: tuple[tuple[str, ...], ...]
    field: str | None = None  # one of SEARCH_FIELDS: recaps only, in that field
    member_id: int | None = None  # recaps of, feedback on recaps of, questions asked by this member
    since: datetime | None = None  # meetings from then on


@dataclass(frozen=True)
class SearchHit:
    """One search result, best first; `snippet` marks matched words with MARK_START/MARK_END."""

    kind: str  # "recap", "feedback" or "question" (answered)
    member_id: int  # whose recap (who asked, for a question)
    meeting_at: datetime
    field: str  # the recap field that matched best; "feedback", "question" or "answer"
    snippet: str
    giver_id: int | None = None  # feedback: who gave it
    number: int | None = None  # question: its number in the group


@dataclass(frozen=True)
class AgendaItem:
    asker: str
    text: str
    number: int = 0  # the group question's number (0: not stored, e.g. before the upgrade)
    question_id: int = 0
    carried_from: date | None = None  # the meeting it was first on the agenda of, when carried over
    answered: bool = False


@dataclass(frozen=True)
class AwayNote:
    name: str
    until: date
    reason: str


@dataclass(frozen=True)
class Digest:
    """One meeting's digest, platform-neutral; each adapter renders it."""

    team_name: str
    timezone: str
    meeting_local: datetime
    north_star: str | None
    entries: tuple[DigestEntry, ...]
    agenda: tuple[AgendaItem, ...]
    missing: tuple[str, ...]
    away: tuple[AwayNote, ...]
    streaks: tuple[tuple[str, int], ...]
    submitted: int
    expected: int
    generated_at: datetime | None = field(compare=False, default=None)


@dataclass(frozen=True)
class Overview:
    """A member's own page (Slack's App Home): their question, this cycle, streak, last recaps.

    Times are in the member's zone; without a meeting time `problem` says so
    and `meeting`/`digest` are None.
    """

    team_name: str
    question: str | None
    meeting: datetime | None
    digest: datetime | None
    digest_relative: str
    submitted: bool
    streak: int
    recent: tuple[Recap, ...]
    zone: tzinfo
    problem: str | None = None
    feedback: tuple[Feedback, ...] = ()  # the latest feedback on their recaps, newest first
    team_id: int = 0  # which group this page is about (a person in several groups has one each)
