"""The `/recap` slash command group: typed options in, the core's command set underneath.

Callbacks stay thin: they turn options into the core's words
(`CommandHandler.run`), so every rule and every message stays in the core.
Anything that touches the database defers first (3 s budget); `submit` is
the exception, because a modal must be the first answer.
"""
from __future__ import annotations

import re
from dataclasses import replace

import discord
from discord import app_commands

from ...core.commands import BY_NAME, HISTORY_DEFAULT, HISTORY_MAX, CommandHandler, full_help
from ...core.guard import guard
from ...core.model import (
    MAX_CAPTION_CHARS, MAX_FIELD_CHARS, MAX_MILESTONE_CHARS, MAX_NAME_CHARS, MAX_REASON_CHARS, SEARCH_FIELDS, WEEKDAYS,
    Actor,
)
from ...core.parsing import suggest_timezones
from ...core.service import Core
from .. import core_call
from .buttons import open_form
from .replies import GUILD_ONLY, actor_for, send, send_text, show, workspace_of

Choice = app_commands.Choice
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_CHOICES = 25
GROUP_HELP = "Which group (default: this channel's, or your only one)"
_MENTION = re.compile(r"<@!?(\d+)>")


def summary(name: str) -> str:
    """Each subcommand's description is the core's summary of it (one source for every platform)."""
    text = BY_NAME[name].summary
    return text[:1].upper() + text[1:]


