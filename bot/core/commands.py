"""The `/recap` command set, the same words in Slack, Discord and the console.

`parse` turns the text after `/recap` into a command name and words;
`CommandHandler.handle` runs it against the core and returns a Reply.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from . import texts
from .errors import UserError
from .group_questions import question_number
from .groups import ChooseGroup, NotMember, Scope, platform_zone
from .guard import guard
from .model import MAX_FIELD_CHARS, MAX_NAME_CHARS, Actor, FigureUpload, RecapDraft
from .parsing import parse_date, parse_positive_int, shown, split_args, split_words
from .privacy import DELETE_GROUP, FORGET
from .replies import (
    ChooseGroupReply,
    ConfirmReply,
    DigestReply,
    FileReply,
    FormErrors,
    FormReply,
    JoinReply,
    Reply,
    SettingsReply,
    TextReply,
)
from .service import Core
from .teams import setup_usage, upcoming_cycle


@dataclass(frozen=True)
class CommandSpec:
    name: str
    usage: str
    summary: str
    admin: bool = False


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("submit", "/recap [submit]", "open the recap form for the coming meeting"),
    CommandSpec("question", "/recap question [text]", "show or change your big-picture question"),
    CommandSpec("away", "/recap away until YYYY-MM-DD [reason] | /recap away 2w [reason]",
                "mark yourself away: no reminders, shown as away"),
    CommandSpec("back", "/recap back", "end your away period"),
    CommandSpec("status", "/recap status", "who has submitted for the coming meeting, when the digest goes out"),
    CommandSpec("digest", "/recap digest", "preview the coming digest (only you see it)"),
    CommandSpec("history", "/recap history [member] [n]", "the last n recaps and how the question evolved"),
    CommandSpec("milestone", '/recap milestone add "..." by YYYY-MM-DD | done N | drop N',
                "`/recap milestones [member]` lists them"),
    CommandSpec("questions", "/recap questions", "the open questions"),
    CommandSpec("answered", "/recap answered N [note]", "close question #N"),
    CommandSpec("search", "/recap search <words> [--member M] [--field F] [--since DATE]",
                'search recaps and answers ("a phrase"; F: progress|failures|questions|plan)'),
    CommandSpec("timezone", "/recap timezone [Area/City]", "show or set your own timezone"),
    CommandSpec("schedule", "/recap schedule", "the next meetings, reminder and digest times"),
    CommandSpec("setup", "/recap setup [key=value ...]",
                "show or change the group's settings; in a channel with no group, create one for it", admin=True),
    CommandSpec("skip-meeting", "/recap skip-meeting YYYY-MM-DD", "cancel one meeting; its recaps count for the next",
                admin=True),
    CommandSpec("groups", "/recap groups", "the workspace's groups: channel, meeting, members"),
    CommandSpec("join", "/recap join [group]", "join a group (the one of this channel by default)"),
    CommandSpec("leave", "/recap leave [group]", "leave a group; your recaps stay"),
    CommandSpec("group", '/recap group new "Name" [channel=#... meeting="Thu 16:00" ...] | rename [old] new '
                         "| delete NAME | add @alice @bob | remove @bob",
                "create, rename or delete a group; add or remove members", admin=True),
    CommandSpec("deck", "/recap deck [me] [pptx]",
                "a private link to your group's rolling deck (me: only your slides; pptx: as a PowerPoint file)"),
    CommandSpec("export", "/recap export", "get everything recapbot stores about you here, as JSON and Markdown"),
    CommandSpec("forget-me", "/recap forget-me", "delete everything recapbot stores about you here (asks first)"),
    CommandSpec("help", "/recap help", "this list"),
)
BY_NAME = {spec.name: spec for spec in COMMANDS}
SUBMIT_FLAGS = {
    "--question": "question", "--progress": "progress", "--failures": "failures", "--questions": "questions",
    "--plan": "plan",
}
HISTORY_DEFAULT, HISTORY_MAX = 5, 20
MAX_NUMBER = 1_000_000  # a milestone's or a question's number
GROUP_ACTIONS = ("new", "rename", "delete", "add", "remove")
# `--group NAME` (or --group="A name") picks the group for any command.
_GROUP_OPTION = re.compile(r"""(?:^|\s)--group(?:=|\s+)(?:"([^"]*)"|'([^']*)'|(\S+))""")
# Room for a full `submit` with five fields at their limit, quotes and flags.
MAX_COMMAND_CHARS = 6 * MAX_FIELD_CHARS
TRUE_WORDS, FALSE_WORDS = ("true", "yes", "1"), ("false", "no", "0")
FREE_TEXT = ("question", "search")  # commands that read what was typed as it is (search: its own quotes)
PROSE = ("milestone", "answered")  # titles and notes: an apostrophe is part of a word
ALIASES = {"milestones": ("milestone", "list")}


