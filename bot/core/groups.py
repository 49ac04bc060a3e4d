"""Groups: which group a command means, who is in it, making and removing groups.

A workspace (a Slack workspace, a Discord server, the console) holds any number
of groups; a group is a `teams` row, a membership a `members` row. Which group
a command means is decided here and nowhere else, from the Actor's context:

1. an explicit choice (a picker, `--group NAME`): that group;
2. typed in a group's channel: that group;
3. elsewhere: the person's only group; with several, they choose (ChooseGroup);
4. in no group yet: the workspace's only group, else they choose one to join.

Membership is explicit (`/recap join`, an admin's `/recap group add`, the
creator of a group); a Discord role set with `members=@Role` makes its holders
members the first time they use recapbot.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .errors import NotAllowed, UserError
from .model import DEFAULT_TEAM_NAME, DEFAULT_TIMEZONE, MAX_NAME_CHARS, Actor, Member, Team, Workspace
from .parsing import parse_timezone, shown
from .ports import Clock, Repository
from .validation import clean_text, name_key, tidy_name

MAX_CHANNEL_CHARS = 120
MAX_REF_CHARS = 120  # a member's platform id (the column's size)
# A channel as typed or as a platform writes it: Slack <#C123|lab>, Discord <#123>, #lab, C123.
_CHANNEL = re.compile(r"<#([^<>|\s]+)(?:\|[^<>]*)?>")
# A platform mention: Slack <@U123> or <@U123|name>, Discord <@123> or <@!123>; a Discord role <@&123>.
MENTION = re.compile(r"<@!?([^<>|&\s]+)(?:\|[^<>]*)?>")
ROLE = re.compile(r"<@&(\d{1,20})>")


def channel_key(text: str | None) -> str:
    """One comparable form of a channel however it was written ("<#C1|lab>", "#lab", "C1")."""
    text = (text or "").strip()
    match = _CHANNEL.fullmatch(text)
    return (match[1] if match else text.lstrip("#")).casefold()


def can_configure(actor: Actor, team: Team) -> bool:
    """Workspace admins, and the group's admins by platform user id (never by name)."""
    return actor.is_admin or actor.user_ref in team.admins


def describe(team: Team) -> str:
    """'**Reading group** (#papers)': how replies name a group."""
    return f"**{team.name}**" + (f" ({team.channel})" if team.channel else "")


class NoGroup(UserError):
    def __init__(self) -> None:
        super().__init__("There is no recap group in this workspace yet. An admin creates one with `/recap setup` "
                         "in the group's channel, or `/recap group new \"Name\" channel=#...`.")


class ChooseGroup(UserError):
    """The command could mean several groups: the person picks one (a picker, or `--group`)."""

    def __init__(self, groups: list[Team], joining: bool = False):
        self.groups = tuple(groups)
        self.joining = joining
        listed = ", ".join(describe(g) for g in groups)
        if joining:
            text = (f"You are not in a recap group yet. This workspace has {listed}. "
                    "Join one with `/recap join NAME`, or use `/recap join` in the group's channel.")
        else:
            text = (f"You are in several groups: {listed}. Say which one: use the command in the group's "
                    "channel, or add `--group \"NAME\"`.")
        super().__init__(text)


class NotMember(UserError):
    """The command means a group the person is not in: they are offered to join it."""

    def __init__(self, team: Team):
        self.team = team
        super().__init__(f"You are not a member of {describe(team)} yet. "
                         f"Join it with `/recap join {_quoted(team.name)}` (or the Join button).")


def _quoted(name: str) -> str:
    return f'"{name}"' if " " in name else name


@dataclass(frozen=True)
class Scope:
    """What a command is about: the group, the person's membership in it (None for an admin
    who is not in it), in how many groups they are, and notes for the reply."""

    team: Team
    member: Member | None
    groups: int
    notes: tuple[str, ...] = ()

    def say(self, text: str) -> str:
        """Name the group when the person is in more than one; add what happened on the way."""
        if self.groups > 1:
            text = f"_{self.team.name}:_ {text}"
        return "\n".join((*self.notes, text))


