"""Many workspaces through OAuth: install flow, installations in our database, no cross-talk."""
from __future__ import annotations

import pytest
from memory_parts import MemoryParts
from slack_harness import ANN, T1, T2, TOKEN1, TOKEN2, install, recap_values
from sqlalchemy import select

from bot.adapters.slack import tables as slack_tables
from bot.core.model import Workspace
from tests.conftest import group_of

EVE = "U0EVE"
# slack_sdk's oauth.v2.access call uses aiohttp's BasicAuth, which aiohttp now warns about.
pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")


async def test_a_user_of_another_workspace_sees_and_touches_only_their_own(multi, core, repo):
    install(multi.adapter, T1, TOKEN1)
    install(multi.adapter, T2, TOKEN2)
    await multi.command(ANN, team=T1)
    (opened,) = await multi.fake.wait_for("views.open")
    assert opened.token == TOKEN1
    await multi.submit(opened.args["view"], recap_values(progress="Ann's secret result"), ANN, team=T1)

    # Eve, in the other workspace, submits through a view that claims to be T1's: the payload's team decides,
    # and her workspace has no such group, so nothing is stored anywhere.
    status, answer = await multi.submit(opened.args["view"], recap_values(progress="Eve's work"), EVE, team=T2)
    assert status == 200 and "No group called" in answer["errors"]["progress"]
    await multi.command(EVE, "join", team=T2)
    await multi.command(EVE, team=T2)
    eve_form = (await multi.fake.wait_for("views.open", 2))[-1]
    status, answer = await multi.submit(eve_form.args["view"], recap_values(progress="Eve's work"), EVE, team=T2)
    assert status == 200 and answer is None
    await multi.command(EVE, "status", team=T2)
    responses = await multi.fake.wait_responses(4)  # a confirmation, the join, a confirmation, the status
    status_text = next(str(r) for r in responses if "Next meeting" in str(r))
    assert "Eve" in status_text and "Ann" not in status_text and "Ada" not in status_text

    lab = group_of(repo, Workspace("slack", T1))
    other = group_of(repo, Workspace("slack", T2))
    assert [e.member.user_ref for e in core.upcoming_digest(lab).entries] == [ANN]
    assert [e.member.user_ref for e in core.upcoming_digest(other).entries] == [EVE]
    eve_calls = [c for c in multi.fake.calls if c.args.get("user") == EVE or c.args.get("user_id") == EVE]
    assert eve_calls and all(c.token == TOKEN2 for c in eve_calls)

    # The scheduler's posts use each workspace's own token.
    await multi.adapter.chat.post_digest(other, core.upcoming_digest(other), MemoryParts("k2").parts())
    posts = multi.fake.called("chat.postMessage")
    assert posts and all(p.token == TOKEN2 and p.args["channel"] == "C0OTHER" for p in posts)


async def test_a_workspace_without_an_installation_gets_nothing(multi, core, repo):
    install(multi.adapter, T1, TOKEN1)
    status, _ = await multi.command(EVE, "status", team=T2)
    assert status == 200  # Bolt answers with its "please install" text
    assert multi.fake.called("users.info") == []
    assert multi.fake.called("views.open") == [] and "reinstall" in str(multi.fake.responses)  # Bolt, not the core
    with pytest.raises(LookupError):
        await multi.adapter.chat.client_for(T2)


async def test_install_flow_stores_the_installation_in_our_database(multi, engine):
    multi.fake.oauth_codes["code-1"] = {
        "ok": True, "app_id": "A0RECAP", "authed_user": {"id": "U0INSTALLER"},
        "scope": "commands,chat:write,im:write,users:read,channels:join", "token_type": "bot",
        "access_token": TOKEN2, "bot_user_id": f"B{T2}", "team": {"id": T2, "name": "Other lab"},
        "enterprise": None, "is_enterprise_install": False,
    }
    async with multi.session.get(multi.url + "/slack/install") as resp:
        assert resp.status == 200
        page = await resp.text()
        cookie = resp.headers["Set-Cookie"].split(";", 1)[0]
    assert "oauth/v2/authorize?state=" in page and "client_id=111.222" in page
    state = cookie.split("=", 1)[1]
    async with multi.session.get(multi.url + f"/slack/oauth_redirect?code=code-1&state={state}",
                                 headers={"Cookie": cookie}) as resp:
        assert resp.status == 200, await resp.text()
    with engine.connect() as conn:
        rows = conn.execute(select(slack_tables.bots.c.team_id)).scalars().all()
    assert rows == [T2]
    client = await multi.adapter.chat.client_for(T2)
    assert client.token == TOKEN2

    # A forged state is refused and stores nothing more.
    async with multi.session.get(multi.url + "/slack/oauth_redirect?code=code-1&state=forged",
                                 headers={"Cookie": "slack-app-oauth-state=forged"}) as resp:
        assert resp.status == 401
    with engine.connect() as conn:
        assert len(conn.execute(select(slack_tables.installations.c.id)).all()) == 1