@dataclass(frozen=True)
class Parsed:
    name: str
    words: list[str]
    rest: str  # the raw text after the command name, for free text
    group: str | None = None  # --group NAME
    figures: tuple[FigureUpload, ...] = ()  # images the platform handed over with `submit`


def pop_group(text: str) -> tuple[str, str | None]:
    """Take `--group NAME` out of a command's text: (the rest, the name)."""
    match = _GROUP_OPTION.search(text.translate({0x201C: '"', 0x201D: '"'}))
    if match is None:
        return text, None
    name = next(g for g in match.groups() if g is not None).strip()
    if not name or len(name) > MAX_NAME_CHARS:
        raise UserError("--group needs the group's name, e.g. --group \"Reading group\".")
    return (text[:match.start()] + " " + text[match.end():]).strip(), name


def parse(text: str) -> Parsed:
    """Split `/recap <name> <args>`; a leading '/recap' is optional."""
    if len(text) > MAX_COMMAND_CHARS:
        raise UserError(f"That command is {len(text):,} characters long; the limit is {MAX_COMMAND_CHARS:,}.")
    stripped = text.strip()
    if stripped.lower().startswith("/recap"):
        stripped = stripped[len("/recap"):].strip()
    stripped, group = pop_group(stripped)
    parsed = _parse(stripped)
    return replace(parsed, group=group) if group else parsed


def _parse(stripped: str) -> Parsed:
    if not stripped:
        return Parsed("submit", [], "")
    head, _, rest = stripped.partition(" ")
    name = head.lower()
    if name.startswith("--"):  # `/recap --progress ...` means submit
        return Parsed("submit", split_args(stripped), stripped)
    if name in ALIASES:  # `/recap milestones alice` is `/recap milestone list alice`
        name, rest = ALIASES[name][0], f"{ALIASES[name][1]} {rest}"
    if name not in BY_NAME:
        raise UserError(f"Unknown command {shown(head)}. " + short_help())
    rest = rest.strip()
    words = [] if name in FREE_TEXT else split_words(rest) if name in PROSE else split_args(rest)
    return Parsed(name, words, rest)


def short_help() -> str:
    return "Commands: " + ", ".join(f"`{spec.name}`" for spec in COMMANDS) + ". `/recap help` explains each."


def full_help() -> str:
    lines = ["**recapbot** keeps the group up to date before each meeting.", ""]
    for spec in COMMANDS:
        lines.append(f"- `{spec.usage}`: {spec.summary}" + (" (admins)" if spec.admin else ""))
    return "\n".join(lines)


def parse_milestone_numbers(text: str) -> tuple[int, ...]:
    """'1 3', '#1, #3' -> (1, 3): the numbers `/recap milestones` shows."""
    numbers = []
    for word in text.replace(",", " ").split():
        numbers.append(parse_positive_int(word.removeprefix("#"), "A milestone's number", 1, MAX_NUMBER))
    return tuple(dict.fromkeys(numbers))


