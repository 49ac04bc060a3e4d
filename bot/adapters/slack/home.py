"""The App Home tab: your question, this cycle's status, your streak, your last recaps.

Published when the person opens the tab and after every recap they submit
(whichever way: the modal, `/recap submit --progress ...`; see SlackAdapter).
Its "Write my recap" button (also in reminder DMs) opens the recap modal.
"""
from __future__ import annotations

import logging

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, DividerBlock, HeaderBlock, PlainTextObject
from slack_sdk.models.views import View

from ...core.errors import UserError
from ...core.model import Overview
from ...core.forms import FIGURING_LABEL, answers
from ...core.texts import EDIT_RECAP, WRITE_RECAP, when
from ...render.blocks import context, escape, labelled_sections, section
from .. import core_call
from .common import Deps, Replier, report_failure, team_id_of, user_id_of
from .modal import OPEN_ACTION, notice_view, open_recap_form

log = logging.getLogger("recapbot.slack")

PREVIEW_CHARS = 400  # per answer in the home tab; `/recap history` shows everything


def _preview(text: str) -> str:
    """A visible, marked shortening (never a silent cut): the full text is one command away."""
    if len(text) <= PREVIEW_CHARS:
        return escape(text)
    return escape(text[:PREVIEW_CHARS].rstrip()) + "\u2026 _(`/recap history` shows all)_"


def home_view(state: Overview) -> View:
    blocks: list = [HeaderBlock(text=PlainTextObject(text="Your research recaps"))]
    blocks += labelled_sections("*Your big-picture question*",
                                escape(state.question) if state.question else
                                "_Not set yet: write it in your next recap, or `/recap question <text>`._")
    if state.problem:
        blocks.append(section(":calendar: " + escape(state.problem)))
    elif state.submitted:
        blocks.append(section(
            f":white_check_mark: *Submitted* for the meeting on {escape(when(state.meeting))}. "
            f"You can edit it until the digest goes out {escape(when(state.digest))} ({state.digest_relative})."))
    else:
        blocks.append(section(
            f":hourglass_flowing_sand: *Not submitted yet* for the meeting on {escape(when(state.meeting))}. "
            f"The digest goes out {escape(when(state.digest))} ({state.digest_relative})."))
    blocks.append(context(f":fire: Streak: *{state.streak}* meeting{'s' if state.streak != 1 else ''} in a row"))
    label = EDIT_RECAP if state.submitted else WRITE_RECAP
    blocks.append(ActionsBlock(block_id="home_actions", elements=[
        ButtonElement(text=label, action_id=OPEN_ACTION, value="home", style="primary")]))
    if state.feedback:
        blocks.append(DividerBlock())
        blocks.append(section("*Feedback on your recaps*"))
        for f in state.feedback:
            head = (f"*{escape(f.giver)}* on your recap for {escape(when(f.meeting_at.astimezone(state.zone)))}"
                    f" _({escape(f.given_at.astimezone(state.zone).strftime('%d %b %Y'))})_")
            blocks += labelled_sections(head, _preview(f.text))
    blocks.append(DividerBlock())
    blocks.append(section("*Your last recaps*" if state.recent else "*Your last recaps*\n_None yet._"))
    for recap in state.recent:
        lines = [f"*{escape(when(recap.meeting_at.astimezone(state.zone)))}*" + (" _(late)_" if recap.late else "")]
        lines += [f"*{spec.title}:* {_preview(value)}" for spec, value in answers(recap)]
        if recap.figuring_it_out:
            lines.append(f"_{FIGURING_LABEL}._")
        blocks.append(section("\n".join(lines)))
    return View(type="home", blocks=blocks)


async def publish(deps: Deps, client, team_id: str, user_id: str) -> None:
    actor = await deps.actor(client, team_id, user_id)
    await show(client, user_id, await core_call(deps.core.overview, actor))


async def show(client, user_id: str, overview: Overview) -> None:
    await client.views_publish(user_id=user_id, view=home_view(overview))


def register(app, deps: Deps) -> None:
    @app.event("app_home_opened")
    async def on_home_opened(event, body, client, context):
        if event.get("tab", "home") != "home":
            return
        try:
            await publish(deps, client, team_id_of(body, context), event["user"])
        except Exception as exc:  # noqa: BLE001 - events are already acknowledged
            await report_failure("app_home_opened", exc, None)

    @app.action(OPEN_ACTION)
    async def on_open_form(ack, body, client, context):
        await ack()
        user_id = user_id_of(body, context)
        replier = Replier(client, user_id)
        try:
            actor = await deps.actor(client, team_id_of(body, context), user_id)
            try:
                form = await core_call(deps.core.recaps.form, actor)
            except UserError as exc:
                await client.views_open(trigger_id=body["trigger_id"], view=notice_view("Recap", exc.message))
                return
            await open_recap_form(client, body["trigger_id"], form, replier)
        except Exception as exc:  # noqa: BLE001
            await report_failure("recap button", exc, replier)
