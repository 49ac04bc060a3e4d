"""`/recap export` and `/recap forget-me` on Slack: files to the person's DM, a confirm button.

The export goes up with `files_upload_v2` (files.upload is retired) into the
person's DM with the bot. forget-me's question is an ephemeral message with
two buttons; the confirm button carries the core's confirmation token, so a
press needs no state here and an old one is refused by the core.
"""
from __future__ import annotations

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ActionsBlock, ButtonElement
from slack_sdk.web.async_client import AsyncWebClient

from ...core.replies import ConfirmReply, FileReply
from ...render.blocks import MAX_SECTION_CHARS, pack, section, split_text, text_messages, to_mrkdwn, to_plain
from .. import core_call
from .common import Deps, Replier, report_failure, team_id_of, user_id_of

CONFIRM_ACTION, CANCEL_ACTION = "recap_confirm", "recap_cancel"
EXPORT_SENT = "Your export is in your direct messages with recapbot: a JSON file and a Markdown file."
NO_FILES_SCOPE = ("recapbot cannot send files in this workspace yet: a workspace admin needs to reinstall it "
                  "(its manifest now asks for `files:write`). Nothing was lost.")


async def send_files(client: AsyncWebClient, user_id: str, reply: FileReply, replier: Replier) -> None:
    dm = (await client.conversations_open(users=user_id))["channel"]["id"]
    try:
        await client.files_upload_v2(
            channel=dm, initial_comment=to_mrkdwn(reply.text),
            file_uploads=[{"content": f.content, "filename": f.filename, "title": f.filename} for f in reply.files],
        )
    except SlackApiError as exc:
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        if data.get("error") != "missing_scope":  # installed before the manifest asked for files:write
            raise
        await replier.text(":warning: " + NO_FILES_SCOPE)
        return
    await replier.text(reply.sent or EXPORT_SENT)


async def ask(reply: ConfirmReply, replier: Replier) -> None:
    blocks = [section(chunk) for chunk in split_text(to_mrkdwn(reply.text), MAX_SECTION_CHARS)]
    blocks.append(ActionsBlock(block_id="confirm", elements=[
        ButtonElement(text=reply.confirm_label, action_id=CONFIRM_ACTION, value=reply.action, style="danger"),
        ButtonElement(text="Cancel", action_id=CANCEL_ACTION, value=reply.cancelled_text),
    ]))
    await replier.send(pack(blocks, to_plain(reply.text)))


def register(app, deps: Deps) -> None:
    @app.action(CONFIRM_ACTION)
    async def on_confirm(ack, body, client, context, respond):
        await ack()
        user_id = user_id_of(body, context)
        try:
            actor = await deps.actor(client, team_id_of(body, context), user_id)
            reply = await core_call(deps.handler.confirm, actor, body["actions"][0]["value"])
            await _replace(respond, reply.text if reply.ok else ":warning: " + reply.text)
        except Exception as exc:  # noqa: BLE001 - after the ack: log it and tell the person
            await report_failure("confirm", exc, Replier(client, user_id, respond))

    @app.action(CANCEL_ACTION)
    async def on_cancel(ack, body, respond):
        await ack()
        await _replace(respond, body["actions"][0].get("value") or "Cancelled.")


async def _replace(respond, markdown: str) -> None:
    """The answer takes the buttons' place, so they cannot be pressed twice."""
    [message] = text_messages(markdown)[:1]
    await respond(text=message.text, blocks=message.blocks, response_type="ephemeral", replace_original=True)
