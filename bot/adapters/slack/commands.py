"""`/recap ...`: acknowledge at once, then run the core's command and show its reply.

Every answer is private (ephemeral, through the command's response_url). The
form and the settings open as modals right after the acknowledgement, while
the trigger_id is still valid.
"""
from __future__ import annotations

import logging

from dataclasses import replace

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
from ...core.texts import BUSY, settings_refusal
from ...render.blocks import all_digest_messages, context, pack, to_mrkdwn
from .. import core_call
from . import groups, privacy, settings_modal
from .common import Deps, Replier, from_slack_text, report_failure, team_id_of, user_id_of
from .modal import open_recap_form

log = logging.getLogger("recapbot.slack")

COMMAND = "/recap"
REFUSAL = settings_refusal("workspace admins or owners")


def register(app, deps: Deps) -> None:
    @app.command(COMMAND)
    async def on_recap(ack, body, client, context, respond):
        with deps.backlog.slot() as room:
            if not room:  # answered in the acknowledgement itself: no request more, nothing run
                await ack(text=":hourglass: " + BUSY)
                return
            await ack()
            user_id = user_id_of(body, context)
            await run_command(deps, body, client, context, Replier(client, user_id, deps.respond(body, respond)))


async def run_command(deps: Deps, body: dict, client, context, replier: Replier) -> None:
    """The command after its acknowledgement: the core's answer, through the response_url."""
    user_id = replier.user_id
    try:
        team_id = team_id_of(body, context)
        log.debug("slack /recap from %s in %s (%d characters)", user_id, team_id, len(body.get("text") or ""))
        actor = await deps.actor(client, team_id, user_id, body)
        try:
            text, named = await groups.expand_people(deps, client, team_id, body.get("text") or "")
        except groups.UserGroupsUnreadable:
            await replier.text(":warning: " + groups.NO_USERGROUPS)
            return
        reply = await core_call(deps.handler.handle, replace(actor, mentioned=named), from_slack_text(text))
        await show(deps, client, body, actor, reply, replier)
    except Exception as exc:  # noqa: BLE001 - after the ack: log it and tell the person
        await report_failure("/recap", exc, replier)


async def show(deps: Deps, client, body: dict, actor, reply: Reply, replier: Replier) -> None:
    trigger_id = body.get("trigger_id")
    response_url = body.get("response_url")
    if isinstance(reply, FormReply):
        await open_recap_form(client, trigger_id, reply.form, replier, response_url)
    elif isinstance(reply, SettingsReply):
        if reply.can_edit:
            await settings_modal.open_settings(client, trigger_id, actor, reply.team, replier, response_url)
            if reply.note:  # a group was just made for this channel: say so beside the modal
                await replier.text(reply.note)
        else:
            await replier.text(reply.text + "\n\n" + REFUSAL)
    elif isinstance(reply, DigestReply):
        messages = all_digest_messages(reply.digest)
        if reply.note:
            messages = pack([context(to_mrkdwn(reply.note))], reply.note) + messages
        await replier.send(messages, note=(
            f"The preview is {len(messages)} messages long, more than fits here: "
            "I sent it to you as a direct message."
        ))
    elif isinstance(reply, TextReply):
        await replier.text(reply.text if reply.ok else ":warning: " + reply.text)
    elif isinstance(reply, FileReply):
        await privacy.send_files(client, actor.user_ref, reply, replier)
    elif isinstance(reply, ConfirmReply):
        await privacy.ask(reply, replier)
    elif isinstance(reply, JoinReply):
        await groups.show_join(reply, replier)
    elif isinstance(reply, ChooseGroupReply):
        await groups.show_choice(client, trigger_id, reply, replier, response_url)
    else:  # pragma: no cover - a new reply type must be handled here
        raise TypeError(f"unknown reply {type(reply).__name__}")
