"""The buttons of a posted digest on Slack: "Give feedback" under each member's part (a small
modal), and "Answered" beside each open question of the agenda.

The buttons carry ids (a recap's, a group question's); the core checks that
they belong to the group of the workspace the click came from. The feedback
modal is checked before it is acknowledged, so a problem is shown in the
modal itself and nothing typed is lost.
"""
from __future__ import annotations

import json
import logging

from slack_sdk.models.blocks import InputBlock, PlainTextInputElement, PlainTextObject
from slack_sdk.models.views import View

from ...core.errors import UserError
from ...core.guard import unexpected
from ...core.model import MAX_FIELD_CHARS
from ...core.texts import (
    FEEDBACK_PLACEHOLDER, FEEDBACK_PROMPT, NOT_OUR_BUTTON, NOT_OUR_FORM, feedback_given, question_answered,
)
from ...render.blocks import ANSWERED_ACTION, FEEDBACK_ACTION, context, escape
from .. import core_call
from .common import Deps, Replier, report_failure, team_id_of, user_id_of
from .modal import VALUE, notice_view, open_modal, read_metadata

log = logging.getLogger("recapbot.slack")

FEEDBACK_CALLBACK = "recap_feedback_submit"
FEEDBACK_BLOCK = "feedback"


def feedback_view(recap_id: int, author: str) -> View:
    element = PlainTextInputElement(action_id=VALUE, multiline=True, max_length=MAX_FIELD_CHARS,
                                    placeholder=FEEDBACK_PLACEHOLDER[:150])
    return View(
        type="modal", callback_id=FEEDBACK_CALLBACK, title=PlainTextObject(text="Give feedback"),
        submit=PlainTextObject(text="Send"), close=PlainTextObject(text="Cancel"),
        private_metadata=json.dumps({"recap": recap_id, "author": author[:200]}),
        blocks=[context(f"On *{escape(author)}*'s recap. They see your name with it."),
                InputBlock(block_id=FEEDBACK_BLOCK, label=FEEDBACK_PROMPT, element=element)],
    )


def _id(body: dict) -> int | None:
    value = str(((body.get("actions") or [{}])[0]).get("value") or "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


def register(app, deps: Deps) -> None:
    @app.action(FEEDBACK_ACTION)
    async def on_give_feedback(ack, body, client, context):
        await ack()
        user_id = user_id_of(body, context)
        replier = Replier(client, user_id)
        try:
            actor = await deps.actor(client, team_id_of(body, context), user_id)
            recap_id = _id(body)
            try:
                if recap_id is None:
                    raise UserError(NOT_OUR_BUTTON)
                _, author, _ = await core_call(deps.core.feedback.recap_for, actor, recap_id)
            except UserError as exc:
                await open_modal(client, body["trigger_id"], notice_view("Give feedback", exc.message), replier)
                return
            await open_modal(client, body["trigger_id"], feedback_view(recap_id, author), replier)
        except Exception as exc:  # noqa: BLE001
            await report_failure("feedback button", exc, replier)

    @app.view(FEEDBACK_CALLBACK)
    async def on_feedback_submit(ack, body, client, context):
        view = body.get("view") or {}
        meta = read_metadata(view)
        values = ((view.get("state") or {}).get("values") or {})
        text = ((values.get(FEEDBACK_BLOCK) or {}).get(VALUE) or {}).get("value") or ""
        recap_id = meta.get("recap")
        try:
            if not isinstance(recap_id, int):
                raise UserError(NOT_OUR_FORM)
            actor = await deps.actor(client, team_id_of(body, context), user_id_of(body, context))
            await core_call(deps.core.feedback.give, actor, recap_id, text)
        except UserError as exc:
            await ack(response_action="errors", errors={FEEDBACK_BLOCK: exc.message})
            return
        except Exception as exc:  # noqa: BLE001 - the modal stays open: nothing is lost
            await ack(response_action="errors", errors={FEEDBACK_BLOCK: unexpected("slack feedback form", exc)})
            return
        await ack(response_action="update",
                  view=notice_view("Feedback sent", feedback_given(str(meta.get("author") or "They"))))

    @app.action(ANSWERED_ACTION)
    async def on_answered(ack, body, client, context, respond):
        await ack()
        user_id = user_id_of(body, context)
        replier = Replier(client, user_id, respond if body.get("response_url") else None)
        try:
            actor = await deps.actor(client, team_id_of(body, context), user_id)
            question_id = _id(body)
            try:
                if question_id is None:
                    raise UserError(NOT_OUR_BUTTON)
                question = await core_call(lambda: deps.core.questions.answer(actor, question_id=question_id))
            except UserError as exc:
                await replier.text(":warning: " + exc.message)
                return
            await replier.text(":white_check_mark: " + question_answered(question))
        except Exception as exc:  # noqa: BLE001
            await report_failure("answered button", exc, replier)
