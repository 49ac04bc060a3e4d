"""The recap form as a Slack modal: open it, and take its submission.

The modal opens right after the acknowledgement (a trigger_id lasts 3 s).
A submission is checked by the core *before* it is acknowledged, because
Slack only shows inline errors (`response_action: errors`) in the answer to
the submission itself; the modal stays open and nothing typed is lost. A
stored recap is confirmed privately (the App Home refreshes on its own).

Someone in several groups gets a static select of their groups at the top
(the form starts with it when the core could not tell which group they
meant) and a button per other group to copy their latest recap from there;
either redraws the modal (views.update) with the core's form for that choice.
The group the form is for travels in the view's private_metadata.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    CheckboxesElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
)
from slack_sdk.models.blocks.block_elements import FileInputElement
from slack_sdk.models.views import View
from slack_sdk.webhook.async_client import AsyncWebhookClient
from slack_sdk.web.async_client import AsyncWebClient

from ...core.forms import (
    FIGURING_LABEL, FIGURING_PROMPT, MILESTONES_HINT, MILESTONES_KEY, MILESTONES_LABEL, PROGRESS, TEXT_FIELDS, RecapForm,
)
from ...core.guard import unexpected
from ...core.errors import UserError
from ...core.figures import EXTENSIONS
from ...core.model import MAX_CAPTION_CHARS, MAX_FIGURE_BYTES, MAX_FIGURES, FigureUpload, RecapDraft
from ...core.replies import FormErrors
from ...core.texts import FORM_REPLACING, PICK_GROUP, copy_label, day, form_feedback, form_intro, form_last_plan
from ...render.blocks import MAX_CONTEXT_CHARS, MAX_SECTION_CHARS, context, section, split_text, to_mrkdwn
from .. import core_call
from .common import Deps, Replier, report_failure, team_id_of, user_id_of, with_group
from .errors import error_code

log = logging.getLogger("recapbot.slack")

CALLBACK_ID = "recap_submit"
OPEN_ACTION = "recap_open"  # the button in the App Home and in reminders (its value: the group id)
GROUP_ACTION = "recap_group"  # the modal's group select
COPY_ACTION = "recap_copy"  # "copy my recap from <group>" (its value: that group's id)
FIGURING_BLOCK = "figuring"
FIGURES_BLOCK = "figures"  # = core.recaps.FIGURES, so a figure problem shows under this field
CAPTIONS_BLOCK = "captions"
VALUE = "value"
CHECKBOXES_MAX = 10  # options in one checkboxes element
OPTION_CHARS = 75
# Slack allows 3 s for the answer to a submission; fetching the files must leave room for the core.
FETCH_SECONDS = 2.0
FETCH_TOO_SLOW = "Slack took too long to hand over your files. Press Submit again; nothing was lost."
EXPIRED_TRIGGER = ("Slack did not let me open the form in time. Type `/recap` again; nothing was lost.")


def metadata(response_url: str | None, group_id: int | None = None) -> str:
    """Where to confirm and for which group: the view's private_metadata (at most 3,000 characters)."""
    data = {"r": response_url} if response_url else {}
    if group_id:
        data["g"] = group_id
    text = json.dumps(data)
    return text if len(text) <= 3000 else json.dumps({"g": group_id} if group_id else {})


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


def group_select(groups: list[tuple[int, str]], chosen: int | None = None) -> ActionsBlock:
    options = [Option(value=str(gid), label=name[:75]) for gid, name in groups[:100]]
    initial = next((o for o in options if o.value == str(chosen)), None)
    return ActionsBlock(block_id="group", elements=[StaticSelectElement(
        action_id=GROUP_ACTION, options=options, initial_option=initial, placeholder=PICK_GROUP[:150])])


def picker_view(groups: list[tuple[int, str]], private_metadata: str = "") -> View:
    """The form's first step when the person is in several groups: which group."""
    return View(type="modal", callback_id=CALLBACK_ID, title=PlainTextObject(text="Your recap"),
                close=PlainTextObject(text="Cancel"), private_metadata=private_metadata,
                blocks=[context(PICK_GROUP), group_select(groups)])


def recap_view(form: RecapForm, private_metadata: str = "", groups: list[tuple[int, str]] | None = None) -> View:
    values = form.prefill()
    blocks: list[Any] = []
    if groups and len(groups) > 1:
        blocks.append(group_select(groups, form.group_id))
    blocks.append(context(to_mrkdwn(form_intro(form))))
    if form.others and form.copied is None:
        blocks.append(ActionsBlock(block_id="copy", elements=[
            ButtonElement(text=copy_label(other.group_name), action_id=COPY_ACTION, value=str(other.group_id))
            for other in form.others[:5]]))
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
    blocks.append(InputBlock(
        block_id=FIGURES_BLOCK, label=f"Figures (up to {MAX_FIGURES}; PNG, JPEG, GIF or WebP)", optional=True,
        hint="New figures replace this recap's; leave empty to keep them.",
        element=FileInputElement(action_id=VALUE, filetypes=sorted(set(EXTENSIONS.values()) | {"jpeg"}),
                                 max_files=MAX_FIGURES),
    ))
    blocks.append(InputBlock(
        block_id=CAPTIONS_BLOCK, label="Figure captions (one line per figure)", optional=True,
        element=PlainTextInputElement(action_id=VALUE, multiline=True, max_length=MAX_FIGURES * (MAX_CAPTION_CHARS + 1)),
    ))
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


