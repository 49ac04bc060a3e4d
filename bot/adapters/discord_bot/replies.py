"""Who is asking, and how a core Reply reaches them on Discord.

Every personal answer is ephemeral and carries no pings (allowed_mentions
none): recap text is whatever people typed, `@everyone` included.
"""
from __future__ import annotations

import io
import logging

import discord

from ...core.forms import FIGURING_LABEL, answers
from ...core.model import Actor, RecapDraft, Workspace
from ...core.privacy import CONFIRM_TTL
from ...core.replies import (
    ChooseGroupReply,
    ConfirmReply,
    DigestReply,
    FileReply,
    FormReply,
    JoinReply,
    Reply,
    SettingsReply,
    TextReply,
)
from ...core.texts import JOIN_LABEL, JOIN_WRITE_LABEL, SOMETHING_WENT_WRONG, settings_refusal
from ...core.texts import settings as settings_text
from ...render.embeds import CONTENT_MAX, Message, render_digest, show_links, split_text
from .. import core_call

log = logging.getLogger("recapbot.discord")

NO_PINGS = discord.AllowedMentions.none()
GUILD_ONLY = "recapbot works inside a server: use `/recap` in a channel of your research group's server."
# What a bot may attach in a server without boosts; an export past it is refused with a pointer.
UPLOAD_LIMIT = 10 * 1024 * 1024


PLATFORM = "discord"


def workspace_of(guild_id: int) -> Workspace:
    return Workspace(PLATFORM, str(guild_id))


def guild_of(workspace: Workspace) -> int:
    if workspace.platform != PLATFORM or not workspace.id.isdigit():
        raise ValueError(f"not a Discord server: {workspace}")
    return int(workspace.id)


def is_admin(interaction: discord.Interaction) -> bool:
    """Manage Server in this guild (what Discord itself requires to manage a server)."""
    perms = getattr(interaction.user, "guild_permissions", None)
    try:
        if perms is not None:
            return bool(perms.manage_guild)
    except AttributeError:  # guild not cached: fall back on what Discord resolved for us
        pass
    return bool(interaction.permissions.manage_guild)


def roles_of(user) -> tuple[str, ...]:
    """The role ids a member holds, as the interaction carries them (no Members intent needed)."""
    ids = getattr(user, "_roles", None)
    if ids is None:
        ids = [role.id for role in getattr(user, "roles", None) or []]
    return tuple(str(i) for i in ids)


def actor_for(interaction: discord.Interaction, group: str | None = None) -> Actor | None:
    """The core's view of the person and where they are, or None outside a server (DMs).
    `group` is a choice made in a picker or an option (the core decides what it means)."""
    if interaction.guild_id is None:
        return None
    user = interaction.user
    channel = interaction.channel
    return Actor(
        workspace=workspace_of(interaction.guild_id),
        user_ref=str(user.id),
        display_name=user.display_name,
        timezone=None,  # Discord does not tell; members set it with /recap timezone
        is_admin=is_admin(interaction),
        channel=f"<#{interaction.channel_id}>" if interaction.channel_id else None,  # as setup stores it
        channel_name=getattr(channel, "name", None),
        group=group or None,
        roles=roles_of(user),
    )


async def send(interaction: discord.Interaction, content: str | None = None, *,
               embeds: list[discord.Embed] | None = None, view: discord.ui.View | None = None,
               file: discord.File | None = None, files: list[discord.File] | None = None) -> None:
    """An ephemeral answer: the first response, or a follow-up once responded or deferred."""
    kwargs: dict = {"ephemeral": True, "allowed_mentions": NO_PINGS}
    if content is not None:
        kwargs["content"] = content
    if embeds:
        kwargs["embeds"] = embeds
    if view is not None:
        kwargs["view"] = view
    if file is not None:
        kwargs["file"] = file
    if files:
        kwargs["files"] = files
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)


async def send_text(interaction: discord.Interaction, text: str, view: discord.ui.View | None = None) -> None:
    """Long answers (history, help) go out as several messages of at most 2,000 characters."""
    pieces = split_text(show_links(text), CONTENT_MAX) or ["(nothing to show)"]
    for i, piece in enumerate(pieces):
        await send(interaction, piece, view=view if i == len(pieces) - 1 else None)


async def send_messages(interaction: discord.Interaction, messages: list[Message]) -> None:
    for message in messages:
        await send(interaction, message.content, embeds=message.embeds)


