"""The recap form as a Discord modal: four Label-wrapped text inputs and a checkbox.

Discord lets a text input hold 4,000 characters; the core's limit (3,000) is
what counts and the placeholder says so. Text over it is not cut by the
client: the core refuses it with a message, and a "fix" button reopens the
form with everything that was typed, so nothing is lost.
"""
from __future__ import annotations

import discord

from ...core.forms import FIGURING_HINT, FIGURING_LABEL, TEXT_FIELDS, RecapForm
from ...core.guard import unexpected
from ...core.model import MAX_FIGURE_BYTES, WEEKDAYS, Actor, FigureUpload, RecapDraft
from ...core.replies import FormErrors
from ...core.service import Core
from ...core.texts import FIX_RECAP, NOT_SAVED
from ...render.embeds import fit
from .. import core_call
from .replies import send, send_text, tell_failure

TEXT_INPUT_MAX = 4000  # Discord's own ceiling for a text input
MODAL_TITLE_MAX = 45
# How long an open form keeps listening: long recaps take time, and a submit that
# arrives after this would be lost; unsubmitted forms are dropped from memory then.
FORM_TIMEOUT = 6 * 60 * 60
FIX_TIMEOUT = 60 * 60


def modal_title(form: RecapForm) -> str:
    m = form.meeting_local
    verb = "Update your recap" if form.replacing else "Recap"
    return fit(f"{verb} for {WEEKDAYS[m.weekday()]} {m:%d %b}", MODAL_TITLE_MAX)


class RecapModal(discord.ui.Modal):
    """Pre-filled with the current question, or this cycle's answers when replacing them."""

    def __init__(self, core: Core, actor: Actor, form: RecapForm, values: dict[str, str] | None = None,
                 figuring: bool | None = None, attached: tuple[tuple[discord.Attachment, str], ...] = (),
                 figures: tuple[FigureUpload, ...] = ()):
        super().__init__(title=modal_title(form), timeout=FORM_TIMEOUT)
        self.core = core
        self.actor = actor
        self.form = form
        self.attached = attached  # figures from /recap submit's options, read on submit
        self.figures = figures  # figures already read (a reopened form)
        prefill = values if values is not None else form.prefill()
        self.inputs: dict[str, discord.ui.TextInput] = {}
        for spec in TEXT_FIELDS:
            text_input = discord.ui.TextInput(
                custom_id=f"recap:{spec.key}",
                style=discord.TextStyle.paragraph if spec.multiline else discord.TextStyle.short,
                placeholder=fit(f"{spec.placeholder} (up to {spec.max_chars:,} characters)", 100),
                default=prefill.get(spec.key) or None,
                required=False,
                max_length=TEXT_INPUT_MAX,
            )
            self.inputs[spec.key] = text_input
            self.add_item(discord.ui.Label(text=fit(spec.label, 45), component=text_input))
        self.figuring = discord.ui.Checkbox(
            custom_id="recap:figuring", default=form.figuring_it_out if figuring is None else figuring,
        )
        self.add_item(discord.ui.Label(
            text=FIGURING_LABEL, component=self.figuring,
            description=FIGURING_HINT,
        ))

    def draft(self) -> RecapDraft:
        values = {key: (text_input.value or "") for key, text_input in self.inputs.items()}
        return RecapDraft(figuring_it_out=bool(self.figuring.value), figures=self.figures, **values)

    async def _read_figures(self) -> None:
        """The attached images' bytes (one over the size limit is not downloaded: the core refuses it)."""
        if self.attached and not self.figures:
            self.figures = tuple([
                FigureUpload(await file.read() if file.size <= MAX_FIGURE_BYTES else b"\0" * (MAX_FIGURE_BYTES + 1),
                             caption, file.filename)
                for file, caption in self.attached
            ])

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self._read_figures()
        draft = self.draft()
        reply = await core_call(self.core.submit_recap, self.actor, draft)
        if isinstance(reply, FormErrors):
            lines = [NOT_SAVED] + [f"- {message}" for message in reply.errors.values()]
            lines.append(f"Press **{FIX_RECAP}** to reopen the form with everything you typed.")
            await send(interaction, "\n".join(lines), view=FixView(self.core, self.actor, self.form, draft))
        elif not reply.ok:
            await send_text(interaction, reply.text, view=FixView(self.core, self.actor, self.form, draft))
        else:
            await send_text(interaction, reply.text)

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        unexpected(f"discord recap form (user {self.actor.user_ref})", error)
        await tell_failure(interaction, self.draft())


class FixView(discord.ui.View):
    """A modal cannot answer a modal: this button opens a new one with the rejected draft."""

    def __init__(self, core: Core, actor: Actor, form: RecapForm, draft: RecapDraft):
        super().__init__(timeout=FIX_TIMEOUT)
        self.core, self.actor, self.form, self.draft = core, actor, form, draft

    @discord.ui.button(label=FIX_RECAP, style=discord.ButtonStyle.primary)
    async def fix(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        values = {spec.key: getattr(self.draft, spec.key) for spec in TEXT_FIELDS}
        await interaction.response.send_modal(
            RecapModal(self.core, self.actor, self.form, values=values, figuring=self.draft.figuring_it_out,
                       figures=self.draft.figures)
        )

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item) -> None:
        unexpected(f"discord fix button (user {self.actor.user_ref})", error)
        await tell_failure(interaction, self.draft)
