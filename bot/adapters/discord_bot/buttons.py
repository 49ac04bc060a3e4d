"""Opening the recap form: from `/recap submit`, and from a button that outlives restarts.

A reminder is a DM, and a DM interaction has no guild, so the button's
custom_id carries the guild ("recapbot:form:<guild_id>"); discord.py's
DynamicItem matches that template for every message ever sent, so buttons in
old reminders keep working after the bot restarts. The guild in a custom_id
is only trusted for someone who is already a member of that guild's team.
"""
from __future__ import annotations

import asyncio

import discord

from ...core.commands import CommandHandler
from ...core.guard import unexpected
from ...core.model import Actor
from ...core.replies import FormReply
from ...core.service import Core
from ...core.texts import WRITE_RECAP
from .. import core_call
from .modal import RecapModal
from .replies import actor_for, guild_of, send, show, tell_failure, workspace_of

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
        await send(interaction, SLOW_FORM, view=OpenFormView(guild_id))
        return
    if isinstance(reply, FormReply):
        await interaction.response.send_modal(RecapModal(core, actor, reply.form, attached=attached))
    else:
        await show(interaction, reply)


class OpenFormButton(discord.ui.DynamicItem[discord.ui.Button], template=r"recapbot:form:(?P<guild_id>[0-9]{1,20})"):
    def __init__(self, guild_id: int):
        super().__init__(discord.ui.Button(
            label=WRITE_RECAP, style=discord.ButtonStyle.primary, custom_id=f"recapbot:form:{guild_id}",
        ))
        self.guild_id = guild_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match) -> "OpenFormButton":
        return cls(int(match["guild_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = interaction.client  # the RecapBot that registered this item
        try:
            actor = await self._actor(interaction, bot.core)
            if actor is None:
                await send(interaction, "This button belongs to a recapbot team you are not part of.")
                return
            await open_form(interaction, bot.core, bot.handler, actor)
        except Exception as exc:  # noqa: BLE001 - a button has no command tree error handler
            unexpected(f"discord form button (user {interaction.user.id})", exc)
            await tell_failure(interaction)

    async def _actor(self, interaction: discord.Interaction, core: Core) -> Actor | None:
        if interaction.guild_id == self.guild_id:
            return actor_for(interaction)
        # From a DM: only someone already in that guild's team, under the name the team knows.
        workspace = workspace_of(self.guild_id)
        member = await core_call(core.teams.known_member, workspace, str(interaction.user.id))
        if member is None:
            return None
        return Actor(workspace=workspace, user_ref=member.user_ref, display_name=member.display_name)


class OpenFormView(discord.ui.View):
    """Holds the button; timeout=None so it stays clickable (with the dynamic item registered)."""

    def __init__(self, guild_id: int):
        super().__init__(timeout=None)
        self.add_item(OpenFormButton(guild_id))
