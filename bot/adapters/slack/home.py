"""The App Home tab: per group you are in, your question, this cycle's status, your streak,
your last recaps.

Published when the person opens the tab and after every recap they submit
(whichever way: the modal, `/recap submit --progress ...`; see SlackAdapter).
Each group's "Write my recap" button (also in reminder DMs) carries the group's
id and opens that group's recap modal.
"""
from __future__ import annotations

import logging

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, DividerBlock, HeaderBlock, PlainTextObject
from slack_sdk.models.views import View

from ...core.replies import ChooseGroupReply, FormReply
from ...core.model import Overview
from ...core.forms import FIGURING_LABEL, answers
from ...core.texts import EDIT_RECAP, WRITE_RECAP, when
from ...render.blocks import context, escape, labelled_sections, section
from .. import core_call
from .common import Deps, Replier, report_failure, team_id_of, user_id_of, with_group
from . import groups
from .modal import OPEN_ACTION, notice_view, open_recap_form

log = logging.getLogger("recapbot.slack")

PREVIEW_CHARS = 400  # per answer in the home tab; `/recap history` shows everything
MAX_GROUPS_SHOWN = 8  # groups on the page (100 blocks); `/recap groups` lists them all
NO_GROUP = ("_You are not in a recap group here yet._ `/recap groups` lists this workspace's groups; "
            "`/recap join NAME` joins one.")


def _preview(text: str) -> str:
    """A visible, marked shortening (never a silent cut): the full text is one command away."""
    if len(text) <= PREVIEW_CHARS:
        return escape(text)
    return escape(text[:PREVIEW_CHARS].rstrip()) + "\u2026 _(`/recap history` shows all)_"


def home_view(states: list[Overview]) -> View:
    """One section per group the person is in, each with its own button."""
    blocks: list = [HeaderBlock(text=PlainTextObject(text="Your research recaps"))]
    if not states:
        blocks.append(section(NO_GROUP))
    for state in states[:MAX_GROUPS_SHOWN]:
        if len(states) > 1:
            blocks += [DividerBlock(), HeaderBlock(text=PlainTextObject(text=state.team_name[:150]))]
        blocks += _group_blocks(state)
    return View(type="home", blocks=blocks)


def _group_blocks(state: Overview) -> list:
    blocks: list = []
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
    blocks.append(ActionsBlock(block_id=f"home_actions_{state.team_id}", elements=[
        ButtonElement(text=label, action_id=OPEN_ACTION, value=str(state.team_id), style="primary")]))
    if state.feedback:  # one section for all (the page holds 100 blocks for up to 8 groups)
        lines = [f"*{escape(f.giver)}* on your recap for {escape(when(f.meeting_at.astimezone(state.zone)))}: "
                 f"{_preview(f.text)}" for f in state.feedback]
        blocks += labelled_sections("*Feedback on your recaps*", "\n".join(lines))
    blocks.append(section("*Your last recaps*" if state.recent else "*Your last recaps*\n_None yet._"))
    for recap in state.recent:
        lines = [f"*{escape(when(recap.meeting_at.astimezone(state.zone)))}*" + (" _(late)_" if recap.late else "")]
        lines += [f"*{spec.title}:* {_preview(value)}" for spec, value in answers(recap)]
        if recap.figuring_it_out:
            lines.append(f"_{FIGURING_LABEL}._")
        blocks.append(section("\n".join(lines)))
    return blocks


async def publish(deps: Deps, client, team_id: str, user_id: str) -> None:
    actor = await deps.actor(client, team_id, user_id)
    await show(client, user_id, await core_call(deps.core.overviews, actor))


async def show(client, user_id: str, overviews: list[Overview]) -> None:
    await client.views_publish(user_id=user_id, view=home_view(overviews))


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
            value = (body.get("actions") or [{}])[0].get("value") or ""
            actor = await deps.actor(client, team_id_of(body, context), user_id)
            actor = with_group(actor, value if value.isdigit() else None)  # the group of the button pressed
            reply = await core_call(deps.handler.run, actor, "submit", [])
            if isinstance(reply, FormReply):
                await open_recap_form(client, body["trigger_id"], reply.form, replier)
            elif isinstance(reply, ChooseGroupReply) and not reply.joining:
                await groups.show_choice(client, body["trigger_id"], reply, replier, None)
            else:
                await client.views_open(trigger_id=body["trigger_id"], view=notice_view("Recap", reply.text))
        except Exception as exc:  # noqa: BLE001
            await report_failure("recap button", exc, replier)