async def show(interaction: discord.Interaction, reply: Reply) -> None:
    """Render any core reply except a form (opening a modal needs an undeferred interaction)."""
    if isinstance(reply, TextReply):
        await send_text(interaction, reply.text)
    elif isinstance(reply, SettingsReply):
        hint = ("\nChange settings with the options of `/recap setup` (meeting day and time, timezone, channel...)."
                if reply.can_edit else "\n" + settings_refusal("members with Manage Server"))
        # The core's own text ends with key=value usage meant for text platforms; show the settings alone.
        note = reply.note + "\n" if reply.note else ""  # a group was just made for this channel
        await send_text(interaction, note + settings_text(reply.team, reply.admin_names) + hint)
    elif isinstance(reply, DigestReply):
        rendered = render_digest(reply.digest)
        if reply.note:
            rendered.root.content = f"{show_links(reply.note)}\n{rendered.root.content}"
        await send_messages(interaction, rendered.all)
    elif isinstance(reply, FileReply):
        if sum(len(f.content) for f in reply.files) > UPLOAD_LIMIT:
            await send(interaction, "Your export is larger than Discord lets a bot attach (10 MB). "
                                    "Ask the bot's operator for a copy (`recapbot export`).")
            return
        await send(interaction, reply.text, files=[discord.File(io.BytesIO(f.content), filename=f.filename)
                                                   for f in reply.files])
    elif isinstance(reply, ConfirmReply):
        await send(interaction, reply.text, view=ConfirmView(reply, interaction.user.id))
    elif isinstance(reply, JoinReply):
        await send_text(interaction, reply.text, view=JoinView(reply, interaction.user.id))
    elif isinstance(reply, ChooseGroupReply):
        await send_text(interaction, reply.text.replace('add `--group "NAME"`', "fill in the command's `group` option"))
    elif isinstance(reply, FormReply):  # pragma: no cover - submit opens its modal before any defer
        await send(interaction, "Use `/recap submit` to open the form.")


NOT_YOURS = "These buttons belong to the person who asked; nothing was changed."


class OwnedView(discord.ui.View):
    """A view whose controls only the person it was shown to may use; anyone else is told so."""

    def __init__(self, owner_id: int, timeout: float):
        super().__init__(timeout=timeout)
        self.owner_id = owner_id

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(NOT_YOURS, ephemeral=True)
        return False


class ConfirmView(OwnedView):
    """The buttons under a question like forget-me's: for the person who asked, while the core's
    confirmation is valid. Either press removes the buttons, so nothing runs twice."""

    def __init__(self, reply: ConfirmReply, owner_id: int):
        super().__init__(owner_id, timeout=CONFIRM_TTL.total_seconds())
        self.reply = reply
        for label, style, callback in ((reply.confirm_label, discord.ButtonStyle.danger, self._confirm),
                                       ("Cancel", discord.ButtonStyle.secondary, self._cancel)):
            button = discord.ui.Button(label=label, style=style)
            button.callback = callback
            self.add_item(button)

    async def _confirm(self, interaction: discord.Interaction) -> None:
        self.stop()
        await interaction.response.edit_message(content=self.reply.text, view=None)
        try:
            reply = await core_call(interaction.client.handler.confirm, actor_for(interaction), self.reply.action)
        except Exception:  # noqa: BLE001 - a button has no command tree error handler
            log.exception("confirm button failed for %s", interaction.user.id)
            await tell_failure(interaction)
            return
        await send_text(interaction, reply.text)

    async def _cancel(self, interaction: discord.Interaction) -> None:
        self.stop()
        await interaction.response.edit_message(content=self.reply.cancelled_text, view=None)


class JoinView(OwnedView):
    """The Join button under "you are not a member of G": joins, then carries on (the form opens)."""

    def __init__(self, reply: JoinReply, owner_id: int):
        super().__init__(owner_id, timeout=CONFIRM_TTL.total_seconds())
        self.reply = reply
        label = JOIN_WRITE_LABEL if reply.then == "submit" else JOIN_LABEL
        button = discord.ui.Button(label=f"{label}: {reply.group_name}"[:80], style=discord.ButtonStyle.primary)
        button.callback = self._join
        self.add_item(button)

    async def _join(self, interaction: discord.Interaction) -> None:
        self.stop()
        bot = interaction.client
        actor = actor_for(interaction, str(self.reply.group_id))
        try:
            reply = await core_call(bot.handler.join, actor, self.reply.group_id)
            if reply.ok and self.reply.then == "submit":
                from .buttons import open_form  # the form module needs these replies
                await open_form(interaction, bot.core, bot.handler, actor)
                return
            await send_text(interaction, reply.text)
        except Exception:  # noqa: BLE001 - a button has no command tree error handler
            log.exception("join button failed for %s", interaction.user.id)
            await tell_failure(interaction)


async def tell_failure(interaction: discord.Interaction, draft: RecapDraft | None = None) -> None:
    """The short apology after an unexpected error (logged by core/guard.py); a draft comes back as a file."""
    file = answers_file(draft) if draft is not None else None
    text = SOMETHING_WENT_WRONG + (" Your answers are attached so you can paste them back." if file else "")
    try:
        await send(interaction, text, file=file)
    except discord.HTTPException:
        log.warning("could not tell %s about a failure", getattr(interaction.user, "id", "?"), exc_info=True)


def answers_file(draft: RecapDraft) -> discord.File:
    """What was typed, under the form's own labels, to paste back field by field."""
    text = "\n\n".join(f"## {spec.label}\n{value}" for spec, value in answers(draft))
    if draft.figuring_it_out:
        text += f"\n\n({FIGURING_LABEL})"
    return discord.File(io.BytesIO(text.encode("utf-8")), filename="my-recap.md")
