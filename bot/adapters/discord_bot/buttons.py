"""Opening the recap form: from `/recap submit`, and from a button that outlives restarts.

A reminder is a DM, and a DM interaction has no guild, so the button's
custom_id carries the guild and the group ("recapbot:form:<guild_id>:<group_id>";
reminders from before groups lack the group); discord.py's DynamicItem matches
that template for every message ever sent, so buttons in old reminders keep
working after the bot restarts. The guild in a custom_id is only trusted for
someone who is already a member of that group (or of a group of that guild).

Someone in several groups picks one in a select before the modal (a modal
holds five components, all used by the form); when they have a recap in
another group, buttons offer to copy it before the modal opens.
"""
from __future__ import annotations

import asyncio
from dataclasses import replace

import discord

from ...core.commands import CommandHandler
from ...core.guard import unexpected
from ...core.model import Actor
from ...core.errors import UserError
from ...core.forms import RecapForm
from ...core.replies import ChooseGroupReply, FormReply
from ...core.service import Core
from ...core.texts import PICK_GROUP, WRITE_RECAP, copy_label
from .. import core_call
from .modal import RecapModal
from .replies import OwnedView, actor_for, guild_of, send, send_text, show, tell_failure, workspace_of

MAX_OPTIONS = 25  # a select's options

# A modal must be the first answer, within 3 s: past this, offer a button instead.
FORM_DEADLINE = 2.0
SLOW_FORM = "The form took a moment too long to load. Press the button to open it."


async def open_form(interaction: discord.Interaction, core: Core, handler: CommandHandler, actor: Actor,
                    attached: tuple[tuple[discord.Attachment, str], ...] = ()) -> None:
    """Answer with the pre-filled modal, or a friendly reply when there is no form to open.
    `attached` figures (with captions) are read when the form is submitted."""
    guild_id = guild_of(actor.workspace)
    try:
        reply = await asyncio.wait_for(core_call(handler.run, actor, "submit", []), FORM_DEADLINE)
    except asyncio.TimeoutError:
        group = int(actor.group) if actor.group and actor.group.isdigit() else None
        await send(interaction, SLOW_FORM, view=OpenFormView(guild_id, group))
        return
    if isinstance(reply, FormReply):
        form = reply.form
        if form.others and not form.replacing:  # a recap elsewhere: offer to copy it first
            await send(interaction, _copy_offer(form),
                       view=CopyOfferView(core, replace(actor, group=str(form.group_id)), form, interaction.user.id,
                                         attached))
            return
        await interaction.response.send_modal(RecapModal(core, replace(actor, group=str(form.group_id)), form,
                                                                attached=attached))
    elif isinstance(reply, ChooseGroupReply) and not reply.joining:
        await send(interaction, PICK_GROUP, view=GroupPickView(core, handler, actor, reply, interaction.user.id))
    else:
        await show(interaction, reply)


def _copy_offer(form: RecapForm) -> str:
    return (f"Your recap for **{form.group_name}**: start from scratch, or copy your latest recap from "
            + ", ".join(f"**{o.group_name}**" for o in form.others) + "?")


class _OwnedView(OwnedView):
    def __init__(self, owner_id: int):
        super().__init__(owner_id, timeout=15 * 60)



class GroupPickView(_OwnedView):
    """The form's first step for someone in several groups: which group (then the modal)."""

    def __init__(self, core: Core, handler: CommandHandler, actor: Actor, reply: ChooseGroupReply, owner_id: int):
        super().__init__(owner_id)
        self.core, self.handler, self.actor = core, handler, actor
        select = discord.ui.Select(placeholder=PICK_GROUP[:150], options=[
            discord.SelectOption(label=name[:100], value=str(gid)) for gid, name in reply.groups[:MAX_OPTIONS]])
        select.callback = self._picked
        self.select = select
        self.add_item(select)

    async def _picked(self, interaction: discord.Interaction) -> None:
        self.stop()
        try:
            await open_form(interaction, self.core, self.handler, replace(self.actor, group=self.select.values[0]))
        except Exception as exc:  # noqa: BLE001
            unexpected(f"discord group picker (user {interaction.user.id})", exc)
            await tell_failure(interaction)


class CopyOfferView(_OwnedView):
    """Write from scratch, or copy the latest recap of another group into the modal."""

    def __init__(self, core: Core, actor: Actor, form: RecapForm, owner_id: int,
                 attached: tuple[tuple[discord.Attachment, str], ...] = ()):
        super().__init__(owner_id)
        self.core, self.actor, self.form, self.attached = core, actor, form, attached
        fresh = discord.ui.Button(label=WRITE_RECAP, style=discord.ButtonStyle.primary)
        fresh.callback = self._fresh
        self.add_item(fresh)
        for other in form.others[:4]:
            button = discord.ui.Button(label=copy_label(other.group_name)[:80], style=discord.ButtonStyle.secondary)
            button.callback = self._copy(str(other.group_id))
            self.add_item(button)

    async def _fresh(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(RecapModal(self.core, self.actor, self.form, attached=self.attached))

    def _copy(self, group_id: str):
        async def callback(interaction: discord.Interaction) -> None:
            try:
                form = await core_call(self.core.recaps.form, self.actor, group_id)
            except UserError as exc:
                await send_text(interaction, exc.message)
                return
            await interaction.response.send_modal(RecapModal(self.core, self.actor, form, attached=self.attached))
        return callback


class OpenFormButton(discord.ui.DynamicItem[discord.ui.Button],
                     template=r"recapbot:form:(?P<guild_id>[0-9]{1,20})(?::(?P<group_id>[0-9]{1,12}))?"):
    def __init__(self, guild_id: int, group_id: int | None = None):
        custom_id = f"recapbot:form:{guild_id}" + (f":{group_id}" if group_id else "")
        super().__init__(discord.ui.Button(label=WRITE_RECAP, style=discord.ButtonStyle.primary, custom_id=custom_id))
        self.guild_id = guild_id
        self.group_id = group_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match) -> "OpenFormButton":
        return cls(int(match["guild_id"]), int(match["group_id"]) if match["group_id"] else None)

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = interaction.client  # the RecapBot that registered this item
        try:
            actor = await self._actor(interaction, bot.core)
            if actor is None:
                await send(interaction, "This button belongs to a recapbot group you are not part of.")
                return
            await open_form(interaction, bot.core, bot.handler, actor)
        except Exception as exc:  # noqa: BLE001 - a button has no command tree error handler
            unexpected(f"discord form button (user {interaction.user.id})", exc)
            await tell_failure(interaction)

    async def _actor(self, interaction: discord.Interaction, core: Core) -> Actor | None:
        group = str(self.group_id) if self.group_id else None
        if interaction.guild_id == self.guild_id:
            return actor_for(interaction, group)
        # From a DM: only someone already in that group (or guild), under the name the group knows.
        workspace = workspace_of(self.guild_id)
        member = await core_call(core.groups.known_member, workspace, str(interaction.user.id), self.group_id)
        if member is None:
            return None
        return Actor(workspace=workspace, user_ref=member.user_ref, display_name=member.display_name, group=group)


class OpenFormView(discord.ui.View):
    """Holds the button; timeout=None so it stays clickable (with the dynamic item registered)."""

    def __init__(self, guild_id: int, group_id: int | None = None):
        super().__init__(timeout=None)
        self.add_item(OpenFormButton(guild_id, group_id))
