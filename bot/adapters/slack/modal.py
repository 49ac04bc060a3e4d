"""The recap form as a Slack modal: open it, and take its submission.

The modal opens right after the acknowledgement (a trigger_id lasts 3 s).
A submission is checked by the core *before* it is acknowledged, because
Slack only shows inline errors (`response_action: errors`) in the answer to
the submission itself; the modal stays open and nothing typed is lost. A
stored recap is confirmed privately (the App Home refreshes on its own).
"""
from __future__ import annotations

import json
import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    CheckboxesElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
)
from slack_sdk.models.views import View
from slack_sdk.webhook.async_client import AsyncWebhookClient
from slack_sdk.web.async_client import AsyncWebClient

from ...core.forms import (
    FIGURING_LABEL, FIGURING_PROMPT, MILESTONES_HINT, MILESTONES_KEY, MILESTONES_LABEL, PROGRESS, TEXT_FIELDS, RecapForm,
)
from ...core.guard import unexpected
from ...core.model import RecapDraft
from ...core.replies import FormErrors
from ...core.texts import FORM_REPLACING, day, form_feedback, form_intro, form_last_plan
from ...render.blocks import MAX_CONTEXT_CHARS, MAX_SECTION_CHARS, context, section, split_text, to_mrkdwn
from .. import core_call
from .common import Deps, Replier, report_failure, team_id_of, user_id_of
from .errors import error_code

log = logging.getLogger("recapbot.slack")

CALLBACK_ID = "recap_submit"
OPEN_ACTION = "recap_open"  # the button in the App Home and in reminders
FIGURING_BLOCK = "figuring"
VALUE = "value"
CHECKBOXES_MAX = 10  # options in one checkboxes element
OPTION_CHARS = 75
EXPIRED_TRIGGER = ("Slack did not let me open the form in time. Type `/recap` again; nothing was lost.")


def metadata(response_url: str | None) -> str:
    """Where to confirm: kept in the view's private_metadata (at most 3,000 characters)."""
    text = json.dumps({"r": response_url} if response_url else {})
    return text if len(text) <= 3000 else "{}"


def read_metadata(view: dict) -> dict:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def milestone_blocks(form: RecapForm) -> list[InputBlock]:
    """The member's open milestones as checkboxes (10 to an element: Slack's limit), value = number."""
    options = [Option(value=str(m.number), label=_fit(f"#{m.number} {m.title}", OPTION_CHARS),
                      description=_fit(f"due {day(m.due)}", OPTION_CHARS)) for m in form.milestones]
    blocks = []
    for i in range(0, len(options), CHECKBOXES_MAX):
        blocks.append(InputBlock(
            block_id=MILESTONES_KEY if i == 0 else f"{MILESTONES_KEY}_{i // CHECKBOXES_MAX}",
            label=MILESTONES_LABEL if i == 0 else f"{MILESTONES_LABEL} (continued)", optional=True,
            hint=MILESTONES_HINT if i == 0 else None,
            element=CheckboxesElement(action_id=VALUE, options=options[i:i + CHECKBOXES_MAX])))
    return blocks


def recap_view(form: RecapForm, private_metadata: str = "") -> View:
    values = form.prefill()
    blocks: list[Any] = [context(to_mrkdwn(form_intro(form)))]
    for line in form_feedback(form.feedback):  # up to 3,000 characters: sections, split, not cut
        blocks += [section(chunk) for chunk in split_text(":speech_balloon: " + to_mrkdwn(line), MAX_SECTION_CHARS)]
    if form.replacing:
        blocks.append(section(":pencil2: " + to_mrkdwn(FORM_REPLACING)))
    for spec in TEXT_FIELDS:
        if spec is PROGRESS and form.last_plan:
            blocks += [context(chunk) for chunk in split_text(to_mrkdwn(form_last_plan(form.last_plan)),
                                                              MAX_CONTEXT_CHARS)]
        element = PlainTextInputElement(
            action_id=VALUE, multiline=spec.multiline, max_length=spec.max_chars,
            placeholder=spec.placeholder[:150], initial_value=values[spec.key] or None,
        )
        blocks.append(InputBlock(block_id=spec.key, label=spec.label, element=element, optional=True))
    blocks += milestone_blocks(form)
    option = Option(value="yes", label=FIGURING_LABEL)
    blocks.append(InputBlock(
        block_id=FIGURING_BLOCK, label=FIGURING_PROMPT, optional=True,
        element=CheckboxesElement(action_id=VALUE, options=[option],
                                  initial_options=[option] if form.figuring_it_out else None),
    ))
    return View(
        type="modal", callback_id=CALLBACK_ID,
        title=PlainTextObject(text="Your recap"),
        submit=PlainTextObject(text="Replace" if form.replacing else "Submit"),
        close=PlainTextObject(text="Cancel"),
        blocks=blocks, private_metadata=private_metadata,
    )


