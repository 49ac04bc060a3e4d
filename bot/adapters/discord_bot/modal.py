"""The recap form on Discord: two modals, because a modal holds at most five components.

The recap modal holds the four texts of a meeting: progress, what didn't work,
questions for the group, the plan until the next meeting (four Labels; the
fifth place is left free). Above progress: the feedback on the member's last
recap (the Label's description) and what they planned last time (the
placeholder, seen while progress is empty; the description when there is no
feedback). Both are cut at Discord's 100 characters with a visible ellipsis;
the whole text is in the direct message the feedback came with and in
`/recap history`.

What changes rarely comes second, from a button under the confirmation: the
"more" modal holds the big-picture question and the open milestones to tick
(a select), and re-submits the stored recap with them. A form that comes back
empty is answered with a "Still figuring it out" button instead of a checkbox.

Discord lets a text input hold 4,000 characters; the core's limit (3,000) is
what counts and the placeholder says so. Text over it is not cut by the
client: the core refuses it with a message, and a "fix" button reopens the
form with everything that was typed, so nothing is lost.
"""
from __future__ import annotations

from dataclasses import replace

import discord

from ...core.forms import (
    FAILURES, FEEDBACK_ON_LAST, FIGURING_LABEL, LAST_PLAN, MILESTONES_KEY, MILESTONES_LABEL, PLAN, PROGRESS, QUESTION,
    QUESTIONS, FormField, RecapForm,
)
from ...core.guard import unexpected
from ...core.model import MAX_FIGURE_BYTES, WEEKDAYS, Actor, FigureUpload, RecapDraft
from ...core.replies import FormErrors, Reply
from ...core.service import Core
from ...core.texts import FIX_RECAP, NOT_SAVED, day
from ...render.embeds import fit
from .. import core_call
from .replies import send, send_text, tell_failure

TEXT_INPUT_MAX = 4000  # Discord's own ceiling for a text input
MODAL_TITLE_MAX = 45
LABEL_MAX = 45
DESCRIPTION_MAX = PLACEHOLDER_MAX = OPTION_MAX = 100
SELECT_MAX = 25
MODAL_COMPONENTS_MAX = 5
# The recap modal's fields; the big-picture question is in the "more" modal.
RECAP_FIELDS: tuple[FormField, ...] = (PROGRESS, FAILURES, QUESTIONS, PLAN)
MORE_LABEL = "Big-picture question & milestones"
# How long an open form keeps listening: long recaps take time, and a submit that
# arrives after this would be lost; unsubmitted forms are dropped from memory then.
FORM_TIMEOUT = 6 * 60 * 60
FIX_TIMEOUT = 60 * 60


def modal_title(form: RecapForm) -> str:
    m = form.meeting_local
    verb = "Update your recap" if form.replacing else "Recap"
    return fit(f"{verb} for {WEEKDAYS[m.weekday()]} {m:%d %b}", MODAL_TITLE_MAX)


def _text_input(spec: FormField, value: str | None, placeholder: str | None = None) -> discord.ui.TextInput:
    return discord.ui.TextInput(
        custom_id=f"recap:{spec.key}",
        style=discord.TextStyle.paragraph if spec.multiline else discord.TextStyle.short,
        placeholder=fit(placeholder or f"{spec.placeholder} (up to {spec.max_chars:,} characters)", PLACEHOLDER_MAX),
        default=value or None, required=False, max_length=TEXT_INPUT_MAX,
    )


def progress_hints(form: RecapForm) -> tuple[str | None, str | None]:
    """(description, placeholder) of the progress field: the feedback on the last recap and last time's plan."""
    plan = f"{LAST_PLAN}: {form.last_plan}" if form.last_plan else None
    feedback = "; ".join(f"{f.giver}: {f.text}" for f in form.feedback)
    description = f"{FEEDBACK_ON_LAST} ({feedback})" if feedback else plan
    return (fit(" ".join(description.split()), DESCRIPTION_MAX) if description else None,
            fit(" ".join(plan.split()), PLACEHOLDER_MAX) if plan else None)


class RecapModal(discord.ui.Modal):
    """Pre-filled with this cycle's answers when replacing them. Figures come from `/recap submit`'s
    attachment options (`attached`, read on submit), not from a component of the modal."""

    def __init__(self, core: Core, actor: Actor, form: RecapForm, values: dict[str, str] | None = None,
                 attached: tuple[tuple[discord.Attachment, str], ...] = (), figures: tuple[FigureUpload, ...] = ()):
        super().__init__(title=modal_title(form), timeout=FORM_TIMEOUT)
        self.core, self.actor, self.form = core, actor, form
        self.attached = attached  # figures from /recap submit's options, read on submit
        self.figures = figures  # figures already read (a reopened form)
        prefill = values if values is not None else form.prefill()
        description, plan = progress_hints(form)
        self.inputs: dict[str, discord.ui.TextInput] = {}
        for spec in RECAP_FIELDS:
            hint = plan if spec is PROGRESS and not prefill.get(spec.key) else None
            text_input = self.inputs[spec.key] = _text_input(spec, prefill.get(spec.key), hint)
            self.add_item(discord.ui.Label(text=fit(spec.label, LABEL_MAX), component=text_input,
                                           description=description if spec is PROGRESS else None))

    def draft(self, figuring: bool | None = None) -> RecapDraft:
        values = {key: (text_input.value or "") for key, text_input in self.inputs.items()}
        return RecapDraft(figuring_it_out=self.form.figuring_it_out if figuring is None else figuring,
                          figures=self.figures, **values)

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
        await answer(interaction, self.core, self.actor, self.form, draft, reply)

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        unexpected(f"discord recap form (user {self.actor.user_ref})", error)
        await tell_failure(interaction, self.draft())


