"""Socket Mode: the same /recap over Slack's websocket, acknowledged through the envelope."""
from __future__ import annotations

import aiohttp
from slack_harness import ANN, T1, Harness, configure_team, make_settings, start, stop
from fake_slack import slash_body
from urllib.parse import parse_qsl

from bot.app import App

APP_TOKEN = "xapp-1-A0RECAP-secret"


async def test_slash_command_over_socket_mode_is_acked_and_opens_the_modal(fake, engine, core):
    configure_team(core)
    fake.app_tokens.add(APP_TOKEN)
    app = App(settings=make_settings(fake, slack_app_token=APP_TOKEN, slack_signing_secret=None),
              engine=engine, core=core)
    adapter, task = await start(app)
    try:
        ws = await fake.wait_socket()
        body, trigger = slash_body(fake, T1, ANN, "")
        await ws.send_json({"envelope_id": "env-1", "type": "slash_commands", "accepts_response_payload": True,
                            "payload": dict(parse_qsl(body))})
        ack = await fake.wait_socket_ack("env-1")
        assert ack["envelope_id"] == "env-1"
        (opened,) = await fake.wait_for("views.open")
        assert opened.args["trigger_id"] == trigger
        # No public events endpoint in Socket Mode, but the health check is served.
        async with aiohttp.ClientSession() as session:
            harness = Harness(fake, adapter, app, session)
            status, _ = await harness.post(body)
            assert status in (404, 405)
            async with session.get(harness.url + "/healthz") as resp:
                assert resp.status == 200
    finally:
        await stop(task)