def notice_view(title: str, markdown_text: str) -> View:
    """A modal that only says something (when the form cannot be shown)."""
    blocks = [section(chunk) for chunk in split_text(to_mrkdwn(markdown_text), MAX_SECTION_CHARS)[:90]]
    return View(type="modal", title=PlainTextObject(text=title[:24]), close=PlainTextObject(text="Close"),
                blocks=blocks)


def draft_from(view: dict) -> RecapDraft:
    values = (view.get("state") or {}).get("values") or {}

    def text(key: str) -> str:
        return ((values.get(key) or {}).get(VALUE) or {}).get("value") or ""

    def selected(block_id: str) -> list[str]:
        options = ((values.get(block_id) or {}).get(VALUE) or {}).get("selected_options") or []
        return [str(option.get("value") or "") for option in options if isinstance(option, dict)]

    reached = [value for block_id in values if block_id.startswith(MILESTONES_KEY) for value in selected(block_id)]
    return RecapDraft(
        figuring_it_out=bool(selected(FIGURING_BLOCK)),
        milestones_done=tuple(int(v) for v in reached if v.isascii() and v.isdigit() and len(v) < 10),
        **{spec.key: text(spec.key) for spec in TEXT_FIELDS},
    )


async def open_modal(client: AsyncWebClient, trigger_id: str, view: View, replier: Replier,
                     command: str = "/recap") -> None:
    """views.open; an expired trigger (3 s, single use) becomes a friendly private message."""
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        if error_code(exc) != "expired_trigger_id":
            raise
        log.warning("slack views.open: expired_trigger_id (user %s)", replier.user_id)
        await replier.text(EXPIRED_TRIGGER.replace("`/recap`", f"`{command}`"))


async def open_recap_form(client: AsyncWebClient, trigger_id: str, form: RecapForm, replier: Replier,
                          response_url: str | None = None) -> None:
    await open_modal(client, trigger_id, recap_view(form, metadata(response_url)), replier)


def register(app, deps: Deps) -> None:
    @app.view(CALLBACK_ID)
    async def on_recap_submit(ack, body, client, context):
        team_id, user_id = team_id_of(body, context), user_id_of(body, context)
        view = body.get("view") or {}
        draft = draft_from(view)
        log.debug("slack recap submission from %s in %s (%d characters)", user_id, team_id,
                  sum(len(getattr(draft, spec.key)) for spec in TEXT_FIELDS))
        try:
            actor = await deps.actor(client, team_id, user_id)
            reply = await core_call(deps.core.submit_recap, actor, draft)
        except Exception as exc:  # noqa: BLE001 - the modal stays open: nothing is lost
            await ack(response_action="errors", errors={"progress": unexpected("slack recap form", exc)})
            return
        if isinstance(reply, FormErrors):
            await ack(response_action="errors", errors=reply.errors)
            return
        if not reply.ok:  # nothing to fix in a field (no meeting time yet): shown under Progress
            await ack(response_action="errors", errors={"progress": reply.text})
            return
        await ack()
        meta = read_metadata(view)
        replier = Replier(client, user_id, respond_to(meta.get("r")))
        try:
            await replier.text(":white_check_mark: " + reply.text)
        except Exception as exc:  # noqa: BLE001
            await report_failure("recap confirmation", exc, None)


def respond_to(response_url: str | None):
    """A respond() bound to the response_url of the /recap that opened the modal."""
    if not response_url:
        return None

    async def send(**kwargs):
        webhook = AsyncWebhookClient(url=response_url)
        response = await webhook.send(**kwargs)
        if response.status_code != 200:
            raise RuntimeError(f"response_url answered {response.status_code}")
        return response

    return send