def file_ids(view: dict) -> list[str]:
    """The ids of the files put into the form's file field, in order."""
    values = (view.get("state") or {}).get("values") or {}
    files = ((values.get(FIGURES_BLOCK) or {}).get(VALUE) or {}).get("files") or []
    return [f["id"] for f in files if isinstance(f, dict) and isinstance(f.get("id"), str)]


async def fetch_figures(client: AsyncWebClient, view: dict) -> tuple[FigureUpload, ...]:
    """The form's files, fetched with the bot token (files.info, then the private download URL);
    each read only up to just past the size limit, so an oversized one is refused by the core."""
    ids = file_ids(view)
    if not ids:
        return ()
    values = (view.get("state") or {}).get("values") or {}
    captions = (((values.get(CAPTIONS_BLOCK) or {}).get(VALUE) or {}).get("value") or "").splitlines()
    headers = {"Authorization": f"Bearer {client.token}"}
    session = client.session or aiohttp.ClientSession()
    try:
        async def one(file_id: str) -> tuple[str, bytes]:
            info = (await client.files_info(file=file_id))["file"]
            async with session.get(info["url_private_download"], headers=headers) as response:
                response.raise_for_status()
                return info.get("name") or file_id, await response.content.read(MAX_FIGURE_BYTES + 1)

        fetched = await asyncio.gather(*(one(file_id) for file_id in ids[:MAX_FIGURES + 1]))
    finally:
        if session is not client.session:
            await session.close()
    return tuple(FigureUpload(data, captions[i] if i < len(captions) else "", name)
                 for i, (name, data) in enumerate(fetched))


def draft_from(view: dict, figures: tuple[FigureUpload, ...] = ()) -> RecapDraft:
    values = (view.get("state") or {}).get("values") or {}

    def text(key: str) -> str:
        return ((values.get(key) or {}).get(VALUE) or {}).get("value") or ""

    def selected(block_id: str) -> list[str]:
        options = ((values.get(block_id) or {}).get(VALUE) or {}).get("selected_options") or []
        return [str(option.get("value") or "") for option in options if isinstance(option, dict)]

    reached = [value for block_id in values if block_id.startswith(MILESTONES_KEY) for value in selected(block_id)]
    return RecapDraft(
        figuring_it_out=bool(selected(FIGURING_BLOCK)), figures=figures,
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
                          response_url: str | None = None, groups: list[tuple[int, str]] | None = None) -> None:
    view = recap_view(form, metadata(response_url, form.group_id), groups or _groups_of(form))
    await open_modal(client, trigger_id, view, replier)


def _groups_of(form: RecapForm) -> list[tuple[int, str]]:
    return list(form.groups)


async def redraw(deps: Deps, client, body: dict, context, group: str, copy_from: str | None = None) -> None:
    """The modal again, for another group or with another group's recap copied in."""
    view = body.get("view") or {}
    meta = read_metadata(view)
    actor = with_group(await deps.actor(client, team_id_of(body, context), user_id_of(body, context)), group)
    try:
        form = await core_call(deps.core.recaps.form, actor, copy_from)
    except UserError as exc:
        new = notice_view("Your recap", exc.message)
    else:
        new = recap_view(form, metadata(meta.get("r"), form.group_id), _groups_of(form))
    await client.views_update(view_id=view.get("id"), hash=view.get("hash"), view=new)


def register(app, deps: Deps) -> None:
    @app.view(CALLBACK_ID)
    async def on_recap_submit(ack, body, client, context):
        team_id, user_id = team_id_of(body, context), user_id_of(body, context)
        view = body.get("view") or {}
        try:
            figures = await asyncio.wait_for(fetch_figures(client, view), FETCH_SECONDS)
        except asyncio.TimeoutError:
            await ack(response_action="errors", errors={FIGURES_BLOCK: FETCH_TOO_SLOW})
            return
        except Exception as exc:  # noqa: BLE001 - the modal stays open: nothing is lost
            await ack(response_action="errors", errors={FIGURES_BLOCK: unexpected("slack figure download", exc)})
            return
        draft = draft_from(view, figures)
        log.debug("slack recap submission from %s in %s (%d characters)", user_id, team_id,
                  sum(len(getattr(draft, spec.key)) for spec in TEXT_FIELDS))
        meta = read_metadata(view)
        if not meta.get("g"):  # the picker step: nothing to store yet
            await ack(response_action="errors", errors={"group": "Pick the group first."})
            return
        try:
            actor = with_group(await deps.actor(client, team_id, user_id), str(meta["g"]))
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
        replier = Replier(client, user_id, respond_to(meta.get("r")))
        try:
            await replier.text(":white_check_mark: " + reply.text)
        except Exception as exc:  # noqa: BLE001
            await report_failure("recap confirmation", exc, None)

    @app.action(GROUP_ACTION)
    async def on_group_picked(ack, body, client, context):
        await ack()
        try:
            await redraw(deps, client, body, context, body["actions"][0]["selected_option"]["value"])
        except Exception as exc:  # noqa: BLE001
            await report_failure("recap group picker", exc, None)

    @app.action(COPY_ACTION)
    async def on_copy(ack, body, client, context):
        await ack()
        try:
            group = str(read_metadata(body.get("view") or {}).get("g") or "")
            await redraw(deps, client, body, context, group, body["actions"][0]["value"])
        except Exception as exc:  # noqa: BLE001
            await report_failure("recap copy button", exc, None)


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
