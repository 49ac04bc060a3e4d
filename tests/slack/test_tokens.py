"""OAuth tokens at rest: encrypted in the database, rotated by `recapbot keys rotate`, deleted on revocation."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime

import aiohttp
import pytest
from slack_harness import (
    ANN, KEY1, KEY2, T1, T2, TOKEN1, TOKEN2, Harness, configure_team, install, oauth_settings, recap_values, start,
    stop,
)
from sqlalchemy import insert, select

from bot.__main__ import main
from bot.adapters.slack import tables
from bot.app import App
from bot.app import attach_slack as attach
from bot.config import ConfigError
from bot.secrets import SecretKeyError
from bot.core.model import Workspace
from tests.conftest import group_of

pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")

INSTALLATIONS = tables.installations
BOTS = tables.bots
TOKEN_COLUMNS = {INSTALLATIONS: tables.SLACK_TOKEN_COLUMNS["slack_installations"],
                 BOTS: tables.SLACK_TOKEN_COLUMNS["slack_bots"]}
USER_TOKEN = "xoxp-T0OTHER-installer-secret"
REFRESH = "xoxe-1-T0OTHER-refresh-secret"
HOOK = "https://hooks.slack.com/services/T0OTHER/B0HOOK/secret-path"


def raw_tokens(engine) -> list[str]:
    """Every token value exactly as the database holds it."""
    values = []
    with engine.connect() as conn:
        for table, columns in TOKEN_COLUMNS.items():
            for row in conn.execute(select(*(table.c[c] for c in columns))):
                values += [v for v in row if v is not None]
    return values


def rows(engine, table, team: str) -> list:
    with engine.connect() as conn:
        return conn.execute(select(table).where(table.c.team_id == team)).mappings().all()


async def opens_with(harness: Harness, team: str, user: str) -> str | None:
    """The token `/recap` opened the form with, or None when Bolt found no token (it answers at once)."""
    answers, opened = len(harness.fake.responses), len(harness.fake.called("views.open"))
    status, _ = await harness.command(user, team=team)
    assert status == 200
    if any("reinstall this app" in str(r) for r in harness.fake.responses[answers:]):
        return None
    return (await harness.fake.wait_for("views.open", opened + 1))[-1].token


async def event(harness: Harness, body: dict, team: str) -> None:
    """Send an event and wait for its listener: Slack gets its 200 first, the listener runs after."""
    done = asyncio.get_running_loop().create_future()

    class Logged(logging.Handler):
        def emit(self, record):
            if record.getMessage().startswith(f"slack: {body['type']}") and not done.done():
                done.set_result(None)

    handler = Logged()
    logging.getLogger("recapbot.slack").addHandler(handler)
    try:
        assert await harness.event(body, team=team) == 200
        await asyncio.wait_for(done, 5)
    finally:
        logging.getLogger("recapbot.slack").removeHandler(handler)


def rotate(monkeypatch, capsys, db_url: str, keys: str) -> tuple[int, str, str]:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("RECAPBOT_SECRET_KEY", keys)
    code = main(["keys", "rotate"])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def _no_env_file(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # `recapbot keys` must not read a developer's .env
    for name in ("SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_STATE_SECRET", "DISCORD_TOKEN"):
        monkeypatch.delenv(name, raising=False)


async def test_the_install_flow_stores_every_token_encrypted_and_they_still_work(multi, engine):
    multi.fake.add_team(T2, USER_TOKEN)
    multi.fake.oauth_codes["code-1"] = {
        "ok": True, "app_id": "A0RECAP", "scope": "commands,chat:write,im:write,users:read,channels:join",
        "token_type": "bot", "access_token": TOKEN2, "refresh_token": REFRESH, "expires_in": 43200,
        "bot_user_id": f"B{T2}", "team": {"id": T2, "name": "Other lab"}, "enterprise": None,
        "is_enterprise_install": False,
        "authed_user": {"id": "U0EVE", "access_token": USER_TOKEN, "token_type": "user", "scope": "identify"},
        "incoming_webhook": {"url": HOOK, "channel": "#lab", "channel_id": "C0OTHER",
                             "configuration_url": "https://other.slack.com/services/B0HOOK"},
    }
    async with multi.session.get(multi.url + "/slack/install") as resp:
        cookie = resp.headers["Set-Cookie"].split(";", 1)[0]
    async with multi.session.get(multi.url + f"/slack/oauth_redirect?code=code-1&state={cookie.split('=', 1)[1]}",
                                 headers={"Cookie": cookie}) as resp:
        assert resp.status == 200, await resp.text()

    stored = raw_tokens(engine)
    assert len(stored) == 6  # the installation's bot, refresh, user token and webhook URL; the bot's two
    for secret in (TOKEN2, REFRESH, USER_TOKEN, HOOK):
        assert not any(secret in value for value in stored)
    # Read back through the store: the real values.
    found = multi.adapter.store.sync.find_installation(enterprise_id=None, team_id=T2, user_id="U0EVE")
    assert (found.bot_token, found.bot_refresh_token, found.user_token, found.incoming_webhook_url) == \
        (TOKEN2, REFRESH, USER_TOKEN, HOOK)
    assert (await multi.adapter.chat.client_for(T2)).token == TOKEN2
    await multi.command("U0EVE", team=T2)
    (opened,) = await multi.fake.wait_for("views.open")
    assert opened.token == TOKEN2


async def test_plain_tokens_from_before_still_work_and_rotation_encrypts_them(fake, engine, core, db_url,
                                                                              monkeypatch, capsys):
    with engine.begin() as conn:  # as an older recapbot stored them
        conn.execute(insert(INSTALLATIONS).values(
            client_id="111.222", app_id="A0RECAP", team_id=T1, bot_token=TOKEN1, bot_id="B1", bot_user_id=f"B{T1}",
            user_id="U0INSTALLER", is_enterprise_install=False, installed_at=datetime(2026, 1, 1)))
        conn.execute(insert(BOTS).values(
            client_id="111.222", app_id="A0RECAP", team_id=T1, bot_token=TOKEN1, bot_id="B1", bot_user_id=f"B{T1}",
            is_enterprise_install=False, installed_at=datetime(2026, 1, 1)))
    configure_team(core, T1)
    app = App(settings=oauth_settings(fake), engine=engine, core=core)
    adapter, task = await start(app)
    try:
        assert (await adapter.chat.client_for(T1)).token == TOKEN1
        code, out, _ = rotate(monkeypatch, capsys, db_url, KEY1)
        assert code == 0 and "re-encrypted 2 stored token(s)" in out and "2 of them were stored in plain text" in out
        assert TOKEN1 not in raw_tokens(engine) and len(raw_tokens(engine)) == 2
        async with aiohttp.ClientSession() as session:
            assert await opens_with(Harness(fake, adapter, app, session), T1, ANN) == TOKEN1
    finally:
        await stop(task)


async def test_rotation_to_a_new_key(fake, engine, core, db_url, monkeypatch, capsys):
    old = attach(App(settings=oauth_settings(fake, keys=(KEY1,)), engine=engine, core=core))
    install(old, T1, TOKEN1)
    install(old, T2, TOKEN2)
    assert old.store.sync.find_bot(enterprise_id=None, team_id=T1).bot_token == TOKEN1
    before = raw_tokens(engine)

    # The new key in front, the old one after it: what the old key wrote still reads.
    both = App(settings=oauth_settings(fake, keys=(KEY2, KEY1)), engine=engine, core=core)
    assert (await attach(both).chat.client_for(T1)).token == TOKEN1
    code, out, _ = rotate(monkeypatch, capsys, db_url, f"{KEY2},{KEY1}")
    assert code == 0 and "re-encrypted 4 stored token(s)" in out and "(0 of them were stored in plain text)" in out
    assert set(raw_tokens(engine)).isdisjoint(before)

    # Now the new key alone reads everything, and the old key alone reads nothing.
    new = attach(App(settings=oauth_settings(fake, keys=(KEY2,)), engine=engine, core=core))
    assert [(await new.chat.client_for(t)).token for t in (T1, T2)] == [TOKEN1, TOKEN2]
    with pytest.raises(SecretKeyError):
        old.store.sync.find_bot(enterprise_id=None, team_id=T1)
    with pytest.raises(ConfigError) as info:
        attach(App(settings=oauth_settings(fake, keys=(KEY1,)), engine=engine, core=core))
    assert info.value.variable == "RECAPBOT_SECRET_KEY" and "4 stored Slack token(s) cannot be decrypted" in str(info.value)


async def test_the_wrong_key_is_a_clear_error_and_changes_nothing(fake, engine, core, db_url, monkeypatch, capsys):
    install(attach(App(settings=oauth_settings(fake, keys=(KEY1,)), engine=engine, core=core)), T1, TOKEN1)
    before = raw_tokens(engine)
    with pytest.raises(ConfigError, match="RECAPBOT_SECRET_KEY: 2 stored Slack token"):
        attach(App(settings=oauth_settings(fake, keys=(KEY2,)), engine=engine, core=core))
    code, _, err = rotate(monkeypatch, capsys, db_url, KEY2)
    assert code == 1 and "cannot be decrypted with any key in RECAPBOT_SECRET_KEY" in err
    assert "nothing was changed" in err and raw_tokens(engine) == before


async def test_uninstall_event_is_acknowledged_and_deletes_that_workspace_tokens_at_once(multi, engine, core, repo):
    install(multi.adapter, T1, TOKEN1)
    install(multi.adapter, T2, TOKEN2)
    await multi.command(ANN, team=T1)
    (opened,) = await multi.fake.wait_for("views.open")
    await multi.submit(opened.args["view"], recap_values(progress="kept"), ANN, team=T1)

    await event(multi, {"type": "app_uninstalled", "event_ts": "1.0"}, T1)  # answered 200, then deleted
    assert rows(engine, INSTALLATIONS, T1) == [] and rows(engine, BOTS, T1) == []
    assert len(rows(engine, BOTS, T2)) == 1  # the other workspace keeps its own
    assert await opens_with(multi, T1, ANN) is None  # a second command finds no token
    with pytest.raises(LookupError):
        await multi.adapter.chat.client_for(T1)
    lab = group_of(repo, Workspace("slack", T1))
    assert [e.recap.progress for e in core.upcoming_digest(lab).entries] == ["kept"]


async def test_revoked_tokens_are_deleted_and_only_those(multi, engine):
    multi.fake.add_team(T1, "xoxp-T0LAB-ann")
    install(multi.adapter, T1, TOKEN1, user_token="xoxp-T0LAB-ann", user=ANN)
    revoked = {"type": "tokens_revoked", "event_ts": "1.0", "tokens": {"oauth": [ANN], "bot": []}}
    await event(multi, revoked, T1)
    [row] = rows(engine, INSTALLATIONS, T1)
    assert row["user_token"] is None and row["bot_token"] is not None
    assert await opens_with(multi, T1, ANN) == TOKEN1  # the bot still works

    revoked["tokens"] = {"oauth": [], "bot": [f"B{T1}"]}
    await event(multi, revoked, T1)
    [row] = rows(engine, INSTALLATIONS, T1)
    assert row["bot_token"] is None and rows(engine, BOTS, T1) == []
    assert await opens_with(multi, T1, ANN) is None
    with pytest.raises(LookupError):
        await multi.adapter.chat.client_for(T1)
