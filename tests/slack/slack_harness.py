"""Slack test helpers: Slack-shaped signed requests to the real adapter, and its start/stop."""
from __future__ import annotations

import asyncio
import base64
import json
from datetime import datetime, timezone

import aiohttp
from fake_slack import (
    SIGNING_SECRET,
    FakeSlack,
    block_action,
    event_body,
    interaction_body,
    sign,
    slash_body,
    view_submission,
)

from slack_sdk.oauth.installation_store import Installation

from bot.app import App
from bot.app import attach_slack as attach
from bot.app import attach_web
from bot.supervisor import Supervisor
from bot.config import Settings
from bot.core.model import Actor, Workspace

T1, T2 = "T0LAB", "T0OTHER"
TOKEN1, TOKEN2 = "xoxb-T0LAB-secret", "xoxb-T0OTHER-secret"
ADMIN, ANN, BOB = "U0ADMIN", "U0ANN", "U0BOB"
KEY1, KEY2 = (base64.urlsafe_b64encode(bytes([n]) * 32).decode() for n in (1, 2))  # RECAPBOT_SECRET_KEY values


def slack_actor(user: str, team: str = T1, admin: bool = False) -> Actor:
    return Actor(workspace=Workspace("slack", team), user_ref=user, display_name=user, timezone="Europe/Berlin",
                 is_admin=admin)


def configure_team(core, team: str = T1, channel: str = "C0LAB", members: tuple[str, ...] = (ANN, BOB)) -> None:
    """The workspace's group on `channel`, with its admin (its creator) and `members` in it."""
    core.teams.configure(slack_actor(ADMIN, team, admin=True),
                         [("meeting", "Mon 10:00"), ("tz", "Europe/Berlin"), ("channel", channel)])
    for user in members:
        core.teams.member_for(slack_actor(user, team))


class Harness:
    """Sends Slack-shaped, Slack-signed requests to the running adapter."""

    def __init__(self, fake: FakeSlack, adapter, app: App, session: aiohttp.ClientSession):
        self.fake, self.adapter, self.app, self.session = fake, adapter, app, session

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.app.http.port}"

    async def post(self, body: str, content_type: str = "application/x-www-form-urlencoded",
                   headers: dict | None = None, path: str = "/slack/events") -> tuple[int, str]:
        headers = sign(body) if headers is None else headers
        async with self.session.post(self.url + path, data=body.encode(),
                                     headers={"Content-Type": content_type, **headers}) as resp:
            return resp.status, await resp.text()

    async def command(self, user: str, text: str = "", team: str = T1, **kwargs) -> tuple[int, str]:
        body, trigger = slash_body(self.fake, team, user, text, **kwargs)
        status, _ = await self.post(body)
        return status, trigger

    async def submit(self, view: dict, values: dict, user: str, team: str = T1) -> tuple[int, dict | None]:
        status, text = await self.post(interaction_body(view_submission(team, user, view, values)))
        return status, (json.loads(text) if text.strip() else None)

    async def click(self, action_id: str, user: str, team: str = T1) -> int:
        status, _ = await self.post(interaction_body(block_action(team, user, action_id)))
        return status

    async def event(self, event: dict, team: str = T1) -> int:
        status, _ = await self.post(event_body(team, event), content_type="application/json")
        return status


def recap_values(question: str = "", progress: str = "", failures: str = "", questions: str = "",
                 figuring: bool = False, plan: str = "") -> dict:
    def text(value: str) -> dict:
        return {"value": {"type": "plain_text_input", "value": value or None}}

    return {
        "question": text(question), "progress": text(progress), "failures": text(failures),
        "questions": text(questions), "plan": text(plan),
        "figuring": {"value": {"type": "checkboxes", "selected_options": (
            [{"value": "yes", "text": {"type": "plain_text", "text": "Still figuring it out"}}] if figuring else [])}},
    }


def make_settings(fake: FakeSlack, **overrides) -> Settings:
    values = dict(slack_bot_token=TOKEN1, slack_signing_secret=SIGNING_SECRET, slack_api_url=fake.api_url,
                  http_host="127.0.0.1", http_port=0, timezone="Europe/Berlin")
    values.update(overrides)
    return Settings(**values)


def oauth_settings(fake: FakeSlack, keys: tuple[str, ...] = (KEY1,)) -> Settings:
    return make_settings(fake, slack_bot_token=None, slack_client_id="111.222", slack_client_secret="shh",
                         slack_state_secret="state-secret", secret_keys=keys)


def install(adapter, team: str, token: str, user_token: str | None = None, user: str = "U0INSTALLER") -> None:
    adapter.store.sync.save(Installation(
        app_id="A0RECAP", enterprise_id=None, team_id=team, team_name=team, bot_token=token,
        bot_id=f"B{team}", bot_user_id=f"B{team}", bot_scopes="commands,chat:write", user_id=user,
        user_token=user_token, installed_at=datetime.now(timezone.utc).timestamp(),
    ))


async def start(app: App):
    """Attach the web deck and Slack and run the app's runners (its HTTP server, Slack) as `recapbot run` does."""
    attach_web(app)
    adapter = attach(app)
    task = asyncio.create_task(Supervisor(app.health).run(app.runners))
    started = asyncio.create_task(adapter.started.wait())
    done, _ = await asyncio.wait({task, started}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    if started not in done:
        started.cancel()
        await stop(task)
        raise RuntimeError(f"Slack did not start: {app.health.report()}")
    return adapter, task


async def stop(task) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


