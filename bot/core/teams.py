"""A group's settings and its members' details (a team is a group; core/groups.py decides
which group a command means and who is in it)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from . import cycles
from .errors import FieldErrors, NotAllowed, UserError
from .events import Events, ScheduleChanged
from .groups import MAX_REF_CHARS, MENTION, ROLE, Groups, can_configure, people_refs
from .model import (
    MAX_FIELD_CHARS,
    Actor,
    Cycle,
    Member,
    Schedule,
    Team,
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
from .validation import clean_text, name_key

MAX_ADMINS_CHARS = 1000  # the whole admins= value: a few dozen names or mentions
MAX_LEAD = timedelta(days=6)
_MENTION = MENTION

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
    "name": "the group's name, shown on the digest",
    "members": "people to add (mentions or ids; on Slack a @user-group; on Discord a @Role, whose holders "
               "join when they first use /recap)",
}


@dataclass
class TeamService:
    _repo: Repository
    clock: Clock
    events: Events
    groups: Groups

    # -- who is who ------------------------------------------------------------
    def get_team(self, team_id: int) -> Team | None:
        return self._repo.get_team(team_id)

    def get_teams(self, team_ids: list[int]) -> list[Team]:
        """Those of these teams that still exist (a scheduler wake-up for many at once)."""
        return self._repo.get_teams(team_ids)

    def list_teams(self) -> list[Team]:
        return self._repo.list_teams()

    def find_team(self, key: str) -> Team | None:
        """A team by id or by name (case-insensitive)."""
        return self._repo.find_team(key)

    def member_by_id(self, member_id: int) -> Member | None:
        return self._repo.get_member_by_id(member_id)

    def member_for(self, actor: Actor, team: Team | None = None) -> Member:
        """The actor's membership in `team` (default: the group they mean), joining it if needed."""
        team = team or self.groups.scope(actor, need_member=False).team
        return self.groups.member_for(actor, team)

    def set_member_timezone(self, actor: Actor, text: str) -> Member:
        """One person, one zone: every membership of theirs in the workspace follows."""
        zone = parse_timezone(text)
        scope = self.groups.scope(actor)
        for member in self.groups.memberships(actor.workspace, actor.user_ref):
            self._repo.update_member(member.id, {"timezone": zone})
        return self._repo.get_member_by_id(scope.member.id)

    def member_zone(self, member: Member, team: Team) -> ZoneInfo:
        return ZoneInfo(member.timezone or team.timezone)

    def can_configure(self, actor: Actor, team: Team) -> bool:
        return can_configure(actor, team)

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
            raise UserError(f"{text} is not a member of {team.name}: `/recap group add {text}` adds them.")
        key = name_key(ref)
        found = [m for m in self._repo.list_members(team.id) if name_key(m.display_name) == key]
        if len(found) == 1:
            return found[0]
        if not found:
            raise UserError(f"No member called {shown(ref)} in {team.name}, nor one with that id. "
                            "People join with `/recap join`; `/recap status` lists the members.")
        listed = ", ".join(f"{m.display_name} ({m.user_ref})" for m in found)
        raise UserError(f"Several members are called {shown(ref)}: {listed}. Use the id of the one you mean.")

    def admin_names(self, team: Team) -> dict[str, str]:
        """Display names of the team's admins, by user id (for showing the settings)."""
        admins = set(team.admins)
        return {m.user_ref: m.display_name for m in self._repo.list_members(team.id) if m.user_ref in admins}

    # -- settings --------------------------------------------------------------
    def setup(self, actor: Actor, pairs: list[tuple[str, str]]) -> tuple[Team, bool]:
        """`/recap setup key=value ...`: configure the group the actor means, or the one made for
        this channel (groups.setup_target); (the group, whether it was just created). All or
        nothing: a group made for settings that are refused goes with them."""
        channel = next((value for key, value in pairs if key.lower() == "channel"), None)
        team, created = self.groups.setup_target(actor, channel)
        try:
            return self.configure(actor, pairs, team), created
        except UserError:
            if created:
                self.groups.delete(actor, team.id)
            raise

    def configure(self, actor: Actor, pairs: list[tuple[str, str]], team: Team | None = None) -> Team:
        """Apply `key=value` settings all together, or none if any is wrong (default: as `setup`).
        `members=` adds people (and a Discord role) once all is checked."""
        if team is None:
            return self.setup(actor, pairs)[0]
        if not can_configure(actor, team):
            raise NotAllowed(settings_refusal())
        people = [value for key, value in pairs if key.lower() == "members"]
        changes = self._changes(team, [(k, v) for k, v in pairs if k.lower() != "members"], allow_empty=bool(people))
        if people:
            self._members_rule(actor, team, people, changes)
        now = self.clock.now()
        before = cycles.next_meeting(team.schedule, now, team.skipped) if team.schedule else None
        team = self._repo.update_team(team.id, changes, now) if changes else team
        refs = [w for value in people for w in _people_words(value) if not ROLE.fullmatch(w)]
        if refs:
            self.groups.add(actor, team, refs)
        if {"meeting_weekday", "meeting_time", "timezone", "every_weeks", "anchor_date",
                "digest_lead_minutes", "reminder_lead_minutes", "channel"} & changes.keys():
            after = cycles.next_meeting(team.schedule, now, team.skipped) if team.schedule else None
            if before and after and before != after:
                # Recaps already written for the coming meeting follow it to its new time.
                self._repo.move_recaps(team.id, before, after)
            self.events.publish(ScheduleChanged(team))
        return team

    def _members_rule(self, actor: Actor, team: Team, values: list[str], changes: dict) -> None:
        """members=: a Discord role (<@&id>) becomes the group's member role; check the people now,
        so that nothing is stored when one of them is not a person."""
        try:
            for value in values:
                words = _people_words(value)
                roles = [ROLE.fullmatch(w)[1] for w in words if ROLE.fullmatch(w)]
                if len(roles) > 1:
                    raise UserError("members= takes one role.")
                if roles:
                    changes["member_role"] = roles[0]
                people_refs([w for w in words if not ROLE.fullmatch(w)])
        except UserError as exc:
            raise FieldErrors({"members": exc.message}) from None

    def _changes(self, team: Team, pairs: list[tuple[str, str]], allow_empty: bool = False) -> dict:
        if not pairs:
            if allow_empty:
                return {}
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
            changes["channel"] = self.groups.check_channel(self.groups.in_workspace(team.workspace), value, team)
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
            changes["name"] = self.groups.check_name(team.workspace, value, team)
        else:
            raise UserError(f"Unknown setting {shown(key)}. " + setup_usage())
        return None

    def _admin_refs(self, team: Team, value: str) -> list[str]:
        """Every name in `admins=` as a member's user id; one that cannot be resolved refuses all."""
        text = clean_text(value, "admins", MAX_ADMINS_CHARS)
        refs: list[str] = []
        for typed in (part.strip() for part in text.split(",")):
            if typed:
                member = self.resolve_member(team, typed)
                if not member.active:
                    raise UserError(f"{member.display_name} left {team.name}; only members can be its admins.")
                ref = member.user_ref
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


def _people_words(value: str) -> list[str]:
    return [w for w in re.split(r"[,\s]+", clean_text(value, "members", MAX_ADMINS_CHARS)) if w]


def setup_usage() -> str:
    keys = ", ".join(SETUP_KEYS)
    return f'Use `/recap setup key=value ...` with keys {keys}; e.g. `/recap setup meeting="Mon 10:00" tz=Europe/Berlin every=2`.'


def require_schedule(team: Team) -> Schedule:
    if team.schedule is None:
        raise UserError(
            f'{team.name} has no meeting time yet. An admin sets it with `/recap setup meeting="Mon 10:00" tz=Europe/Berlin`.'
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
