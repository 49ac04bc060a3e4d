"""Two groups in one Discord server, through the fake Discord API: two channels, a person in both,
the Join button, the group select before the modal, the copy offer, a role, two digests."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.adapters.discord_bot.chat import DiscordChat
from bot.core.model import Workspace
from bot.scheduling import Scheduler
from bot.store.ledger import Ledger
from discord_fakes import (
    send,
    APPLICATION_COMMAND, CHANNEL, COMPONENT, GUILD, MODAL_SUBMIT, click, command, modal_submit, pick,
)
from fake_discord_api import MODAL

UTC = timezone.utc
WS = Workspace("discord", str(GUILD))
PAPERS, RANDOM = 800000000000000200, 800000000000000300
ADMIN = dict(manage_guild=True, user_id=200000000000000002, name="Prof")
BOB = dict(user_id=300000000000000003, name="Bob")
ROLE = "400000000000000777"
IN_LAB, IN_PAPERS, ELSEWHERE = (dict(channel_id=CHANNEL, channel_name="lab"),
                                dict(channel_id=PAPERS, channel_name="papers"),
                                dict(channel_id=RANDOM, channel_name="random"))


@pytest.fixture
def api(api):
    """The shared fake, with the server's two channels."""
    api.add_channel(GUILD, "lab", CHANNEL)
    api.add_channel(GUILD, "papers", PAPERS)
    return api


async def run(api, sub, resolved=None, where=IN_LAB, who=None, **options):
    return await send(api, APPLICATION_COMMAND, command(sub, GUILD, resolved, **options), **where, **(who or {}))


@pytest.fixture
async def groups(bot, api, core):
    """A lab group in #lab (Mondays) and a papers group in #papers (Thursdays), each made in its channel."""
    for where, meeting in ((IN_LAB, ("Mon", "10:00")), (IN_PAPERS, ("Thu", "16:00"))):
        made = await run(api, "setup", where=where, who=ADMIN, weekday=meeting[0], time=meeting[1],
                         timezone="Europe/Berlin")
        assert "Created the group" in made.texts(), made.texts()
    return {g.name: g for g in core.groups.in_workspace(WS)}


def select_of(exchange) -> dict:
    return next(c for m in exchange.messages() for row in m.get("components") or []
                for c in row.get("components", []) if c.get("type") == 3)


async def test_the_join_button_in_a_groups_channel_joins_and_opens_its_form(bot, api, core, groups):
    offer = await run(api, "submit", where=IN_PAPERS)
    assert "not a member of **papers**" in offer.texts()
    [button] = offer.buttons()
    assert button["label"] == "Join and write my recap: papers"
    pressed = await send(api, COMPONENT, click(button), **IN_PAPERS, message=_message(api, offer))
    assert pressed.response_type == MODAL
    assert core.groups.known_member(WS, "100000000000000001", groups["papers"].id) is not None


async def test_someone_in_two_groups_picks_one_before_the_modal_and_may_copy(bot, api, core, groups):
    for where in (IN_LAB, IN_PAPERS):
        assert "member of" in (await run(api, "join", where=where)).texts()
    opened = await run(api, "submit", where=IN_LAB)
    assert opened.response_type == MODAL
    done = await send(api, MODAL_SUBMIT, modal_submit(opened.modal(), {"progress": "qPCR works"}), **IN_LAB)
    assert "_lab:_ Thanks! Your recap is in" in done.texts()

    # In another channel: which group? A select comes first.
    asked = await run(api, "submit", where=ELSEWHERE)
    select = select_of(asked)
    assert [o["label"] for o in select["options"]] == ["lab", "papers"]
    chosen = await send(api, COMPONENT, pick(select, str(groups["papers"].id)), **ELSEWHERE,
                        message=_message(api, asked))
    # She has a recap in the lab: copy it, or start afresh.
    labels = [b["label"] for b in chosen.buttons()]
    assert labels == ["Write my recap", "Copy my recap from lab"]
    copy = chosen.buttons()[1]
    form = await send(api, COMPONENT, click(copy), **ELSEWHERE, message=_message(api, chosen))
    assert form.response_type == MODAL
    fields = {c["component"]["custom_id"]: c["component"].get("value") for c in form.modal()["components"]}
    assert fields["recap:progress"] == "qPCR works"
    done = await send(api, MODAL_SUBMIT, modal_submit(form.modal(), {"progress": "qPCR works (papers)"}),
                      **ELSEWHERE)
    assert "_papers:_ Thanks! Your recap is in for the meeting on **Thu 19 Nov 2026" in done.texts()


async def test_a_role_makes_its_holders_members_the_first_time_they_use_recap(bot, api, core, groups):
    resolved = {"roles": {ROLE: {"id": ROLE, "name": "phd", "color": 0, "hoist": False, "position": 1,
                                 "permissions": "0", "managed": False, "mentionable": True, "flags": 0}}}
    saved = await run(api, "setup", resolved=resolved, who=ADMIN, members=(8, ROLE))
    assert f"everyone with the role <@&{ROLE}>" in saved.texts()
    first = await send(api, APPLICATION_COMMAND, command("status", GUILD), **IN_LAB, **BOB, roles=(ROLE,))
    assert f"You hold the role <@&{ROLE}>, so you are now a member of **lab**" in first.texts()
    assert "Bob" in first.texts()
    without = await send(api, APPLICATION_COMMAND, command("question", GUILD), **IN_LAB, user_id=5, name="Eve")
    assert "not a member of **lab**" in without.texts()


async def test_one_scheduler_posts_each_groups_digest_in_its_own_channel_at_its_time(bot, api, core, groups,
                                                                                    engine, clock):
    for where in (IN_LAB, IN_PAPERS):
        await run(api, "join", where=where)
    scheduler = Scheduler(core, {"discord": DiscordChat(bot)}, Ledger(engine), clock=clock, replica="one")
    clock.set(datetime(2026, 11, 19, 13, 0, tzinfo=UTC))  # Thu 14:00 Berlin: the papers digest
    await scheduler.run_due()
    assert len(api.messages[str(PAPERS)]) == 1 and api.messages[str(CHANNEL)] == []
    assert "papers" in str(api.messages[str(PAPERS)][0])
    clock.set(datetime(2026, 11, 23, 7, 0, tzinfo=UTC))  # Mon 08:00 Berlin: the lab's
    await scheduler.run_due()
    assert len(api.messages[str(CHANNEL)]) == 1 and len(api.messages[str(PAPERS)]) == 1
    assert "lab" in str(api.messages[str(CHANNEL)][0])


def _message(api, exchange) -> dict:
    """The bot's message a component belongs to, as Discord sends it with the click."""
    message = exchange.messages()[-1]
    return dict(api.message_payload(str(exchange.payload["channel_id"]), message), id=message["id"])
