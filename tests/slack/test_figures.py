"""Figures through Slack: the form's file field, files fetched with the bot token, image blocks in digests."""
from __future__ import annotations

from datetime import datetime, timezone

from fake_slack import check_blocks
from slack_harness import ANN, BOB, T1, TOKEN1, recap_values, slack_actor

from bot.core.model import Digest, DigestEntry, Figure, RecapDraft
from bot.render.blocks import entry_messages
from tests.conftest import group_of, submit_as
from tests.deck_data import png


def with_files(values: dict, files: list[dict], captions: str = "") -> dict:
    values = dict(values)
    values["figures"] = {"value": {"type": "file_input", "files": files}}
    values["captions"] = {"value": {"type": "plain_text_input", "value": captions or None}}
    return values


async def open_form(slack, user: str) -> dict:
    await slack.command(user, "")
    return (await slack.fake.wait_for("views.open"))[-1].args["view"]


async def test_the_form_has_a_file_field_and_its_images_are_fetched_with_the_bot_token(slack, core):
    view = await open_form(slack, ANN)
    field = next(b for b in view["blocks"] if b.get("block_id") == "figures")
    assert field["element"]["type"] == "file_input" and field["element"]["max_files"] == 4
    files = [slack.fake.add_file(T1, "F0PLOT", "plot.png", png(64, 48)),
             slack.fake.add_file(T1, "F0MORE", "more.png", png(20, 20))]
    status, answer = await slack.submit(view, with_files(recap_values(progress="Plotted"), files,
                                                         "The fit\nSecond one"), ANN)
    assert status == 200 and answer is None
    assert [c.args["file"] for c in slack.fake.called("files.info")] == ["F0PLOT", "F0MORE"]
    assert all(c.token == TOKEN1 for c in slack.fake.called("files.info"))
    assert sorted(slack.fake.downloads) == [("F0MORE", TOKEN1), ("F0PLOT", TOKEN1)]
    recap = core.recaps.history(slack_actor(ANN), None, 1).recaps[0]
    assert [(f.caption, f.width) for f in core.recaps.figures(recap)] == [("The fit", 64), ("Second one", 20)]
    (confirmation,) = await slack.fake.wait_responses(1)
    assert "2 figures attached" in str(confirmation)


async def test_a_file_that_is_not_a_whole_image_is_an_inline_error_and_nothing_is_stored(slack, core):
    view = await open_form(slack, BOB)
    cut = png(300, 300)[:200]
    files = [slack.fake.add_file(T1, "F0CUT", "cut.png", cut)]
    status, answer = await slack.submit(view, with_files(recap_values(progress="Half a plot"), files), BOB)
    assert status == 200
    assert answer["response_action"] == "errors"
    assert "cut.png" in answer["errors"]["figures"] and "could not be decoded" in answer["errors"]["figures"]
    assert core.recaps.history(slack_actor(BOB), None, 1).recaps == []  # the form stays open, nothing stored


def test_a_digest_entry_shows_its_figures_as_image_blocks_from_the_bots_own_links(repo, engine, clock):
    from bot.core.service import Core
    from bot.render.deck import EXPORTERS
    from bot.store.files import DbFileStore

    core = Core.build(repo, clock, files=DbFileStore(engine), exporters=EXPORTERS,
                      public_url="https://recap.example.org")
    actor = slack_actor(ANN)
    core.teams.configure(slack_actor("U0ADMIN", admin=True), [("meeting", "Mon 10:00")])
    from bot.core.model import FigureUpload

    submit_as(core, actor, RecapDraft(progress="Plotted", figures=(FigureUpload(png(), "The fit"),)))
    team = group_of(core, actor.workspace)
    digest: Digest = core.upcoming_digest(team)
    [entry] = digest.entries
    [figure] = entry.figures
    assert figure.url.startswith("https://recap.example.org/figures/fig.")
    [message] = entry_messages(entry)
    images = [b for b in message.blocks if b["type"] == "image"]
    assert images == [{"type": "image", "image_url": figure.url, "alt_text": "The fit",
                       "title": {"type": "plain_text", "text": "The fit"}}]
    assert check_blocks(message.blocks) is None
    assert core.deck.figure_by_link(figure.url.rsplit("/", 1)[1])[1] == png()


def test_an_entry_without_links_shows_no_images():
    figure = Figure(1, 1, 1, 1, 1, "", "image/png", 1, 1, 1)
    from bot.core.model import Member, Recap

    when = datetime(2026, 11, 23, 9, tzinfo=timezone.utc)
    member = Member(1, 1, "U1", "Ann", None, when)
    recap = Recap(1, 1, 1, when, "", False, "x", "", "", False, False, 1, when, when)
    [message] = entry_messages(DigestEntry(member, recap, (figure,)))
    assert all(b["type"] != "image" for b in message.blocks)


def test_without_a_public_https_address_the_digest_names_the_figures_instead(core, clock):
    """Slack refuses a whole message whose image it cannot download: no image blocks from localhost."""
    from bot.core.model import FigureUpload

    actor = slack_actor(ANN)
    core.teams.configure(slack_actor("U0ADMIN", admin=True), [("meeting", "Mon 10:00")])
    submit_as(core, actor, RecapDraft(progress="Plotted", figures=(FigureUpload(png()),)))
    [entry] = core.upcoming_digest(group_of(core, actor.workspace)).entries
    [message] = entry_messages(entry)
    assert all(b["type"] != "image" for b in message.blocks)
    assert "1 figure: see them in the deck" in str(message.blocks)


async def test_recap_deck_answers_privately_with_a_link_to_this_workspaces_group(slack, core):
    import re

    core.recaps.submit(slack_actor(ANN), RecapDraft(progress="Counted cells"))
    await slack.command(ANN, "deck")
    (answer,) = await slack.fake.wait_responses(1)
    assert answer["response_type"] == "ephemeral"
    url = re.search(r"http://localhost:3000/deck/[A-Za-z0-9._-]+", str(answer))[0]
    access = core.deck.open(url.rsplit("/", 1)[1])
    assert access.team.workspace.key == f"slack:{T1}" and access.member.user_ref == ANN
    async with slack.session.get(slack.url + url.removeprefix("http://localhost:3000")) as page:
        assert page.status == 200 and "Counted cells" in await page.text()  # served beside /slack/events


async def test_recap_deck_pptx_goes_to_the_persons_dm(slack, core):
    core.recaps.submit(slack_actor(ANN), RecapDraft(progress="Counted cells"))
    await slack.command(ANN, "deck pptx")
    (note,) = await slack.fake.wait_responses(1)
    assert "PowerPoint" in str(note)
    [deck] = slack.fake.files
    assert deck["channel"] == "D0ANN" and deck["filename"].endswith(".pptx") and deck["content"][:2] == b"PK"
