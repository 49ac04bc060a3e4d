"""The rolling deck: the document, its signed links, and the pages the web adapter serves."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.core.commands import CommandHandler
from bot.core.deck import AWAY, LATE, MISSED, NOT_MEMBER, SUBMITTED
from bot.core.links import LinkRefused
from bot.core.model import RecapDraft
from bot.core.replies import FileReply, TextReply
from bot.web import mount
from tests.conftest import group_of, person
from tests.deck_data import ALICE, BOB, CAROL, HOSTILE, three_meetings

OTHER_LAB = person("Eve", "slack:T0OTHER")


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_the_deck_is_newest_meeting_first_an_agenda_then_one_slide_per_member(core, clock):
    meetings = three_meetings(core, clock)
    team = group_of(core)
    deck = core.deck.deck(team)
    assert [m.meeting_at for m in deck.meetings] == meetings[::-1]
    newest = deck.meetings[0]
    assert [s.member.display_name for s in newest.slides] == ["Alice", "Bob", "Carol"]
    assert [s.recap.question for s in newest.slides][:2] == ["Can small models learn to plan?",
                                                             "Where do errors come from?"]
    assert [item.text for item in deck.meetings[1].agenda] == ["Alice asks 2?"]
    assert [f.caption for f in newest.slides[0].figures] == ["Loss curve"]
    assert deck.slide_count == 1 + 3 + 1 + 2 + 1 + 2


def test_a_members_own_deck_holds_only_their_slides(core, clock):
    three_meetings(core, clock)
    reply = CommandHandler(core).handle(CAROL, "/recap deck me")
    access = core.deck.open(token_of(re.search(r"http\S+", reply.text)[0]))
    deck = core.deck.deck_for(access)
    assert [[s.member.display_name for s in m.slides] for m in deck.meetings] == [["Carol"]]


def test_the_link_is_signed_expires_and_opens_only_its_group(core, clock):
    three_meetings(core, clock)
    reply = CommandHandler(core).handle(BOB, "/recap deck")
    assert isinstance(reply, TextReply) and reply.ok
    url = re.search(r"http\S+", reply.text)[0]
    assert url.startswith("http://localhost:3000/deck/")
    token = token_of(url)
    access = core.deck.open(token)
    assert access.team.name == "Vision lab" and access.member.display_name == "Bob" and not access.mine

    team_id, member_id = access.team.id, access.member.id
    core.teams.configure(OTHER_LAB, [("meeting", "Mon 10:00")])  # another workspace's group, Eve its member
    other = core.teams.member_for(OTHER_LAB)
    forged = token.replace(f"deck.{team_id}.{member_id}.", f"deck.{other.team_id}.{other.id}.", 1)
    with pytest.raises(LinkRefused) as refused:
        core.deck.open(forged)
    assert not refused.value.expired
    with pytest.raises(LinkRefused):
        core.deck.open(token.replace(".all.", ".me.", 1))  # widening or narrowing breaks the signature
    clock.advance(days=7, seconds=1)
    with pytest.raises(LinkRefused) as refused:
        core.deck.open(token)
    assert refused.value.expired


def test_a_figure_is_served_only_to_a_link_of_its_group(core, clock):
    three_meetings(core, clock)
    alice_link, _ = core.deck.link(ALICE)
    figure = core.deck.deck(group_of(core)).meetings[0].slides[0].figures[0]
    same = core.deck.open(token_of(alice_link))
    assert core.deck.figure(same, figure.id)[0].caption == "Loss curve"
    core.teams.configure(OTHER_LAB, [("meeting", "Mon 10:00")])
    other_link, _ = core.deck.link(OTHER_LAB)
    with pytest.raises(Exception, match="No such figure"):
        core.deck.figure(core.deck.open(token_of(other_link)), figure.id)
    bob_own, _ = core.deck.link(BOB, mine=True)
    with pytest.raises(Exception, match="No such figure"):
        core.deck.figure(core.deck.open(token_of(bob_own)), figure.id)


def test_participation_marks_submitted_late_away_missed_and_not_yet_a_member(core, clock):
    meetings = three_meetings(core, clock)
    access = core.deck.open(token_of(core.deck.link(ALICE)[0]))
    grid = core.deck.participation(access)
    assert [m.display_name for m in grid.members] == ["Alice", "Bob", "Carol"]
    assert grid.cells[0] == (SUBMITTED, SUBMITTED, SUBMITTED)
    assert grid.cells[2] == (NOT_MEMBER, NOT_MEMBER, SUBMITTED)
    # A fourth meeting: Alice late, Bob away, Carol missed.
    clock.set(meetings[-1] + timedelta(days=6, hours=23))  # after the digest of the 14 Dec meeting
    core.recaps.submit(ALICE, RecapDraft(progress="late again"))
    core.recaps.away(BOB, ["2026-12-20"])
    clock.advance(hours=2)
    grid = core.deck.participation(access)
    assert [row[-1] for row in grid.cells] == [LATE, AWAY, MISSED]


def test_deck_pptx_is_a_private_file(core, clock):
    three_meetings(core, clock)
    reply = CommandHandler(core).handle(ALICE, "/recap deck pptx")
    assert isinstance(reply, FileReply)
    [attachment] = reply.files
    assert attachment.filename.endswith(".pptx") and attachment.content[:2] == b"PK"
    assert "direct messages" in reply.sent


# ---------------------------------------------------------------------------- web pages
@pytest.fixture
async def web_client(core):
    app = web.Application()
    mount(app, core)
    client = TestClient(TestServer(app))
    await client.start_server()
    yield client
    await client.close()


def path_of(url: str) -> str:
    return url.removeprefix("http://localhost:3000")


async def test_the_deck_page_shows_recaps_as_text_and_runs_no_typed_markup(core, clock, web_client):
    three_meetings(core, clock)
    url, _ = core.deck.link(ALICE)
    response = await web_client.get(path_of(url))
    assert response.status == 200
    page = await response.text()
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'nonce-" in csp and "unsafe-inline" not in csp
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "<script>window.__pwned" not in page and not re.search(r"<img[^>]*onerror", page)
    assert "&lt;script&gt;window.__pwned=2&lt;/script&gt;" in page
    assert 'href="javascript:' not in page
    assert "<strong>progress</strong>" in page  # Markdown is rendered
    assert page.index("Alice progress week 3") < page.index("Alice progress week 2")


async def test_the_other_pages_open_from_the_same_link(core, clock, web_client):
    meetings = three_meetings(core, clock)
    url, _ = core.deck.link(ALICE)
    access = core.deck.open(token_of(url))
    bob = core.teams.member_for(BOB)
    base = path_of(url)
    timeline = await (await web_client.get(f"{base}/member/{bob.id}")).text()
    assert "Where do errors come from?" in timeline and "Bob <strong>progress</strong> week 1" in timeline
    day = meetings[1].astimezone(core.teams.member_zone(bob, access.team)).date()
    meeting = await web_client.get(f"{base}/meeting/{day.isoformat()}")
    assert meeting.status == 200 and "Alice asks 2?" in await meeting.text()
    chart = await web_client.get(f"{base}/participation.svg")
    assert chart.status == 200 and chart.content_type == "image/svg+xml"
    assert (await chart.read()).lstrip().startswith(b"<?xml")
    figure = access and core.deck.deck_for(access).meetings[0].slides[0].figures[0]
    image = await web_client.get(f"{base}/figure/{figure.id}")
    assert image.status == 200 and image.content_type == "image/png"
    assert (await image.read())[:8] == b"\x89PNG\r\n\x1a\n"


async def test_an_altered_or_expired_link_gets_a_403_that_says_how_to_get_a_new_one(core, clock, web_client):
    three_meetings(core, clock)
    url, _ = core.deck.link(ALICE)
    altered = path_of(url)[:-3] + ("AAA" if not path_of(url).endswith("AAA") else "BBB")
    response = await web_client.get(altered)
    assert response.status == 403
    assert "/recap deck" in await response.text()
    clock.advance(days=8)
    response = await web_client.get(path_of(url))
    assert response.status == 403
    assert "expired" in (await response.text()).lower()


async def test_a_members_own_link_opens_neither_the_group_pages_nor_others_timelines(core, clock, web_client):
    three_meetings(core, clock)
    url, _ = core.deck.link(BOB, mine=True)
    alice = core.teams.member_for(ALICE)
    base = path_of(url)
    page = await (await web_client.get(base)).text()
    assert "Bob" in page and "Alice progress" not in page
    assert (await web_client.get(f"{base}/member/{alice.id}")).status == 404
    assert (await web_client.get(f"{base}/participation.svg")).status == 404


def test_older_meetings_are_on_the_next_page(core, clock):
    meetings = three_meetings(core, clock)
    team = group_of(core)
    first = core.deck.deck(team, limit=2)
    assert len(first.meetings) == 2 and first.older == meetings[0].astimezone(first.meetings[0].meeting_local.tzinfo).date()
    rest = core.deck.deck(team, before=first.meetings[-1].day, limit=2)
    assert [m.meeting_at for m in rest.meetings] == [meetings[0]] and rest.older is None
    assert isinstance(first.meetings[0].day, date)
    assert HOSTILE  # used by the page tests


def test_in_a_workspace_of_several_groups_a_link_opens_only_the_group_it_was_made_for(core, clock):
    from dataclasses import replace

    three_meetings(core, clock)
    reading = core.groups.create(ALICE, "Reading group")  # Alice is in both groups now
    core.teams.configure(replace(ALICE, group="Reading group"), [("meeting", "Tue 15:00")])
    core.recaps.submit(replace(ALICE, group="Reading group"), RecapDraft(progress="Read two papers"))
    vision_link, _ = core.deck.link(replace(ALICE, group="Vision lab"))
    reading_link, _ = core.deck.link(replace(ALICE, group="Reading group"))
    vision = core.deck.open(token_of(vision_link))
    reading = core.deck.open(token_of(reading_link))
    assert reading.team.id != vision.team.id and reading.team.name == "Reading group"
    texts = [s.recap.progress for m in core.deck.deck_for(reading).meetings for s in m.slides]
    assert texts == ["Read two papers"]
    figure = core.deck.deck_for(vision).meetings[0].slides[0].figures[0]
    with pytest.raises(Exception, match="No such figure"):
        core.deck.figure(reading, figure.id)  # the Vision lab's figure, asked through the other group's link
    bob = core.teams.member_for(BOB)
    with pytest.raises(Exception, match="No such member"):
        core.deck.timeline(reading, bob.id)
    assert reading.member.team_id == reading.team.id


def test_a_member_who_left_the_group_loses_their_links(core, clock):
    three_meetings(core, clock)
    url, _ = core.deck.link(BOB)
    core.groups.leave(BOB)
    with pytest.raises(LinkRefused, match="left"):
        core.deck.open(token_of(url))
    still = core.deck.open(token_of(core.deck.link(ALICE)[0]))
    assert any(s.member.display_name == "Bob" for s in core.deck.deck_for(still).meetings[0].slides)  # recaps stay
