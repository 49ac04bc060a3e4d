"""The controls of a posted digest on Discord: "Give feedback" under each member's part, and a
select of the open questions to mark answered.

Both are DynamicItems: their custom_id carries what they point at (a recap's
id; the select's place in its message), so digests posted before a restart
keep working. The core checks that the recap or question belongs to the group
of the server the click came from; the ids in a custom_id are never trusted
beyond that. No privileged intent and no message content: clicks are the only input.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import discord

from ...core.errors import UserError
from ...core.guard import unexpected
from ...core.model import MAX_FIELD_CHARS, Actor
from ...core.service import Core
from ...core.texts import ANSWERED, FEEDBACK_PLACEHOLDER, FEEDBACK_PROMPT, GIVE_FEEDBACK, NOTHING_PICKED, \
    feedback_given, question_answered
from ...render.embeds import Message, fit
from .. import core_call
from .replies import GUILD_ONLY, actor_for, send, send_text, tell_failure

FORM_DEADLINE = 2.0  # a modal must be the first answer, within Discord's 3 s
FEEDBACK_TIMEOUT = 60 * 60


class FeedbackModal(discord.ui.Modal):
    """One text field; the core stores it with the recap and the giver and has the member told."""

    def __init__(self, core: Core, actor: Actor, recap_id: int, author: str):
        super().__init__(title=fit(f"Feedback for {author}", 45), timeout=FEEDBACK_TIMEOUT)
        self.core, self.actor, self.recap_id, self.author = core, actor, recap_id, author
        self.text = discord.ui.TextInput(custom_id="feedback:text", style=discord.TextStyle.paragraph,
                                         placeholder=fit(FEEDBACK_PLACEHOLDER, 100), required=True,
                                         max_length=MAX_FIELD_CHARS)
        self.add_item(discord.ui.Label(text=FEEDBACK_PROMPT, component=self.text,
                                       description=f"Up to {MAX_FIELD_CHARS:,} characters"))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            await core_call(self.core.feedback.give, self.actor, self.recap_id, self.text.value or "")
        except UserError as exc:
            await send_text(interaction, exc.message)
            return
        await send_text(interaction, feedback_given(self.author))

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        unexpected(f"discord feedback form (user {self.actor.user_ref})", error)
        await tell_failure(interaction)


async def in_guild(interaction: discord.Interaction, what: str,
                   act: Callable[[Actor], Awaitable[None]]) -> None:
    """Run a digest control's action for the person in a server, inside the one guard: a control
    has no command tree error handler, so an unexpected error is logged and told here."""
    try:
        actor = actor_for(interaction)
        if actor is None:
            await send(interaction, GUILD_ONLY)
            return
        await act(actor)
    except Exception as exc:  # noqa: BLE001 - see core/guard.py
        unexpected(f"discord {what} (user {interaction.user.id})", exc)
        await tell_failure(interaction)


class FeedbackButton(discord.ui.DynamicItem[discord.ui.Button], template=r"recapbot:feedback:(?P<recap_id>[0-9]{1,18})"):
    def __init__(self, recap_id: int):
        super().__init__(discord.ui.Button(label=GIVE_FEEDBACK, style=discord.ButtonStyle.secondary,
                                           custom_id=f"recapbot:feedback:{recap_id}"))
        self.recap_id = recap_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match) -> "FeedbackButton":
        return cls(int(match["recap_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        core: Core = interaction.client.core

        async def open_form(actor: Actor) -> None:
            try:
                _, author, _ = await asyncio.wait_for(core_call(core.feedback.recap_for, actor, self.recap_id),
                                                   FORM_DEADLINE)
            except UserError as exc:
                await send(interaction, exc.message)
                return
            await interaction.response.send_modal(FeedbackModal(core, actor, self.recap_id, author))

        await in_guild(interaction, "feedback button", open_form)


class AnsweredSelect(discord.ui.DynamicItem[discord.ui.Select], template=r"recapbot:answered:(?P<index>[0-9]{1,2})"):
    """Pick the questions that got answered; each is closed with the picker's name."""

    def __init__(self, index: int, options: list[discord.SelectOption] | None = None):
        options = options or [discord.SelectOption(label="?", value="0")]
        super().__init__(discord.ui.Select(custom_id=f"recapbot:answered:{index}", options=options, min_values=1,
                                           max_values=len(options), placeholder=f"{ANSWERED}: mark questions answered"))
        self.index = index

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Select, match) -> "AnsweredSelect":
        return cls(int(match["index"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        core: Core = interaction.client.core

        async def close_picked(actor: Actor) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            values = (interaction.data or {}).get("values") or []
            lines = []
            for value in values[:25]:
                if not (isinstance(value, str) and value.isdigit() and len(value) < 19):
                    continue
                try:
                    question = await core_call(lambda v=int(value): core.questions.answer(actor, question_id=v))
                    lines.append(question_answered(question))
                except UserError as exc:
                    lines.append(exc.message)
            await send_text(interaction, "\n".join(lines) or NOTHING_PICKED)

        await in_guild(interaction, "answered select", close_picked)


def digest_view(message: Message) -> discord.ui.View | None:
    """The components of one rendered digest message, or None when it has none."""
    if message.feedback_for is None and not message.answerable:
        return None
    view = discord.ui.View(timeout=None)
    for index, options in enumerate(message.answerable):
        view.add_item(AnsweredSelect(index, [discord.SelectOption(label=label, value=str(qid))
                                             for qid, label in options]))
    if message.feedback_for is not None:
        view.add_item(FeedbackButton(message.feedback_for))
    return view
