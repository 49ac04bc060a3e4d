"""Teams and members: who belongs where, and the team's settings.

A workspace (a Slack team, a Discord guild, the console) has one team,
created on first use; a person joins it the first time they use the bot.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from . import cycles
from .errors import FieldErrors, NotAllowed, UserError
from .events import Events, ScheduleChanged
from .model import (
    DEFAULT_TEAM_NAME,
    DEFAULT_TIMEZONE,
    MAX_FIELD_CHARS,
    MAX_NAME_CHARS,
    Actor,
    Cycle,
    Member,
    Schedule,
    Team,
    Workspace,
)
from .parsing import (
    parse_date,
    parse_duration,
    parse_meeting,
    parse_positive_int,
    parse_timezone,
    shown,
)
from .ports import Clock, Repository
from .texts import settings_refusal
from .validation import clean_text, name_key, tidy_name

MAX_CHANNEL_CHARS = 120
MAX_REF_CHARS = 120  # a member's platform id (the column's size)
MAX_ADMINS_CHARS = 1000  # the whole admins= value: a few dozen names or mentions
MAX_LEAD = timedelta(days=6)
# A platform mention: Slack <@U123> or <@U123|name>, Discord <@123> or <@!123>.
_MENTION = re.compile(r"<@!?([^<>|\s]+)(?:\|[^<>]*)?>")

SETUP_KEYS = {
    "channel": "the channel the digest is posted to",
    "meeting": 'weekday and local time, e.g. meeting="Mon 10:00"',
    "tz": "the team's IANA timezone, e.g. tz=Europe/Berlin",
    "every": "meet every N weeks (1 to 8), e.g. every=2",
    "first": "with every=2 or more: the date of one meeting, e.g. first=2026-12-07",
    "digest-lead": "how long before the meeting the digest goes out, e.g. digest-lead=2h",
    "reminder-lead": "how long before the digest reminders go out, e.g. reminder-lead=24h",
    "north-star": 'the team\'s long-term question, e.g. north-star="..." (empty to clear)',
    "admins": "who may change settings, comma-separated ids or names (empty to clear)",
    "name": "the team's name, shown on the digest",
}


@dataclass
class TeamService:
    _repo: Repository
    clock: Clock
    events: Events
    default_timezone: str = DEFAULT_TIMEZONE
    default_team_name: str = DEFAULT_TEAM_NAME

    # -- who is who ------------------------------------------------------------
    def team_for(self, workspace: Workspace) -> Team:
        team = self._repo.team_for_workspace(workspace)
        if team is None:
            team = self._repo.create_team(workspace, self.default_team_name, self.default_timezone, self.clock.now())
        return team

    def get_team(self, team_id: int) -> Team | None:
        return self._repo.get_team(team_id)

    def list_teams(self) -> list[Team]:
        return self._repo.list_teams()

    def find_team(self, key: str) -> Team | None:
        """A team by id or by name (case-insensitive)."""
        return self._repo.find_team(key)

    def member_by_id(self, member_id: int) -> Member | None:
        return self._repo.get_member_by_id(member_id)

    def known_member(self, workspace: Workspace, user_ref: str) -> Member | None:
        """Someone already in the workspace's team; unlike `member_for`, creates nothing."""
        team = self._repo.team_for_workspace(workspace)
        return self._repo.get_member(team.id, user_ref) if team else None

    def member_for(self, actor: Actor, team: Team | None = None) -> Member:
        """The actor's membership, joining the team on first use."""
        team = team or self.team_for(actor.workspace)
        # The platform's name for the person: cleaned, never refused (they did not type it here).
        name = tidy_name(actor.display_name, actor.user_ref, MAX_NAME_CHARS)
        member = self._repo.get_member(team.id, actor.user_ref)
        if member is None:
            tz = platform_zone(actor)
            return self._repo.create_member(team.id, actor.user_ref, name, tz, self.clock.now())
        changes = {}
        if name != member.display_name:
            changes["display_name"] = name
        tz = platform_zone(actor)
        if tz and tz != member.timezone:
            changes["timezone"] = tz
        return self._repo.update_member(member.id, changes) if changes else member

    def set_member_timezone(self, actor: Actor, text: str) -> Member:
        zone = parse_timezone(text)
        member = self.member_for(actor)
        return self._repo.update_member(member.id, {"timezone": zone})

    def member_zone(self, member: Member, team: Team) -> ZoneInfo:
        return ZoneInfo(member.timezone or team.timezone)

    def can_configure(self, actor: Actor, team: Team) -> bool:
        """Workspace admins, and the team's admins by platform user id (never by name)."""
        return actor.is_admin or actor.user_ref in team.admins

    def resolve_member(self, team: Team, typed: str) -> Member:
        """The one member someone means by a mention, a user id or a display name.

        A mention or an id matches that id exactly; a name matches (ignoring case and
        invisible characters) only when exactly one member has it, so nobody can take
        another person's place by choosing their name or their id as a display name.
        """
        text = clean_text(typed, "A member's name or id", MAX_REF_CHARS)
        mention = _MENTION.fullmatch(text)
        ref = mention[1] if mention else text.removeprefix("@")
        if not ref:
            raise UserError("Name a member: a display name, an id or an @mention.")
        member = self._repo.get_member(team.id, ref)
        if member is not None:
            return member
        if mention:
            raise UserError(f"{text} is not a member of this team yet: they need to use `/recap` here once.")
        key = name_key(ref)
        found = [m for m in self._repo.list_members(team.id) if name_key(m.display_name) == key]
        if len(found) == 1:
            return found[0]
        if not found:
            raise UserError(f"No member called {shown(ref)} in this team, nor one with that id. "
                            "Members join by using `/recap` here once; `/recap status` lists them.")
        listed = ", ".join(f"{m.display_name} ({m.user_ref})" for m in found)
        raise UserError(f"Several members are called {shown(ref)}: {listed}. Use the id of the one you mean.")

    def admin_names(self, team: Team) -> dict[str, str]:
        """Display names of the team's admins, by user id (for showing the settings)."""
        admins = set(team.admins)
        return {m.user_ref: m.display_name for m in self._repo.list_members(team.id) if m.user_ref in admins}

    # -- settings --------------------------------------------------------------
    def configure(self, actor: Actor, pairs: list[tuple[str, str]]) -> Team:
        """Apply `key=value` settings all together, or none if any is wrong."""
        team = self.team_for(actor.workspace)
        self.member_for(actor, team)  # whoever uses the bot joins its team
        if not self.can_configure(actor, team):
            raise NotAllowed(settings_refusal())
        changes = self._changes(team, pairs)
        now = self.clock.now()
        before = cycles.next_meeting(team.schedule, now, team.skipped) if team.schedule else None
        team = self._repo.update_team(team.id, changes, now)
        if {"meeting_weekday", "meeting_time", "timezone", "every_weeks", "anchor_date",
                "digest_lead_minutes", "reminder_lead_minutes", "channel"} & changes.keys():
            after = cycles.next_meeting(team.schedule, now, team.skipped) if team.schedule else None
            if before and after and before != after:
                # Recaps already written for the coming meeting follow it to its new time.
                self._repo.move_recaps(team.id, before, after)
            self.events.publish(ScheduleChanged(team))
        return team

    def _changes(self, team: Team, pairs: list[tuple[str, str]]) -> dict:
        if not pairs:
            raise UserError("Nothing to change. " + setup_usage())
        changes: dict = {}
        first: date | None = None
        for key, value in pairs:
            key = key.lower()
            try:
                first = self._change(team, changes, key, value) or first
            except UserError as exc:  # per setting, so a form can show it next to the field
                raise FieldErrors({key: exc.message}) from None
        self._anchor(team, changes, first)
        return changes

    def _change(self, team: Team, changes: dict, key: str, value: str) -> date | None:
        """Check one `key=value` into `changes`; returns the date of first=, which needs the rest."""
        if key == "channel":
            channel = clean_text(value, "channel", MAX_CHANNEL_CHARS)
            if not channel:
                raise UserError("channel needs a channel name or id, e.g. channel=#lab.")
            changes["channel"] = channel
        elif key == "meeting":
            weekday, at = parse_meeting(value)
            changes["meeting_weekday"], changes["meeting_time"] = weekday, at.strftime("%H:%M")
        elif key in ("tz", "timezone"):
            changes["timezone"] = parse_timezone(value)
        elif key == "every":
            changes["every_weeks"] = parse_positive_int(value, "every", 1, 8)
        elif key == "first":
            return parse_date(value)
        elif key in ("digest-lead", "reminder-lead"):
            lead = parse_duration(value, key, MAX_LEAD)
            changes[key.replace("-", "_") + "_minutes"] = int(lead.total_seconds() // 60)
        elif key == "north-star":
            changes["north_star"] = clean_text(value, "north-star", MAX_FIELD_CHARS, multiline=True) or None
        elif key == "admins":
            changes["admins"] = ",".join(self._admin_refs(team, value))
        elif key == "name":
            name = clean_text(value, "name", MAX_NAME_CHARS)
            if not name:
                raise UserError(f"name must be 1 to {MAX_NAME_CHARS} characters.")
            changes["name"] = name
        else:
            raise UserError(f"Unknown setting {shown(key)}. " + setup_usage())
        return None

    def _admin_refs(self, team: Team, value: str) -> list[str]:
        """Every name in `admins=` as a member's user id; one that cannot be resolved refuses all."""
        text = clean_text(value, "admins", MAX_ADMINS_CHARS)
        refs: list[str] = []
        for typed in (part.strip() for part in text.split(",")):
            if typed:
                ref = self.resolve_member(team, typed).user_ref
                if ref not in refs:
                    refs.append(ref)
        return refs

    def _anchor(self, team: Team, changes: dict, first: date | None) -> None:
        """Pin which weeks are meeting weeks when the rhythm changes."""
        weekday = changes.get("meeting_weekday", team.schedule.weekday if team.schedule else None)
        if first is not None:
            if weekday is None:
                raise UserError('first= needs a meeting day: add meeting="Mon 10:00".')
            if first.weekday() != weekday:
                raise UserError(f"first={first} is not on the meeting's weekday.")
            changes["anchor_date"] = first
            return
        rhythm_changed = {"meeting_weekday", "every_weeks", "timezone"} & changes.keys()
        if weekday is None or not rhythm_changed:
            return
        zone = ZoneInfo(changes.get("timezone", team.timezone))
        today = self.clock.now().astimezone(zone).date()
        changes["anchor_date"] = today + timedelta(days=(weekday - today.weekday()) % 7)


def platform_zone(actor: Actor) -> str | None:
    """The timezone the platform gave for the person, if it is a usable IANA name."""
    if not actor.timezone:
        return None
    try:
        return parse_timezone(actor.timezone)
    except UserError:
        return None


def setup_usage() -> str:
    keys = ", ".join(SETUP_KEYS)
    return f'Use `/recap setup key=value ...` with keys {keys}; e.g. `/recap setup meeting="Mon 10:00" tz=Europe/Berlin every=2`.'


def require_schedule(team: Team) -> Schedule:
    if team.schedule is None:
        raise UserError(
            'This team has no meeting time yet. An admin sets it with `/recap setup meeting="Mon 10:00" tz=Europe/Berlin`.'
        )
    return team.schedule


def upcoming_cycle(team: Team, now: datetime) -> Cycle:
    """The cycle a submission made now belongs to: the first meeting after now."""
    return cycle_for_meeting(team, cycles.next_meeting(require_schedule(team), now, team.skipped))


def cycle_for_meeting(team: Team, meeting_at: datetime) -> Cycle:
    schedule = require_schedule(team)
    return Cycle(
        team=team,
        meeting_at=meeting_at,
        digest_at=cycles.digest_time(schedule, meeting_at),
        reminder_at=cycles.reminder_time(schedule, meeting_at),
        previous_meeting_at=cycles.previous_meeting(schedule, meeting_at, team.skipped),
    )