def parse_submit_flags(words: list[str]) -> RecapDraft:
    values: dict[str, str] = {}
    figuring = False
    done: list[int] = []
    i = 0
    while i < len(words):
        word = words[i]
        flag, eq, inline = word.partition("=")
        if flag == "--figuring-it-out":
            figuring = _yes_no(flag, inline) if eq else True
            i += 1
            continue
        if flag == "--done":  # a milestone reached, by its number; may be given more than once
            if not eq and i + 1 >= len(words):
                raise UserError("--done needs a milestone's number, e.g. --done 2.")
            done += parse_milestone_numbers(inline if eq else words[i + 1])
            i += 1 if eq else 2
            continue
        if flag not in SUBMIT_FLAGS:
            raise UserError(f"Unknown option {shown(word)}. Use `{texts.SUBMIT_USAGE}`.")
        if eq:
            value = inline
            i += 1
        else:
            if i + 1 >= len(words):
                raise UserError(f"{flag} needs a value, e.g. {flag} \"...\".")
            value = words[i + 1]
            i += 2
        values[SUBMIT_FLAGS[flag]] = value
    return RecapDraft(figuring_it_out=figuring, milestones_done=tuple(dict.fromkeys(done)), **values)


def _yes_no(flag: str, value: str) -> bool:
    word = value.strip().lower()
    if word in TRUE_WORDS or word in FALSE_WORDS:
        return word in TRUE_WORDS
    raise UserError(f"{flag}={shown(value)}: use {flag} (or ={'/'.join(TRUE_WORDS)}) or {flag}={'/'.join(FALSE_WORDS)}.")