@dataclass
class Groups:
    _repo: Repository
    clock: Clock
    default_timezone: str = DEFAULT_TIMEZONE
    default_team_name: str = DEFAULT_TEAM_NAME

    # -- looking groups up -----------------------------------------------------------
    def in_workspace(self, workspace: Workspace) -> list[Team]:
        return self._repo.workspace_teams(workspace)

    def member_counts(self, groups: list[Team]) -> dict[int, int]:
        return self._repo.count_members([g.id for g in groups])

    @staticmethod
    def match(groups: list[Team], key: str) -> Team | None:
        """A group by id or by name (ignoring case and invisible characters)."""
        key = key.strip()
        for group in groups:
            if key == str(group.id):
                return group
        wanted = name_key(key)
        return next((g for g in groups if name_key(g.name) == wanted), None)

    @staticmethod
    def for_channel(groups: list[Team], channel: str | None) -> Team | None:
        key = channel_key(channel)
        return next((g for g in groups if key and g.channel and channel_key(g.channel) == key), None)

    def named(self, groups: list[Team], key: str) -> Team:
        found = self.match(groups, key)
        if found is None:
            listed = ", ".join(describe(g) for g in groups) or "none yet"
            raise UserError(f"No group called {shown(key)} here. Groups in this workspace: {listed}.")
        return found

    def memberships(self, workspace: Workspace, user_ref: str) -> list[Member]:
        """The person's active memberships in the workspace."""
        return [m for m in self._repo.user_memberships(workspace, user_ref) if m.active]

    def known_member(self, workspace: Workspace, user_ref: str, team_id: int | None = None) -> Member | None:
        """An active membership (in the given group, or any); creates nothing."""
        found = [m for m in self.memberships(workspace, user_ref) if team_id is None or m.team_id == team_id]
        return found[0] if found else None

    # -- which group a command means ---------------------------------------------------
    def scope(self, actor: Actor, need_member: bool = True, admins_too: bool = False) -> Scope:
        """The group the actor means and their membership in it.

        need_member: refuse (NotMember, with a join offer) someone not in it, unless
        `admins_too` and they may configure it (a preview, someone's history)."""
        groups, memberships = self._repo.workspace_scope(actor.workspace, actor.user_ref)
        rows = {m.team_id: m for m in memberships}
        notes = self._join_by_role(actor, groups, rows)
        active = [g for g in groups if g.id in rows and rows[g.id].active]
        team = self._pick(actor, groups, active)
        member = rows.get(team.id)
        if member is not None and member.active:
            member = self._refresh(actor, member)
        else:
            member = None
            if need_member and not (admins_too and can_configure(actor, team)):
                raise NotMember(team)
        return Scope(team, member, len(active), tuple(notes))

    def meant(self, actor: Actor) -> Team | None:
        """The group the actor means, or None when that is unclear (for suggestions); creates nothing."""
        try:
            return self.scope(actor, need_member=False).team
        except UserError:
            return None

    def _pick(self, actor: Actor, groups: list[Team], active: list[Team]) -> Team:
        if actor.group:
            return self.named(groups, actor.group)
        here = self.for_channel(groups, actor.channel)
        if here is not None:
            return here
        if len(active) == 1:
            return active[0]
        if active:
            raise ChooseGroup(active)
        if not groups:
            raise NoGroup()
        if len(groups) == 1:
            return groups[0]
        raise ChooseGroup(groups, joining=True)

    def _join_by_role(self, actor: Actor, groups: list[Team], rows: dict[int, Member]) -> list[str]:
        """Discord: a group whose members= role the person holds takes them in on first use
        (someone who left stays out: leaving was their choice)."""
        notes = []
        for group in groups:
            if group.member_role and group.member_role in actor.roles and group.id not in rows:
                rows[group.id] = self._activate(group, actor.user_ref, actor.display_name, platform_zone(actor))
                notes.append(f"You hold the role <@&{group.member_role}>, so you are now a member of "
                             f"{describe(group)}. `/recap leave` takes you out.")
        return notes

    # -- membership ----------------------------------------------------------------------
    def _refresh(self, actor: Actor, member: Member) -> Member:
        """Keep the name and timezone the platform gives up to date."""
        changes = {}
        name = tidy_name(actor.display_name, actor.user_ref, MAX_NAME_CHARS)
        if name != member.display_name:
            changes["display_name"] = name
        tz = platform_zone(actor)
        if tz and tz != member.timezone:
            changes["timezone"] = tz
        return self._repo.update_member(member.id, changes) if changes else member

    def _activate(self, team: Team, user_ref: str, display_name: str, tz: str | None) -> Member:
        """Make someone a member (again): a new row, or a left one taken back."""
        name = tidy_name(display_name, user_ref, MAX_NAME_CHARS)
        member = self._repo.get_member(team.id, user_ref)
        if member is None:
            return self._repo.create_member(team.id, user_ref, name, tz, self.clock.now())
        if not member.active:
            return self._repo.update_member(member.id, {"left_at": None, "joined_at": self.clock.now()})
        return member

    def member_for(self, actor: Actor, team: Team) -> Member:
        """The actor's membership in `team`, joining it if they are not in it."""
        member = self._activate(team, actor.user_ref, actor.display_name, platform_zone(actor))
        return self._refresh(actor, member)

    def join(self, actor: Actor, key: str | None = None) -> tuple[Scope, bool]:
        """`/recap join [group]`: (the scope, whether they were not in it before)."""
        if key:
            actor = replace(actor, group=key)
        scope = self.scope(actor, need_member=False)
        if scope.member is not None:
            return scope, False
        member = self.member_for(actor, scope.team)
        return replace(scope, member=member, groups=scope.groups + 1), True

    def leave(self, actor: Actor, key: str | None = None) -> Team:
        if key:
            actor = replace(actor, group=key)
        scope = self.scope(actor)
        self._repo.update_member(scope.member.id, {"left_at": self.clock.now()})
        return scope.team

    def add(self, actor: Actor, team: Team, typed: list[str]) -> tuple[list[str], list[str]]:
        """An admin adds people by mention or id: (names added, names already in)."""
        if not can_configure(actor, team):
            raise NotAllowed("Only workspace admins or this group's admins can add or remove members.")
        names = dict(actor.mentioned)
        added, already = [], []
        for ref in people_refs(typed):
            existing = self._repo.get_member(team.id, ref)
            if existing is not None and existing.active:
                already.append(existing.display_name)
                continue
            member = self._activate(team, ref, names.get(ref) or (existing.display_name if existing else ref), None)
            added.append(member.display_name)
        return added, already

    def remove(self, actor: Actor, team: Team, typed: list[str], resolve) -> list[str]:
        """An admin takes people out (their recaps stay, as when someone leaves)."""
        if not can_configure(actor, team):
            raise NotAllowed("Only workspace admins or this group's admins can add or remove members.")
        removed = []
        for word in typed:
            member = resolve(team, word)
            if member.active:
                self._repo.update_member(member.id, {"left_at": self.clock.now()})
                removed.append(member.display_name)
        return removed

    # -- making, renaming and deleting groups -----------------------------------------------
    def create(self, actor: Actor, name: str, channel: str | None = None) -> Team:
        """A new group (workspace admins); its creator is its first member."""
        if not actor.is_admin:
            raise NotAllowed("Only workspace admins can create groups.")
        name = self.check_name(actor.workspace, name)
        groups = self.in_workspace(actor.workspace)
        channel = self.check_channel(groups, channel, None)
        team = self._repo.create_team(actor.workspace, name, self.default_timezone, self.clock.now(), channel)
        if team is None:
            raise UserError(f"This workspace already has a group called {shown(name)}.")
        self.member_for(actor, team)
        return team

    def setup_target(self, actor: Actor, channel: str | None = None) -> tuple[Team, bool]:
        """What `/recap setup` configures: (the group, whether it was just created for it).

        The group the actor means (a choice, the channel it is typed in, or the one named by
        `channel=`). An admin creates a group for a channel no group uses: when the
        workspace has none, or when every group already has its own channel (a group
        without one, such as a team from before groups, is configured instead)."""
        groups = self.in_workspace(actor.workspace)
        if actor.group:
            return self.named(groups, actor.group), False
        for where in (actor.channel, channel):
            found = self.for_channel(groups, where)
            if found is not None:
                return found, False
        if not groups and not actor.is_admin:
            raise NotAllowed("Only workspace admins can create groups: ask one to run `/recap setup` in the "
                             "group's channel.")
        unbound = any(g.channel is None for g in groups)
        if actor.is_admin and (not groups or (actor.channel and not unbound)):
            here = channel or actor.channel
            wanted = actor.channel_name if here == actor.channel and actor.channel_name else self.default_team_name
            return self.create(actor, self._free_name(groups, wanted), here), True
        return self.scope(actor, need_member=False).team, False

    def _free_name(self, groups: list[Team], wanted: str) -> str:
        base = tidy_name(wanted, self.default_team_name, MAX_NAME_CHARS - 3)
        taken = {name_key(g.name) for g in groups}
        name, n = base, 2
        while name_key(name) in taken:
            name, n = f"{base} {n}", n + 1
        return name

    def check_name(self, workspace: Workspace, value: str, team: Team | None = None) -> str:
        name = clean_text(value, "name", MAX_NAME_CHARS)
        if not name:
            raise UserError(f"A group's name must be 1 to {MAX_NAME_CHARS} characters.")
        clash = self.match([g for g in self.in_workspace(workspace) if team is None or g.id != team.id], name)
        if clash is not None and name_key(clash.name) == name_key(name):
            raise UserError(f"This workspace already has a group called {shown(clash.name)}.")
        return name

    def check_channel(self, groups: list[Team], value: str | None, team: Team | None) -> str | None:
        """A digest channel no other group of the workspace uses (it decides which group a command means)."""
        if value is None:
            return None
        channel = clean_text(value, "channel", MAX_CHANNEL_CHARS)
        if not channel:
            raise UserError("channel needs a channel name or id, e.g. channel=#lab.")
        other = self.for_channel([g for g in groups if team is None or g.id != team.id], channel)
        if other is not None:
            raise UserError(f"{channel} is already the channel of {describe(other)}; each group has its own.")
        return channel

    def delete_preview(self, actor: Actor, key: str) -> tuple[Team, dict[str, int]]:
        team = self.named(self.in_workspace(actor.workspace), key)
        if not can_configure(actor, team):
            raise NotAllowed("Only workspace admins or this group's admins can delete it.")
        return team, self._repo.count_team_records(team.id)

    def delete(self, actor: Actor, team_id: int) -> tuple[str, dict[str, int]]:
        team = self.match(self.in_workspace(actor.workspace), str(team_id))
        if team is None:
            raise UserError("That group is already gone; nothing was done.")
        if not can_configure(actor, team):
            raise NotAllowed("Only workspace admins or this group's admins can delete it.")
        return team.name, self._repo.delete_team(team.id)


def people_refs(typed: list[str]) -> list[str]:
    """User ids from mentions or ids, split on commas and spaces (a Slack user group
    arrives expanded by the adapter as "U1,U2,...")."""
    refs: list[str] = []
    for word in typed:
        for part in re.split(r"[,\s]+", word):
            if not part:
                continue
            part = clean_text(part, "A member", MAX_REF_CHARS)
            match = MENTION.fullmatch(part)
            ref = match[1] if match else part.removeprefix("@")
            if not ref or ROLE.fullmatch(part):
                raise UserError(f"{shown(part)} is not a person: use @mentions or user ids.")
            if ref not in refs:
                refs.append(ref)
    return refs


def platform_zone(actor: Actor) -> str | None:
    """The timezone the platform gave for the person, if it is a usable IANA name."""
    if not actor.timezone:
        return None
    try:
        return parse_timezone(actor.timezone)
    except UserError:
        return None