def is_empty_form(reply: FormErrors, draft: RecapDraft) -> bool:
    """The form came back with nothing in it: offer "still figuring it out" rather than a fix."""
    return not any(getattr(draft, spec.key) for spec in RECAP_FIELDS) and set(reply.errors) == {PROGRESS.key}


async def answer(interaction: discord.Interaction, core: Core, actor: Actor, form: RecapForm, draft: RecapDraft,
                 reply: Reply) -> None:
    """What a submitted form gets back: the confirmation with the "more" button, or what to fix."""
    if isinstance(reply, FormErrors):
        lines = [NOT_SAVED] + [f"- {message}" for message in reply.errors.values()]
        empty = is_empty_form(reply, draft)
        if empty:
            lines.append(f"Press **{FIGURING_LABEL}** if you have nothing to report yet; that counts as taking part.")
        lines.append(f"Press **{FIX_RECAP}** to reopen the form with everything you typed.")
        await send(interaction, "\n".join(lines), view=FixView(core, actor, form, draft, figuring=empty))
    elif not reply.ok:
        await send_text(interaction, reply.text, view=FixView(core, actor, form, draft))
    else:
        await send_text(interaction, reply.text, view=MoreView(core, actor))


class MoreModal(discord.ui.Modal):
    """The big-picture question and the milestones reached; re-submits the stored recap with them."""

    def __init__(self, core: Core, actor: Actor, form: RecapForm):
        super().__init__(title=fit("More for your recap", MODAL_TITLE_MAX), timeout=FORM_TIMEOUT)
        self.core, self.actor, self.form = core, actor, form
        self.question = _text_input(QUESTION, form.prefill()["question"])
        self.add_item(discord.ui.Label(text=fit(QUESTION.label, LABEL_MAX), component=self.question))
        self.milestones: discord.ui.Select | None = None
        options = [discord.SelectOption(label=fit(f"#{m.number} {m.title}", OPTION_MAX), value=str(m.number),
                                        description=fit(f"due {day(m.due)}", OPTION_MAX))
                   for m in form.milestones[:SELECT_MAX]]
        if options:
            self.milestones = discord.ui.Select(custom_id=f"recap:{MILESTONES_KEY}", options=options, min_values=0,
                                                max_values=len(options), required=False,
                                                placeholder="None reached yet")
            self.add_item(discord.ui.Label(text=MILESTONES_LABEL, component=self.milestones,
                                           description="The ones you reached since the last meeting"))

    def draft(self) -> RecapDraft:
        """The stored recap's texts with this question and these milestones (its figures stay: none are sent)."""
        values = self.form.prefill()
        values["question"] = self.question.value or ""
        done = tuple(int(v) for v in (self.milestones.values if self.milestones else []) if v.isdigit())
        return RecapDraft(figuring_it_out=self.form.figuring_it_out, milestones_done=done, **values)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        draft = self.draft()
        await interaction.response.defer(ephemeral=True, thinking=True)
        reply = await core_call(self.core.submit_recap, self.actor, draft)
        await answer(interaction, self.core, self.actor, self.form, draft, reply)

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        unexpected(f"discord more form (user {self.actor.user_ref})", error)
        await tell_failure(interaction, self.draft())


class MoreView(discord.ui.View):
    """Under the confirmation: the button that opens the "more" modal (a modal cannot answer a modal)."""

    def __init__(self, core: Core, actor: Actor):
        super().__init__(timeout=FIX_TIMEOUT)
        self.core, self.actor = core, actor

    @discord.ui.button(label=MORE_LABEL, style=discord.ButtonStyle.secondary)
    async def more(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        form = await core_call(self.core.recaps.form, self.actor)
        await interaction.response.send_modal(MoreModal(self.core, self.actor, form))

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item) -> None:
        unexpected(f"discord more button (user {self.actor.user_ref})", error)
        await tell_failure(interaction)


class FixView(discord.ui.View):
    """A modal cannot answer a modal: this button opens a new one with the rejected draft; for an
    empty form, "Still figuring it out" stores it as that instead."""

    def __init__(self, core: Core, actor: Actor, form: RecapForm, draft: RecapDraft, figuring: bool = False):
        super().__init__(timeout=FIX_TIMEOUT)
        self.core, self.actor, self.form, self.draft = core, actor, form, draft
        if figuring:
            button = discord.ui.Button(label=FIGURING_LABEL, style=discord.ButtonStyle.primary)
            button.callback = self._figuring
            self.add_item(button)

    @discord.ui.button(label=FIX_RECAP, style=discord.ButtonStyle.secondary)
    async def fix(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        values = {spec.key: getattr(self.draft, spec.key) for spec in RECAP_FIELDS}
        await interaction.response.send_modal(RecapModal(self.core, self.actor, self.form, values=values,
                                                         figures=self.draft.figures))

    async def _figuring(self, interaction: discord.Interaction) -> None:
        self.stop()
        await interaction.response.defer(ephemeral=True, thinking=True)
        draft = replace(self.draft, figuring_it_out=True)
        reply = await core_call(self.core.submit_recap, self.actor, draft)
        await answer(interaction, self.core, self.actor, self.form, draft, reply)

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item) -> None:
        unexpected(f"discord fix button (user {self.actor.user_ref})", error)
        await tell_failure(interaction, self.draft)