class TextChannelOption(app_commands.Transformer):
    """A text or announcement channel, taken as Discord resolved it: no channel cache needed,
    so the option works even before the guild is cached."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return [discord.ChannelType.text, discord.ChannelType.news]

    async def transform(self, interaction: discord.Interaction, value: app_commands.AppCommandChannel):
        return value


DigestChannel = app_commands.Transform[app_commands.AppCommandChannel, TextChannelOption]


class MilestoneGroup(app_commands.Group):
    """`/recap milestone add|done|drop|list`: one entry in /recap's 25 (Discord's limit)."""

    def __init__(self, parent: "RecapGroup"):
        super().__init__(name="milestone", description=summary("milestone")[:100], parent=parent)
        self.recap = parent

    @app_commands.command(name="add", description="Add a milestone toward your long-term goal")
    @app_commands.describe(title="What you will have done", by="The date you aim for, YYYY-MM-DD", group=GROUP_HELP)
    async def add(self, interaction: discord.Interaction, title: app_commands.Range[str, 1, MAX_MILESTONE_CHARS],
                  by: app_commands.Range[str, 1, 10], group: app_commands.Range[str, 1, MAX_NAME_CHARS] | None = None) -> None:
        await self.recap._run(interaction, "milestone", ["add", title, "by", by], group=group)

    @app_commands.command(name="done", description="Mark your milestone #N reached")
    @app_commands.describe(number="The number /recap milestone list shows", group=GROUP_HELP)
    async def done(self, interaction: discord.Interaction, number: app_commands.Range[int, 1, 1_000_000],
                   group: app_commands.Range[str, 1, MAX_NAME_CHARS] | None = None) -> None:
        await self.recap._run(interaction, "milestone", ["done", str(number)], group=group)

    @app_commands.command(name="drop", description="Drop your milestone #N (it no longer applies)")
    @app_commands.describe(number="The number /recap milestone list shows", group=GROUP_HELP)
    async def drop(self, interaction: discord.Interaction, number: app_commands.Range[int, 1, 1_000_000],
                   group: app_commands.Range[str, 1, MAX_NAME_CHARS] | None = None) -> None:
        await self.recap._run(interaction, "milestone", ["drop", str(number)], group=group)

    @app_commands.command(name="list", description="Open milestones, and those reached lately")
    @app_commands.describe(member="Whose milestones (default: yours)", group=GROUP_HELP)
    async def list(self, interaction: discord.Interaction, member: discord.User | None = None,
                   group: app_commands.Range[str, 1, MAX_NAME_CHARS] | None = None) -> None:
        await self.recap._run(interaction, "milestone", ["list"] + ([str(member.id)] if member else []), group=group)


class RecapGroup(app_commands.Group):
    def __init__(self, core: Core, handler: CommandHandler | None = None):
        super().__init__(name="recap", description="Research recaps: write yours, see who's in, preview the digest")
        self.core = core
        self.handler = handler or CommandHandler(core)
        self.milestone = MilestoneGroup(self)

    # -- plumbing ------------------------------------------------------------------
    async def _actor(self, interaction: discord.Interaction, group: str | None = None) -> Actor | None:
        actor = actor_for(interaction, group)
        if actor is None:
            await send(interaction, GUILD_ONLY)
        return actor

    async def _run(self, interaction: discord.Interaction, name: str, words: list[str] | None = None,
                   rest: str | None = None, group: str | None = None) -> None:
        actor = await self._actor(interaction, group)
        if actor is None:
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        reply = await core_call(self.handler.run, actor, name, words or [], rest)
        await show(interaction, reply)

    # -- commands --------------------------------------------------------------------
    # The modal has no room for a file field (a modal takes 5 components; the form uses them),
    # so figures come as attachment options of the command that opens it.
    @app_commands.command(name="submit", description=summary("submit"))
    @app_commands.describe(group=GROUP_HELP, image="A figure for this recap (PNG, JPEG, GIF or WebP, up to 5 MB)",
                           caption="Its caption", image2="A second figure", caption2="Its caption",
                           image3="A third figure", caption3="Its caption", image4="A fourth figure",
                           caption4="Its caption")
    async def submit(self, interaction: discord.Interaction,
                     group: app_commands.Range[str, 1, MAX_NAME_CHARS] | None = None,
                     image: discord.Attachment | None = None,
                     caption: app_commands.Range[str, 1, MAX_CAPTION_CHARS] | None = None,
                     image2: discord.Attachment | None = None,
                     caption2: app_commands.Range[str, 1, MAX_CAPTION_CHARS] | None = None,
                     image3: discord.Attachment | None = None,
                     caption3: app_commands.Range[str, 1, MAX_CAPTION_CHARS] | None = None,
                     image4: discord.Attachment | None = None,
                     caption4: app_commands.Range[str, 1, MAX_CAPTION_CHARS] | None = None) -> None:
        actor = await self._actor(interaction, group)
        if actor is not None:
            pairs = ((image, caption), (image2, caption2), (image3, caption3), (image4, caption4))
            attached = tuple((file, text or "") for file, text in pairs if file is not None)
            await open_form(interaction, self.core, self.handler, actor, attached)

    @app_commands.command(name="question", description=summary("question"))
    @app_commands.describe(text="Your new big-picture question; leave it out to see the current one",
                           group=GROUP_HELP)
    async def question(self, interaction: discord.Interaction,
                       text: app_commands.Range[str, 1, MAX_FIELD_CHARS] | None = None, group: app_commands.Range[str, 1, MAX_NAME_CHARS] | None = None) -> None:
        await self._run(interaction, "question", rest=text or "", group=group)

    @app_commands.command(name="away", description=summary("away"))
    @app_commands.describe(until="Last day away: a date like 2026-12-10, or a span like 2w or 10d",
                           reason="Why, shown in the digest (optional)", group=GROUP_HELP)
    async def away(self, interaction: discord.Interaction, until: app_commands.Range[str, 1, 40],
                   reason: app_commands.Range[str, 1, MAX_REASON_CHARS] | None = None, group: app_commands.Range[str, 1, MAX_NAME_CHARS] | None = None) -> None:
        words = until.split()
        if reason:
            words.append(reason)  # one word: the core keeps the reason exactly as typed
        await self._run(interaction, "away", words, group=group)

    @app_commands.command(name="back", description=summary("back"))
    @app_commands.describe(group=GROUP_HELP)
    async def back(self, interaction: discord.Interaction, group: app_commands.Range[str, 1, MAX_NAME_CHARS] | None = None) -> None:
        await self._run(interaction, "back", group=group)

    @app_commands.command(name="status", description=summary("status"))
    @app_commands.describe(group=GROUP_HELP)
    async def status(self, interaction: discord.Interaction, group: app_commands.Range[str, 1, MAX_NAME_CHARS] | None = None) -> None:
        await self._run(interaction, "status", group=group)

    @app_commands.command(name="digest", description=summary("digest"))
    @app_commands.describe(group=GROUP_HELP)
    async def digest(self, interaction: discord.Interaction, group: app_commands.Range[str, 1, MAX_NAME_CHARS] | None = None) -> None:
        await self._run(interaction, "digest", group=group)

    @app_commands.command(name="history", description=summary("history"))
    @app_commands.describe(member="Whose recaps (default: yours)", count=f"How many recaps, 1 to {HISTORY_MAX} (default 5)",
                           group=GROUP_HELP)
    async def history(self, interaction: discord.Interaction, member: discord.User | None = None,
                      count: app_commands.Range[int, 1, HISTORY_MAX] | None = None, group: app_commands.Range[str, 1, MAX_NAME_CHARS] | None = None) -> None:
        words = ([str(member.id)] if member else []) + [str(count or HISTORY_DEFAULT)]
        await self._run(interaction, "history", words, group=group)

    @app_commands.command(name="questions", description=summary("questions"))
    @app_commands.describe(group=GROUP_HELP)
    async def questions(self, interaction: discord.Interaction, group: app_commands.Range[str, 1, MAX_NAME_CHARS] | None = None) -> None:
        await self._run(interaction, "questions", group=group)

    @app_commands.command(name="answered", description=summary("answered"))
    @app_commands.describe(number="The question's number, as the digest and /recap questions show it",
                           note="What the answer was (optional)", group=GROUP_HELP)
    async def answered(self, interaction: discord.Interaction, number: app_commands.Range[int, 1, 1_000_000],
                       note: app_commands.Range[str, 1, MAX_FIELD_CHARS] | None = None, group: app_commands.Range[str, 1, MAX_NAME_CHARS] | None = None) -> None:
        await self._run(interaction, "answered", [str(number)] + ([note] if note else []), group=group)

    @app_commands.command(name="search", description=summary("search")[:100])
    @app_commands.describe(words='What to look for; "a phrase" in quotes', member="Only this member's recaps",
                           field="Only this field of the recaps", since="Only meetings from this date, YYYY-MM-DD",
                           page="Page of results (10 a page)", group=GROUP_HELP)
    @app_commands.choices(field=[Choice(name=f, value=f) for f in SEARCH_FIELDS])
    async def search(self, interaction: discord.Interaction, words: app_commands.Range[str, 1, 300],
                     member: discord.User | None = None, field: Choice[str] | None = None,
                     since: app_commands.Range[str, 1, 10] | None = None,
                     page: app_commands.Range[int, 1, 100] | None = None, group: app_commands.Range[str, 1, MAX_NAME_CHARS] | None = None) -> None:
        flags = [f"--member {member.id}" if member else "", f"--field {field.value}" if field else "",
                 f"--since {since.split()[0] if since.split() else since}" if since else "",
                 f"--page {page}" if page else ""]
        await self._run(interaction, "search", rest=" ".join([words, *filter(None, flags)]), group=group)

    @app_commands.command(name="timezone", description=summary("timezone"))
    @app_commands.describe(zone="An IANA timezone such as Europe/Berlin; leave it out to see yours")
    async def timezone(self, interaction: discord.Interaction,
                       zone: app_commands.Range[str, 1, 64] | None = None) -> None:
        await self._run(interaction, "timezone", [zone] if zone else [])

    @app_commands.command(name="schedule", description=summary("schedule"))
    @app_commands.describe(group=GROUP_HELP)
    async def schedule(self, interaction: discord.Interaction, group: app_commands.Range[str, 1, MAX_NAME_CHARS] | None = None) -> None:
        await self._run(interaction, "schedule", group=group)

    @app_commands.command(name="setup", description=summary("setup"))
    @app_commands.describe(
        channel="The channel the digest is posted to",
        weekday="Meeting day",
        time="Meeting time, 24-hour HH:MM in the group's timezone",
        timezone="The group's IANA timezone, e.g. Europe/Berlin",
        every="Meet every N weeks (1 to 8)",
        first="With every of 2 or more: the date of one meeting, YYYY-MM-DD",
        digest_lead="How long before the meeting the digest goes out, e.g. 2h",
        reminder_lead="How long before the digest reminders go out, e.g. 24h",
        north_star="The group's long-term question, shown on the digest",
        admins="Who may change settings besides Manage Server: @mentions or names, comma-separated",
        name="The group's name, shown on the digest",
        members="A role: whoever holds it becomes a member when they first use /recap",
        clear="Remove a setting",
        group=GROUP_HELP,
    )
    @app_commands.choices(clear=[Choice(name="north star", value="north-star"), Choice(name="admins", value="admins")])
    async def setup(
        self, interaction: discord.Interaction,
        channel: DigestChannel | None = None,
        weekday: app_commands.Range[str, 1, 12] | None = None,
        time: app_commands.Range[str, 1, 8] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        every: int | None = None,
        first: app_commands.Range[str, 1, 10] | None = None,
        digest_lead: app_commands.Range[str, 1, 20] | None = None,
        reminder_lead: app_commands.Range[str, 1, 20] | None = None,
        north_star: app_commands.Range[str, 1, MAX_FIELD_CHARS] | None = None,
        admins: app_commands.Range[str, 1, 1000] | None = None,
        name: app_commands.Range[str, 1, MAX_NAME_CHARS] | None = None,
        members: discord.Role | None = None,
        clear: Choice[str] | None = None,
        group: app_commands.Range[str, 1, MAX_NAME_CHARS] | None = None,
    ) -> None:
        actor = await self._actor(interaction, group)
        if actor is None:
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        pairs: list[tuple[str, str]] = []
        if members is not None:
            pairs.append(("members", members.mention))  # "<@&id>": its holders join on first use
        if channel is not None:
            pairs.append(("channel", channel.mention))  # "<#id>": renders as a link, and chat.py reads the id
        if weekday or time:
            pairs.append(("meeting", await self._meeting(actor, weekday, time)))
        for key, value in (("tz", timezone), ("every", None if every is None else str(every)), ("first", first),
                           ("digest-lead", digest_lead), ("reminder-lead", reminder_lead),
                           ("north-star", north_star), ("name", name)):
            if value is not None:
                pairs.append((key, value))
        if admins is not None:
            pairs.append(("admins", _MENTION.sub(r"\1", admins)))
        if clear is not None:
            pairs.append((clear.value, ""))
        words = [f"{key}={value}" for key, value in pairs]
        reply = await core_call(self.handler.run, actor, "setup", words)
        await show(interaction, reply)

    async def _meeting(self, actor: Actor, weekday: str | None, time: str | None) -> str:
        """Day and time travel together in the core; fill the one left out from the current schedule."""
        if not (weekday and time):
            team = await core_call(self.core.groups.meant, actor)
            if team is not None and team.schedule is not None:
                weekday = weekday or WEEKDAYS[team.schedule.weekday]
                time = time or f"{team.schedule.at:%H:%M}"
        return f"{(weekday or '').strip()} {(time or '').replace(' ', '')}".strip()

    @app_commands.command(name="skip-meeting", description=summary("skip-meeting"))
    @app_commands.describe(date="The meeting to cancel, YYYY-MM-DD", group=GROUP_HELP)
    async def skip_meeting(self, interaction: discord.Interaction, date: app_commands.Range[str, 1, 10],
                           group: app_commands.Range[str, 1, MAX_NAME_CHARS] | None = None) -> None:
        await self._run(interaction, "skip-meeting", [date], group=group)

    # -- groups ----------------------------------------------------------------------
    @app_commands.command(name="groups", description=summary("groups"))
    async def groups(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "groups")

    @app_commands.command(name="join", description=summary("join"))
    @app_commands.describe(group="The group to join (default: this channel's)")
    async def join(self, interaction: discord.Interaction, group: app_commands.Range[str, 1, MAX_NAME_CHARS] | None = None) -> None:
        await self._run(interaction, "join", [group] if group else [])

    @app_commands.command(name="leave", description=summary("leave"))
    @app_commands.describe(group="The group to leave (default: this channel's, or your only one)")
    async def leave(self, interaction: discord.Interaction, group: app_commands.Range[str, 1, MAX_NAME_CHARS] | None = None) -> None:
        await self._run(interaction, "leave", [group] if group else [])

    group_commands = app_commands.Group(name="group", description=summary("group")[:100])

    @group_commands.command(name="new", description="Create a group (Manage Server)")
    @app_commands.describe(name="The group's name", channel="Its digest channel", weekday="Meeting day",
                           time="Meeting time, 24-hour HH:MM", members="A role whose holders become members")
    async def group_new(self, interaction: discord.Interaction, name: app_commands.Range[str, 1, MAX_NAME_CHARS],
                        channel: DigestChannel | None = None, weekday: app_commands.Range[str, 1, 12] | None = None,
                        time: app_commands.Range[str, 1, 8] | None = None, members: discord.Role | None = None) -> None:
        words = ["new", name]
        if channel is not None:
            words.append(f"channel={channel.mention}")
        if weekday and time:
            words.append(f"meeting={weekday.strip()} {time.replace(' ', '')}")
        if members is not None:
            words.append(f"members={members.mention}")
        await self._run(interaction, "group", words)

    @group_commands.command(name="rename", description="Rename a group (Manage Server or the group's admins)")
    @app_commands.describe(new_name="The new name", group=GROUP_HELP)
    async def group_rename(self, interaction: discord.Interaction,
                           new_name: app_commands.Range[str, 1, MAX_NAME_CHARS], group: app_commands.Range[str, 1, MAX_NAME_CHARS] | None = None) -> None:
        await self._run(interaction, "group", ["rename", new_name], group=group)

    @group_commands.command(name="delete", description="Delete a group and everything written in it (asks first)")
    @app_commands.describe(group="The group to delete")
    async def group_delete(self, interaction: discord.Interaction,
                           group: app_commands.Range[str, 1, MAX_NAME_CHARS]) -> None:
        await self._run(interaction, "group", ["delete", group])

    @group_commands.command(name="add", description="Add people to a group")
    @app_commands.describe(member="Someone to add", member2="Someone else", member3="Someone else", group=GROUP_HELP)
    async def group_add(self, interaction: discord.Interaction, member: discord.User,
                        member2: discord.User | None = None, member3: discord.User | None = None, group: app_commands.Range[str, 1, MAX_NAME_CHARS] | None = None) -> None:
        await self._people(interaction, "add", [member, member2, member3], group)

    @group_commands.command(name="remove", description="Take people out of a group (their recaps stay)")
    @app_commands.describe(member="Someone to remove", member2="Someone else", member3="Someone else", group=GROUP_HELP)
    async def group_remove(self, interaction: discord.Interaction, member: discord.User,
                           member2: discord.User | None = None, member3: discord.User | None = None, group: app_commands.Range[str, 1, MAX_NAME_CHARS] | None = None) -> None:
        await self._people(interaction, "remove", [member, member2, member3], group)

    async def _people(self, interaction: discord.Interaction, action: str, users: list, group: str | None) -> None:
        actor = await self._actor(interaction, group)
        if actor is None:
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        people = [u for u in users if u is not None]
        actor = replace(actor, mentioned=tuple((str(u.id), u.display_name) for u in people))
        reply = await core_call(self.handler.run, actor, "group", [action] + [str(u.id) for u in people])
        await show(interaction, reply)

    @app_commands.command(name="deck", description=summary("deck"))
    @app_commands.describe(mine="Only your own slides (what you would present)",
                           format="A link to open in the browser (default), or a PowerPoint file")
    @app_commands.choices(format=[Choice(name="link", value="link"), Choice(name="PowerPoint file", value="pptx")])
    async def deck(self, interaction: discord.Interaction, mine: bool = False,
                   format: Choice[str] | None = None) -> None:
        words = (["me"] if mine else []) + (["pptx"] if format is not None and format.value == "pptx" else [])
        await self._run(interaction, "deck", words)

    @app_commands.command(name="export", description=summary("export"))
    async def export(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "export")

    @app_commands.command(name="forget-me", description=summary("forget-me"))
    async def forget_me(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "forget-me")

    @app_commands.command(name="help", description=summary("help"))
    async def help(self, interaction: discord.Interaction) -> None:
        await send_text(interaction, full_help())  # no database, no guild needed

    # -- autocomplete ----------------------------------------------------------------
    @timezone.autocomplete("zone")
    async def _zone_choices(self, interaction: discord.Interaction, current: str) -> list[Choice[str]]:
        return await zone_choices(current)

    @setup.autocomplete("timezone")
    async def _team_zone_choices(self, interaction: discord.Interaction, current: str) -> list[Choice[str]]:
        return await zone_choices(current)

    @submit.autocomplete("group")
    @question.autocomplete("group")
    @away.autocomplete("group")
    @back.autocomplete("group")
    @status.autocomplete("group")
    @digest.autocomplete("group")
    @history.autocomplete("group")
    @schedule.autocomplete("group")
    @setup.autocomplete("group")
    @skip_meeting.autocomplete("group")
    @join.autocomplete("group")
    @leave.autocomplete("group")
    @group_rename.autocomplete("group")
    @group_delete.autocomplete("group")
    @group_add.autocomplete("group")
    @group_remove.autocomplete("group")
    async def _group_choices(self, interaction: discord.Interaction, current: str) -> list[Choice[str]]:
        if interaction.guild_id is None:
            return []
        with guard("discord group autocomplete"):  # suggestions only: none on failure
            groups = await core_call(self.core.groups.in_workspace, workspace_of(interaction.guild_id))
            needle = current.strip().casefold()
            return [Choice(name=g.name[:100], value=g.name[:100]) for g in groups
                    if needle in g.name.casefold()][:MAX_CHOICES]
        return []

    @setup.autocomplete("weekday")
    async def _weekday_choices(self, interaction: discord.Interaction, current: str) -> list[Choice[str]]:
        return weekday_choices(current)

    @skip_meeting.autocomplete("date")
    async def _meeting_choices(self, interaction: discord.Interaction, current: str) -> list[Choice[str]]:
        if interaction.guild_id is None:
            return []
        with guard("discord skip-meeting autocomplete"):  # suggestions only: none on failure
            days = await core_call(self.core.upcoming_meeting_days, actor_for(interaction), 8)
            return [Choice(name=f"{WEEKDAYS[d.weekday()]} {d:%Y-%m-%d}", value=f"{d:%Y-%m-%d}")
                    for d in days if current.strip() in f"{d:%Y-%m-%d}"][:MAX_CHOICES]
        return []


async def zone_choices(current: str) -> list[Choice[str]]:
    zones = await core_call(suggest_timezones, current, MAX_CHOICES)
    return [Choice(name=zone, value=zone) for zone in zones]


def weekday_choices(current: str) -> list[Choice[str]]:
    needle = current.strip().lower()
    return [Choice(name=day, value=short) for day, short in zip(DAY_NAMES, WEEKDAYS) if day.lower().startswith(needle)]
