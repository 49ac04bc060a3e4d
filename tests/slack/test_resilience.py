"""Discord unreachable: Slack and the scheduler keep serving, Discord retries, /healthz says so."""
from __future__ import annotations

import asyncio
import socket

import aiohttp
import discord
import pytest
from slack_harness import ANN, Harness, configure_team, make_settings
from test_commands import _texts

from bot.app import App, attach_adapters, serve
from bot.supervisor import Backoff
from tests.fake_sleep import FakeSleep


@pytest.fixture
def discord_unreachable(monkeypatch):
    """discord.py pointed at a loopback port where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{port}/api/v10")
    return port


async def _start(app: App) -> tuple[FakeSleep, asyncio.Task]:
    attach_adapters(app)
    sleep = FakeSleep()
    task = asyncio.create_task(serve(app, Backoff(sleep=sleep, random=lambda: 0.0)))
    await sleep.slept.get()  # Discord's first attempt failed
    await app.http.started.wait()
    return sleep, task


async def _health(session: aiohttp.ClientSession, app: App) -> tuple[int, dict]:
    async with session.get(f"http://127.0.0.1:{app.http.port}/healthz") as resp:
        return resp.status, await resp.json()


async def test_slack_and_the_scheduler_keep_serving_while_discord_retries(fake, engine, core, discord_unreachable):
    configure_team(core)
    app = App(settings=make_settings(fake, discord_token="discord-bot-token"), engine=engine, core=core)
    sleep, task = await _start(app)
    try:
        async with aiohttp.ClientSession() as session:
            harness = Harness(fake, None, app, session)
            await harness.command(ANN, "status")
            (answer,) = await fake.wait_responses(1)
            assert "*Next meeting:*" in _texts(answer)
            status, body = await _health(session, app)
            assert status == 200 and body["status"] == "ok"
            parts = body["components"]
            assert {name: part["state"] for name, part in parts.items()} == {
                "http": "up", "slack": "up", "discord": "retrying", "scheduler": "up"}
            assert parts["discord"]["kind"] == "adapter" and parts["discord"]["retries"] == 1
            assert f"127.0.0.1:{discord_unreachable}" in parts["discord"]["last_error"]
            assert "discord-bot-token" not in str(body)
            sleep.release()  # Discord tries again, fails again, waits twice as long
            assert await sleep.slept.get() == 2
            status, body = await _health(session, app)
            discord_part = body["components"]["discord"]
            assert status == 200 and discord_part["retries"] == 2
            assert f"127.0.0.1:{discord_unreachable}" in discord_part["last_error"]  # a real new attempt
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_discord_only_and_unreachable_is_unavailable(engine, core, discord_unreachable):
    from bot.config import Settings

    app = App(settings=Settings(discord_token="discord-bot-token", http_host="127.0.0.1", http_port=0),
              engine=engine, core=core)
    _, task = await _start(app)
    try:
        async with aiohttp.ClientSession() as session:
            status, body = await _health(session, app)
        assert status == 503 and body["status"] == "unavailable"
        assert body["components"]["discord"]["state"] == "retrying"
        assert body["components"]["scheduler"]["state"] == "up"
        assert set(app.chats) == {"discord"}  # no console took its place
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
