"""Slack test fixtures: the real adapter on loopback, talking to a fake Slack Web API."""
from __future__ import annotations

import sys
from pathlib import Path

import aiohttp
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_slack import FakeSlack  # noqa: E402
from slack_harness import (  # noqa: E402
    ADMIN, ANN, BOB, T1, T2, TOKEN1, TOKEN2, Harness, configure_team, make_settings, oauth_settings, start, stop,
)

from bot.app import App  # noqa: E402


@pytest.fixture
async def fake():
    fake = await FakeSlack().start()
    fake.add_team(T1, TOKEN1)
    fake.add_team(T2, TOKEN2)
    fake.add_user(T1, ADMIN, "Ada", admin=True)
    fake.add_user(T1, ANN, "Ann", tz="America/New_York")
    fake.add_user(T1, BOB, "Bob")
    fake.add_user(T2, "U0EVE", "Eve")
    yield fake
    await fake.stop()


@pytest.fixture
async def slack(fake, engine, core):
    """One workspace (SLACK_BOT_TOKEN), HTTP mode, a team that meets Mondays 10:00 Berlin."""
    configure_team(core)
    app = App(settings=make_settings(fake), engine=engine, core=core)
    adapter, task = await start(app)
    async with aiohttp.ClientSession() as session:
        yield Harness(fake, adapter, app, session)
    await stop(task)


@pytest.fixture
async def multi(fake, engine, core):
    """Many workspaces through OAuth (tokens in our database), T1 and T2 configured, none installed."""
    configure_team(core, T1)
    configure_team(core, T2, channel="C0OTHER", members=("U0EVE",))
    app = App(settings=oauth_settings(fake), engine=engine, core=core)
    adapter, task = await start(app)
    async with aiohttp.ClientSession() as session:
        yield Harness(fake, adapter, app, session)
    await stop(task)