class CommandHandler:
    def __init__(self, core: Core):
        self.core = core
        # Every CommandSpec name, and its handler (tests/test_command_set.py checks they match).
        self.handlers: dict[str, Callable[[Actor, Parsed], Reply]] = {
            "submit": self._submit,
            "question": self._question,
            "away": self._away,
            "back": self._back,
            "status": self._status,
            "digest": self._digest,
            "history": self._history,
            "milestone": self._milestone,
            "questions": self._questions,
            "answered": self._answered,
            "search": self._search,
            "timezone": self._timezone,
            "schedule": self._schedule,
            "setup": self._setup,
            "skip-meeting": self._skip_meeting,
            "groups": self._groups,
            "join": self._join,
            "leave": self._leave,
            "group": self._group,
            "deck": self._deck,
            "export": self._export,
            "forget-me": self._forget_me,
            "help": self._help,
        }

    def handle(self, actor: Actor, text: str) -> Reply:
        """Run one command; a person's mistake becomes a friendly reply, our own failure a
        short apology (core/guard.py), never an exception."""
        with guard("/recap command") as failure:
            try:
                parsed = parse(text)
                failure.what = f"/recap {parsed.name}"  # the command, never what was typed
                return self._dispatch(actor, parsed)
            except UserError as exc:
                return TextReply(exc.message, ok=False)
        return TextReply(failure.message, ok=False)

    def _dispatch(self, actor: Actor, parsed: Parsed) -> Reply:
        """Run a parsed command; not knowing the group becomes a picker or a join offer.
        One command, one unit of work: its reads and writes share a connection and commit together."""
        if parsed.group:
            actor = replace(actor, group=parsed.group)
        try:
            return self.core.unit(self.handlers[parsed.name], actor, parsed)
        except NotMember as exc:
            return JoinReply(exc.message, exc.team.id, exc.team.name, then=parsed.name)
        except ChooseGroup as exc:
            return ChooseGroupReply(exc.message, tuple((g.id, g.name) for g in exc.groups), parsed.name,
                                    joining=exc.joining)

    def run(self, actor: Actor, name: str, words: list[str] | None = None, rest: str | None = None,
            figures: tuple[FigureUpload, ...] = ()) -> Reply:
        """Run a command whose arguments are already split (typed options, as on Discord),
        so values with spaces or quotes need no quoting round-trip; same rules as `handle`.
        `figures` go with `submit` (the console's --figure files, Discord's image options)."""
        with guard(f"/recap {name}" if name in BY_NAME else "/recap command") as failure:
            try:
                if name not in BY_NAME:
                    raise UserError(f"Unknown command {shown(name)}. " + short_help())
                words = list(words or [])
                parsed = Parsed(name, words, " ".join(words) if rest is None else rest.strip(),
                                figures=tuple(figures))
                return self._dispatch(actor, parsed)
            except UserError as exc:
                return TextReply(exc.message, ok=False)
        return TextReply(failure.message, ok=False)

    def confirm(self, actor: Actor, action: str) -> Reply:
        """The person confirmed a ConfirmReply (its `action`): only this runs what it asked."""
        return self.core.unit(self._confirmed, actor, action)  # one unit of work

    def _confirmed(self, actor: Actor, action: str) -> Reply:
        try:
            action = self.core.privacy.confirmed(action)  # forget-me and deleting a group ask first
            if action.startswith(DELETE_GROUP):
                return TextReply(texts.group_deleted(*self.core.groups.delete(actor, int(action[len(DELETE_GROUP):]))))
            return TextReply(texts.forgotten(self.core.privacy.forget(actor.workspace, actor.user_ref)))
        except UserError as exc:
            return TextReply(exc.message, ok=False)

    def join(self, actor: Actor, group_id: int) -> Reply:
        """The Join button of a JoinReply, or a picker choice that joins."""
        return self.run(actor, "join", [str(group_id)])

    # -- one method per command ------------------------------------------------
    def _submit(self, actor: Actor, cmd: Parsed) -> Reply:
        if not cmd.words and not cmd.figures:
            return FormReply(self.core.recaps.form(actor))
        draft = replace(parse_submit_flags(cmd.words), figures=cmd.figures)  # no --question: the current one stands
        reply = self.core.submit_recap(actor, draft)
        return TextReply(reply.text, ok=False) if isinstance(reply, FormErrors) else reply

    def _question(self, actor: Actor, cmd: Parsed) -> Reply:
        scope = self._scope(actor)
        if not cmd.rest:
            current = self.core.recaps.current_question(scope)
            if current is None:
                return self._say(scope, "You have no big-picture question yet. Set one with `/recap question <text>`.")
            return self._say(scope,
                f"**Your big-picture question** (since {current.set_at.astimezone(self._zone(scope)):%Y-%m-%d}): "
                f"{current.text}\nChange it with `/recap question <text>`; `/recap history` shows how it evolved."
            )
        text = cmd.rest.translate({0x201C: '"', 0x201D: '"'}).strip()
        if len(text) >= 2 and text[0] == text[-1] == '"':
            text = text[1:-1]
        version, changed = self.core.recaps.set_question(scope, text)
        if not changed:
            return self._say(scope, "That is already your big-picture question; nothing changed.")
        return self._say(scope, f"Your big-picture question is now: {version.text}\nYour next recap starts from it; "
                                "`/recap history` keeps the earlier ones.")

    def _away(self, actor: Actor, cmd: Parsed) -> Reply:
        scope = self._scope(actor)
        away = self.core.recaps.away(scope, cmd.words)
        return self._say(scope, f"You are {texts.describe_away(away)}. No reminders until then; "
                                "the digest shows you as away.")

    def _back(self, actor: Actor, cmd: Parsed) -> Reply:
        self._no_args(cmd)
        scope = self._scope(actor)
        ended = self.core.recaps.back(scope)
        if not ended:
            return self._say(scope, "You were not marked away; nothing changed.")
        return self._say(scope, "Welcome back! Reminders are on again.")

    def _status(self, actor: Actor, cmd: Parsed) -> Reply:
        self._no_args(cmd)
        scope = self._scope(actor, admins_too=True)
        part = self.core.upcoming_participation(scope.team)
        return self._say(scope, texts.status(scope.team, part, scope.member, self.core.clock.now(), self._zone(scope)))

    def _digest(self, actor: Actor, cmd: Parsed) -> Reply:
        """A preview, for the group's members and admins only."""
        self._no_args(cmd)
        scope = self._scope(actor, admins_too=True)
        return DigestReply(self.core.upcoming_digest(scope.team), note=scope.say("_Preview: only you can see this._"))

    def _history(self, actor: Actor, cmd: Parsed) -> Reply:
        who, limit = None, HISTORY_DEFAULT
        words = list(cmd.words)
        if words and words[-1].isascii() and words[-1].isdigit():
            limit = parse_positive_int(words.pop(), "n", 1, HISTORY_MAX)
        if len(words) > 1:
            raise UserError("Use `/recap history [member] [n]`, e.g. `/recap history alice 3`.")
        if words:
            who = words[0]
        # Someone else's recaps: for the group's members and its admins only.
        scope = self._scope(actor, admins_too=bool(who))
        result = self.core.recaps.history(scope, who, limit)
        return self._say(scope, texts.history(result, self._zone(scope)))

    def _milestone(self, actor: Actor, cmd: Parsed) -> Reply:
        verb, args = (cmd.words[0].lower(), cmd.words[1:]) if cmd.words else ("", [])
        if verb in ("", "list"):
            return self._milestones(actor, args)
        if verb not in ("add", "done", "drop"):
            raise UserError(f"Unknown {shown(verb)}. Use `{BY_NAME['milestone'].usage}`.")
        scope = self._scope(actor)
        if verb == "add":
            return self._say(scope, texts.milestone_added(self.core.milestones.add(scope, args)))
        m = self.core.milestones.close(scope, args, verb)
        return self._say(scope, f"Milestone #{m.number} ({m.title}) is " + (
            "reached. Well done! The next digest says so." if verb == "done" else "dropped."))

    def _milestones(self, actor: Actor, words: list[str]) -> Reply:
        if len(words) > 1:
            raise UserError("Use `/recap milestones [member]`, e.g. `/recap milestones alice`.")
        scope = self._scope(actor, admins_too=bool(words))  # someone else's: members and admins
        listing = self.core.milestones.listing(scope, words[0] if words else None)
        zone = self._zone(scope)
        mine = listing.member.user_ref == actor.user_ref
        return self._say(scope, texts.milestones(listing, mine, self.core.clock.now().astimezone(zone).date()))

    def _questions(self, actor: Actor, cmd: Parsed) -> Reply:
        self._no_args(cmd)
        scope = self._scope(actor, admins_too=True)
        return self._say(scope, texts.open_questions(self.core.questions.open_questions(scope), self._zone(scope)))

    def _answered(self, actor: Actor, cmd: Parsed) -> Reply:
        if not cmd.words:
            raise UserError("Use `/recap answered N [note]` with the number `/recap questions` shows.")
        number = question_number(cmd.words[0])
        scope = self._scope(actor, admins_too=True)
        question = self.core.questions.answer(scope, number=number, note=" ".join(cmd.words[1:]))
        return self._say(scope, texts.question_answered(question))

    def _search(self, actor: Actor, cmd: Parsed) -> Reply:
        scope = self._scope(actor, admins_too=True)
        results = self.core.search.search(scope, cmd.rest)
        return self._say(scope, texts.search_results(results, self._zone(scope)))

    def _timezone(self, actor: Actor, cmd: Parsed) -> Reply:
        if not cmd.words:
            scope = self._scope(actor)
            mine = scope.member.timezone or f"{scope.team.timezone} (the group's)"
            return TextReply(f"Your timezone: {mine}. Change it with `/recap timezone Europe/Berlin`.")
        if platform_zone(actor):
            raise UserError(
                f"Your timezone follows your profile in this chat app (now {platform_zone(actor)}); "
                "change it there and recapbot picks it up."
            )
        if len(cmd.words) != 1:
            raise UserError("Use `/recap timezone Area/City`, e.g. `/recap timezone America/New_York`.")
        member = self.core.teams.set_member_timezone(actor, cmd.words[0])
        return TextReply(f"Your timezone is now {member.timezone}.")

    def _schedule(self, actor: Actor, cmd: Parsed) -> Reply:
        self._no_args(cmd)
        scope = self._scope(actor, need_member=False)
        team = scope.team
        now = self.core.clock.now()
        zone = self._zone(scope)
        cycle = upcoming_cycle(team, now)
        schedule = team.schedule
        lines = [f"**{team.name}** meets {schedule.describe()}."]
        if cycle.reminder_at > now:
            lines.append(f"- Reminders: {texts.when(cycle.reminder_at.astimezone(zone))} ({texts.relative(cycle.reminder_at, now)})")
        lines.append(f"- Digest: {texts.when(cycle.digest_at.astimezone(zone))} ({texts.relative(cycle.digest_at, now)})")
        lines.append(f"- Meeting: {texts.when(cycle.meeting_at.astimezone(zone))} ({texts.relative(cycle.meeting_at, now)})")
        upcoming_skips = sorted(d for d in team.skipped if d >= now.astimezone(ZoneInfo(team.timezone)).date())
        if upcoming_skips:
            lines.append("- Skipped: " + ", ".join(f"{d:%a %Y-%m-%d}" for d in upcoming_skips))
        return TextReply("\n".join(lines))

    def _setup(self, actor: Actor, cmd: Parsed) -> Reply:
        pairs = self._pairs(cmd.words)  # checked before a group is made for this channel
        if pairs:
            team, created = self.core.teams.setup(actor, pairs)
            return TextReply("\n".join(filter(None, (texts.created(team) if created else "", self._saved(team)))))
        team, created = self.core.groups.setup_target(actor)
        note = texts.created(team) if created else ""
        can = self.core.teams.can_configure(actor, team)
        names = self.core.teams.admin_names(team)
        return SettingsReply(team, "\n".join(filter(None, (note, texts.settings(team, names), setup_usage()))),
                             can_edit=can, admin_names=names, note=note)

    def _saved(self, team) -> str:
        # Admins are shown with their ids: that says whom each name resolved to.
        reply = texts.saved(team, self.core.teams.admin_names(team))
        if team.schedule:
            cycle = upcoming_cycle(team, self.core.clock.now())
            reply += f"\nNext meeting: {texts.when(cycle.meeting_at.astimezone(ZoneInfo(team.timezone)))}."
        return reply

    @staticmethod
    def _pairs(words: list[str]) -> list[tuple[str, str]]:
        pairs = []
        for word in words:
            key, eq, value = word.partition("=")
            if not eq or not key:
                raise UserError(f"{shown(word)} is not key=value. " + setup_usage())
            pairs.append((key, value))
        return pairs

    # -- groups ------------------------------------------------------------------
    def _groups(self, actor: Actor, cmd: Parsed) -> Reply:
        self._no_args(cmd)
        groups = self.core.groups.in_workspace(actor.workspace)
        mine = {m.team_id for m in self.core.groups.memberships(actor.workspace, actor.user_ref)}
        return TextReply(texts.groups_list(groups, self.core.groups.member_counts(groups), mine))

    def _join(self, actor: Actor, cmd: Parsed) -> Reply:
        scope, new = self.core.groups.join(actor, " ".join(cmd.words) or None)
        return TextReply("\n".join((*scope.notes, texts.joined(scope.team, new))))

    def _leave(self, actor: Actor, cmd: Parsed) -> Reply:
        return TextReply(texts.left(self.core.groups.leave(actor, " ".join(cmd.words) or None)))

    def _group(self, actor: Actor, cmd: Parsed) -> Reply:
        action = cmd.words[0].lower() if cmd.words else ""
        args = cmd.words[1:]
        if action not in GROUP_ACTIONS:
            raise UserError(f"Use `{BY_NAME['group'].usage}`.")
        groups = self.core.groups
        if action == "new":
            names = [w for w in args if "=" not in w]
            if len(names) != 1:
                raise UserError('Name the new group once, in quotes if it has spaces: `/recap group new "Reading group" '
                                'channel=#papers meeting="Thu 16:00"`.')
            pairs = self._pairs([w for w in args if "=" in w])
            channel = next((v for k, v in pairs if k.lower() == "channel"), None)
            team = groups.create(actor, names[0], channel)
            rest = [(k, v) for k, v in pairs if k.lower() != "channel"]
            if rest:
                try:
                    team = self.core.teams.configure(actor, rest, team)
                except UserError:
                    groups.delete(actor, team.id)  # all or nothing
                    raise
            return TextReply(texts.created(team) + "\n" + self._saved(team))
        if action == "delete":
            if not args:
                raise UserError("Name the group to delete: `/recap group delete NAME`.")
            team, counts = groups.delete_preview(actor, " ".join(args))
            return ConfirmReply(texts.delete_group_question(team, counts),
                                self.core.privacy.confirmation(f"{DELETE_GROUP}{team.id}"),
                                "Delete the group", "Nothing was deleted.")
        if action == "rename":
            if len(args) not in (1, 2):
                raise UserError('Use `/recap group rename "New name"` (this group) or '
                                '`/recap group rename "Old name" "New name"`.')
            if len(args) == 2:
                actor = replace(actor, group=args[0])
            team = self.core.teams.configure(actor, [("name", args[-1])])
            return TextReply(f"Renamed: the group is now **{team.name}**.")
        team = self._scope(actor, need_member=False).team
        if not args:
            raise UserError(f"Name the people: `/recap group {action} @alice @bob`.")
        if action == "add":
            return TextReply(texts.people_added(team, *groups.add(actor, team, args)))
        return TextReply(texts.people_removed(team, groups.remove(actor, team, args, self.core.teams.resolve_member)))

    def _skip_meeting(self, actor: Actor, cmd: Parsed) -> Reply:
        if len(cmd.words) != 1:
            raise UserError("Use `/recap skip-meeting YYYY-MM-DD`, e.g. `/recap skip-meeting 2026-12-28`.")
        day = parse_date(cmd.words[0])
        self.core.skip_meeting(actor, day)
        return TextReply(f"The meeting on {day:%a %Y-%m-%d} is skipped: no reminders, no digest; "
                         "recaps written for it count for the next meeting.")

    def _deck(self, actor: Actor, cmd: Parsed) -> Reply:
        words = [w.lower() for w in cmd.words]
        unknown = [w for w in words if w not in ("me", "pptx")]
        if unknown:
            raise UserError(f"Unknown option {shown(unknown[0])}. Use `{BY_NAME['deck'].usage}`.")
        mine = "me" in words
        scope = self._scope(actor)
        if "pptx" in words:
            attachment = self.core.deck.export_file(scope, "pptx", mine)
            return FileReply(texts.deck_file_note(mine), (attachment,), sent=texts.DECK_FILE_SENT)
        url, expires = self.core.deck.link(scope, mine)
        return TextReply(texts.deck_link(url, expires.astimezone(self._zone(scope)), mine))

    def _export(self, actor: Actor, cmd: Parsed) -> Reply:
        self._no_args(cmd)
        files = self.core.privacy.export_person(actor.workspace, actor.user_ref)
        return FileReply(texts.EXPORT_NOTE, files) if files else TextReply(texts.NOTHING_STORED)

    def _forget_me(self, actor: Actor, cmd: Parsed) -> Reply:
        self._no_args(cmd)
        counts = self.core.privacy.forget_preview(actor.workspace, actor.user_ref)
        if not counts:
            return TextReply(texts.NOTHING_STORED)
        return ConfirmReply(texts.forget_question(counts), self.core.privacy.confirmation(FORGET),
                            texts.FORGET_CONFIRM_LABEL, texts.FORGET_CANCELLED)

    def _help(self, actor: Actor, cmd: Parsed) -> Reply:
        return TextReply(full_help())

    # -- helpers ---------------------------------------------------------------
    def _scope(self, actor: Actor, need_member: bool = True, admins_too: bool = False) -> Scope:
        return self.core.groups.scope(actor, need_member=need_member, admins_too=admins_too)

    @staticmethod
    def _say(scope: Scope, text: str) -> TextReply:
        return TextReply(scope.say(text))

    def _zone(self, scope: Scope) -> ZoneInfo:
        if scope.member is None:
            return ZoneInfo(scope.team.timezone)
        return self.core.teams.member_zone(scope.member, scope.team)

    @staticmethod
    def _no_args(cmd: Parsed) -> None:
        if cmd.words:
            raise UserError(f"`/recap {cmd.name}` takes no arguments. Use `{BY_NAME[cmd.name].usage}`.")
