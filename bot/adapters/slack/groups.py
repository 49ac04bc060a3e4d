"""Groups on Slack: a user group named in a command, the Join button, the group picker.

`members=@phd-students` arrives as `<!subteam^S123|@phd-students>`; the core
knows nothing of Slack user groups, so its people are listed here
(`usergroups.users.list`, scope `usergroups:read`) and handed to the core as
mentions, with their names, when the command runs. Joining and picking only
pass a group id on: the core decides.
"""
from __future__ import annotations

import logging
import re

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ActionsBlock, ButtonElement

from ...core.replies import ChooseGroupReply, FormReply, JoinReply
from ...core.texts import JOIN_LABEL, JOIN_WRITE_LABEL
from ...render.blocks import MAX_SECTION_CHARS, pack, section, split_text, text_messages, to_mrkdwn, to_plain
from .. import core_call
from .common import Deps, Replier, report_failure, team_id_of, user_id_of, with_group
from .errors import error_code
from .modal import metadata, open_modal, open_recap_form, picker_view

log = logging.getLogger("recapbot.slack")

JOIN_ACTION = "recap_join"  # value: "<group id>:<command to carry on with>"
_SUBTEAM = re.compile(r"<!subteam\^([A-Z0-9]+)(?:\|[^>]*)?>")
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
MAX_PEOPLE = 200  # names looked up for one command
NO_USERGROUPS = ("recapbot cannot read Slack user groups in this workspace yet: an admin needs to reinstall it "
                 "(it now asks for `usergroups:read`). Nothing was changed.")


class UserGroupsUnreadable(Exception):
    pass


async def expand_people(deps: Deps, client, team_id: str, text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """User groups become their people (as mentions); every person mentioned gets a name.
    Only for commands that add people: other text is left as it is."""
    if not _SUBTEAM.search(text) and not (_USER.search(text) and ("members=" in text or text.lstrip().startswith("group"))):
        return text, ()
    for usergroup in dict.fromkeys(_SUBTEAM.findall(text)):
        try:
            users = (await client.usergroups_users_list(usergroup=usergroup)).get("users") or []
        except SlackApiError as exc:
            if error_code(exc) in ("missing_scope", "not_allowed_token_type"):
                raise UserGroupsUnreadable() from exc
            raise
        people = ",".join(f"<@{u}>" for u in users if isinstance(u, str))
        text = re.sub(rf"<!subteam\^{usergroup}(?:\|[^>]*)?>", lambda _m: people, text)
    named: dict[str, str] = {}
    for user, name in _USER.findall(text)[:MAX_PEOPLE]:
        if user not in named:
            named[user] = (await deps.actor(client, team_id, user)).display_name if not name else name
    return text, tuple(named.items())


async def show_join(reply: JoinReply, replier: Replier) -> None:
    label = JOIN_WRITE_LABEL if reply.then == "submit" else JOIN_LABEL
    blocks = [section(chunk) for chunk in split_text(to_mrkdwn(reply.text), MAX_SECTION_CHARS)]
    blocks.append(ActionsBlock(block_id="join", elements=[
        ButtonElement(text=f"{label}: {reply.group_name}"[:75], action_id=JOIN_ACTION,
                      value=f"{reply.group_id}:{reply.then}", style="primary")]))
    await replier.send(pack(blocks, to_plain(reply.text)))


async def show_choice(client, trigger_id: str | None, reply: ChooseGroupReply, replier: Replier,
                      response_url: str | None) -> None:
    """The recap form starts with a group picker; other commands say how to choose."""
    if reply.command == "submit" and not reply.joining and trigger_id:
        await open_modal(client, trigger_id, picker_view(list(reply.groups), metadata(response_url)), replier)
    else:
        await replier.text(reply.text)


def register(app, deps: Deps) -> None:
    @app.action(JOIN_ACTION)
    async def on_join(ack, body, client, context, respond):
        await ack()
        user_id = user_id_of(body, context)
        replier = Replier(client, user_id, respond)
        try:
            group, _, then = (body["actions"][0].get("value") or "").partition(":")
            actor = with_group(await deps.actor(client, team_id_of(body, context), user_id), group)
            reply = await core_call(deps.handler.run, actor, "join", [group])
            [message] = text_messages(reply.text if reply.ok else ":warning: " + reply.text)[:1]
            await respond(text=message.text, blocks=message.blocks, response_type="ephemeral", replace_original=True)
            if reply.ok and then == "submit":  # carry on: the form of the group just joined
                form = await core_call(deps.handler.run, actor, "submit", [])
                if isinstance(form, FormReply):
                    await open_recap_form(client, body["trigger_id"], form.form, replier)
        except Exception as exc:  # noqa: BLE001 - after the ack: log it and tell the person
            await report_failure("join button", exc, replier)


__all__ = ["NO_USERGROUPS", "UserGroupsUnreadable", "expand_people", "register", "show_choice", "show_join"]
