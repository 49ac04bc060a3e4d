"""`/recap setup` without arguments: the team's settings as a modal.

Widgets constrain what can be picked (a real channel, a weekday, a time, 1-8
weeks, real people), so the only free text is the timezone and the north
star; the core still decides and validates everything (`TeamService.configure`),
including who may change settings.
"""
from __future__ import annotations

import logging
import re

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    ConversationFilter,
    ConversationSelectElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
    TimePickerElement,
    UserMultiSelectElement,
)
from slack_sdk.models.views import View

from ...core import texts
from ...core.errors import FieldErrors, UserError
from ...core.guard import unexpected
from ...core.model import MAX_FIELD_CHARS, WEEKDAYS, Actor, Team
from ...core.parsing import parse_timezone
from ...render.blocks import context, escape
from .. import core_call
from .common import Deps, Replier, report_failure, team_id_of, user_id_of, with_group
from .errors import error_code, slack_error
from .modal import metadata, open_modal, read_metadata, respond_to

log = logging.getLogger("recapbot.slack")

CALLBACK_ID = "recap_settings"
VALUE = "value"
_SLACK_ID = re.compile(r"^[A-Z][A-Z0-9]{2,}$")
# The core names a refused setting by its key; the modal shows it next to that key's widget.
_BLOCK_OF = {"channel": "channel", "meeting": "weekday", "tz": "tz", "every": "every",
             "admins": "admins", "north-star": "north_star"}
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _options(pairs: list[tuple[str, str]]) -> list[Option]:
    return [Option(value=value, label=label) for value, label in pairs]


def settings_view(team: Team, person_tz: str | None, private_metadata: str = "") -> View:
    schedule = team.schedule
    channel = team.channel if team.channel and _SLACK_ID.match(team.channel) else None
    days = _options([(str(i), name) for i, name in enumerate(_DAYS)])
    every = _options([(str(n), "every week" if n == 1 else f"every {n} weeks") for n in range(1, 9)])
    weekday = days[schedule.weekday] if schedule else None
    timezone = team.timezone if schedule else (person_tz or team.timezone)
    admins = [ref for ref in team.admins if _SLACK_ID.match(ref)]
    blocks = [
        context(f"Settings of *{escape(team.name)}*. Recaps written before each meeting go to the digest channel."),
        InputBlock(block_id="channel", label="Digest channel", element=ConversationSelectElement(
            action_id=VALUE, initial_conversation=channel, default_to_current_conversation=channel is None,
            filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
        )),
        InputBlock(block_id="weekday", label="Meeting day", element=StaticSelectElement(
            action_id=VALUE, options=days, initial_option=weekday, placeholder="Pick a day")),
        InputBlock(block_id="time", label="Meeting time", element=TimePickerElement(
            action_id=VALUE, initial_time=f"{schedule.at:%H:%M}" if schedule else "10:00")),
        InputBlock(block_id="tz", label="Timezone", hint="An IANA name, like Europe/Berlin or America/New_York",
                   element=PlainTextInputElement(action_id=VALUE, initial_value=timezone, max_length=64)),
        InputBlock(block_id="every", label="How often", element=StaticSelectElement(
            action_id=VALUE, options=every, initial_option=every[(schedule.every_weeks if schedule else 1) - 1])),
        InputBlock(block_id="admins", label="Leads (may change these settings)", optional=True,
                   element=UserMultiSelectElement(action_id=VALUE, initial_users=admins or None)),
        InputBlock(block_id="north_star", label="North-star question", optional=True,
                   element=PlainTextInputElement(action_id=VALUE, multiline=True, max_length=MAX_FIELD_CHARS,
                                                 initial_value=team.north_star or None,
                                                 placeholder="The group's long-term question")),
    ]
    return View(type="modal", callback_id=CALLBACK_ID, title=PlainTextObject(text="Recap settings"),
                submit=PlainTextObject(text="Save"), close=PlainTextObject(text="Cancel"),
                blocks=blocks, private_metadata=private_metadata)


async def open_settings(client, trigger_id: str, actor: Actor, team: Team, replier: Replier,
                        response_url: str | None) -> None:
    view = settings_view(team, actor.timezone, metadata(response_url, team.id))
    await open_modal(client, trigger_id, view, replier, command="/recap setup")


def pairs_from(view: dict) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The modal's state as the core's `key=value` pairs, plus inline errors found on the way."""
    values = (view.get("state") or {}).get("values") or {}

    def get(block: str) -> dict:
        return (values.get(block) or {}).get(VALUE) or {}

    errors: dict[str, str] = {}
    pairs: list[tuple[str, str]] = []
    channel = get("channel").get("selected_conversation")
    if channel:
        pairs.append(("channel", channel))
    weekday = (get("weekday").get("selected_option") or {}).get("value")
    at = get("time").get("selected_time")
    if weekday is None or not weekday.isdigit() or not 0 <= int(weekday) <= 6:
        errors["weekday"] = "Pick the meeting day."
    elif not at:
        errors["time"] = "Pick the meeting time."
    else:
        pairs.append(("meeting", f"{WEEKDAYS[int(weekday)]} {at}"))
    try:
        pairs.append(("tz", parse_timezone(get("tz").get("value") or "")))
    except UserError as exc:
        errors["tz"] = exc.message
    every = (get("every").get("selected_option") or {}).get("value")
    if every:
        pairs.append(("every", every))
    pairs.append(("admins", ",".join(get("admins").get("selected_users") or [])))
    pairs.append(("north-star", get("north_star").get("value") or ""))
    return pairs, errors


def register(app, deps: Deps) -> None:
    @app.view(CALLBACK_ID)
    async def on_settings_submit(ack, body, client, context):
        team_id, user_id = team_id_of(body, context), user_id_of(body, context)
        view = body.get("view") or {}
        pairs, errors = pairs_from(view)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        try:
            group = read_metadata(view).get("g")  # the group whose settings the modal shows
            actor = with_group(await deps.actor(client, team_id, user_id), str(group) if group else None)
            team = await core_call(deps.core.teams.configure, actor, pairs)
        except FieldErrors as exc:  # a refused value, shown next to its widget
            await ack(response_action="errors",
                      errors={_BLOCK_OF.get(key, "channel"): message for key, message in exc.errors.items()})
            return
        except UserError as exc:  # NotAllowed
            await ack(response_action="errors", errors={"channel": exc.message})
            return
        except Exception as exc:  # noqa: BLE001 - the modal stays open: nothing is lost
            await ack(response_action="errors", errors={"channel": unexpected("slack settings form", exc)})
            return
        await ack()
        replier = Replier(client, user_id, respond_to(read_metadata(view).get("r")))
        try:
            note = await _join(client, team.channel)
            names = await core_call(deps.core.teams.admin_names, team)
            await replier.text(texts.saved(team, names) + (f"\n\n{note}" if note else ""))
        except Exception as exc:  # noqa: BLE001
            await report_failure("settings confirmation", exc, replier)


async def _join(client, channel: str | None) -> str | None:
    """Join a public digest channel so the digest can be posted; ask for an invite otherwise."""
    if not channel or not _SLACK_ID.match(channel):
        return None
    try:
        await client.conversations_join(channel=channel)
    except SlackApiError as exc:
        error = error_code(exc)
        log.info("slack conversations.join %s: %s", channel, slack_error(exc))
        if error == "is_archived":
            return ":warning: That channel is archived: pick another one with `/recap setup`."
        return ":warning: I could not join that channel by myself (it may be private): invite me with `/invite @recapbot` there."
    return None

