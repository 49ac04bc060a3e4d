"""The digest document and its Markdown rendering."""
from datetime import datetime, timezone

import pytest

from bot.adapters.slack.home import home_view
from bot.core.commands import CommandHandler
from bot.core.digest import agenda_items
from bot.core.forms import TEXT_FIELDS
from bot.core.model import RecapDraft
from bot.render.blocks import entry_blocks
from bot.render.embeds import entry_sections
from bot.render.markdown import entry_lines, render_digest
from tests.conftest import join, person

UTC = timezone.utc
MEETING = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ALICE, BOB, CAROL, DAVE = (person(n) for n in ("alice", "Bob", "carol", "dave"))


@pytest.fixture
def team(core):
    return core.teams.configure(ALICE, [("meeting", "Mon 10:00"), ("tz", "Europe/Berlin"),
                                        ("north-star", "Make planning cheap")])


@pytest.fixture
def filled(core, team, clock):
    join(core, BOB, CAROL)
    core.recaps.submit(ALICE, RecapDraft(question="Can small models plan?", progress="Reproduced baseline",
                                         failures="Curriculum diverged", questions="Is 3 seeds enough?\n- Which eval?",
                                         plan="Run the ablation"))
    core.recaps.submit(BOB, RecapDraft(progress="Data loader", questions="Spare GPU hours?"))
    core.recaps.away(CAROL, ["2w", "conference"])
    core.teams.member_for(DAVE)
    return team


def test_digest_has_each_part_in_order(core, filled):
    digest = core.upcoming_digest(filled)
    assert digest.meeting_local.strftime("%a %H:%M %Z") == "Mon 10:00 CET"
    assert digest.north_star == "Make planning cheap"
    assert [e.member.display_name for e in digest.entries] == ["alice", "Bob"]
    assert [(a.text, a.asker) for a in digest.agenda] == [
        ("Is 3 seeds enough?", "alice"), ("Which eval?", "alice"), ("Spare GPU hours?", "Bob")]
    assert digest.missing == ("dave",)
    assert [(a.name, a.until.isoformat(), a.reason) for a in digest.away] == [("carol", "2026-12-01", "conference")]
    assert (digest.submitted, digest.expected) == (2, 3)


def test_markdown_puts_question_before_progress_and_failures_with_same_weight(core, filled):
    text = render_digest(core.upcoming_digest(filled))
    alice = text[text.index("## alice"):text.index("## Bob")]
    assert alice.index("**Big-picture question:** Can small models plan?") < alice.index("**Progress:** Reproduced")
    assert "**What didn't work:** Curriculum diverged" in alice
    agenda = text[text.index("## Questions for the meeting"):]
    assert "#1 Is 3 seeds enough? (alice)" in agenda and "#3 Spare GPU hours? (Bob)" in agenda
    assert "Not yet submitted: dave" in text and "Away: carol (until Tue 01 Dec 2026, conference)" in text
    assert "**North star:** Make planning cheap" in text


def test_changed_question_and_late_update_are_marked(core, filled, clock):
    clock.set(datetime(2026, 11, 24, 12, 0, tzinfo=UTC))
    core.recaps.submit(ALICE, RecapDraft(question="Can small models plan in 3D?", progress="more"))
    clock.set(datetime(2026, 11, 30, 8, 30, tzinfo=UTC))  # after the digest (07:00 UTC), before the meeting
    core.recaps.submit(BOB, RecapDraft(progress="late"))
    text = render_digest(core.upcoming_digest(filled))
    assert "**Big-picture question (changed):** Can small models plan in 3D?" in text
    assert "## Bob _(late update)_" in text


def test_streaks_carry_into_the_coming_meeting_and_break_after_a_missed_one(core, filled, clock):
    clock.set(datetime(2026, 11, 24, 12, 0, tzinfo=UTC))
    core.recaps.submit(ALICE, RecapDraft(progress="week 2"))
    digest = core.upcoming_digest(filled)
    assert dict(digest.streaks) == {"alice": 2, "Bob": 1, "dave": 0}
    clock.set(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))  # Bob missed the 30 Nov meeting
    assert dict(core.upcoming_digest(filled).streaks)["Bob"] == 0
    assert dict(core.upcoming_digest(filled).streaks)["alice"] == 2  # still alive until this meeting


def test_past_meeting_digest_is_reproducible(core, filled, clock):
    clock.set(datetime(2026, 12, 2, 12, 0, tzinfo=UTC))
    digest = core.digest_on(filled, datetime(2026, 11, 23).date())
    assert [e.member.display_name for e in digest.entries] == ["alice", "Bob"]


def test_digest_for_a_day_without_meeting_says_which_day_has_one(core, filled):
    with pytest.raises(Exception) as exc:
        core.digest_on(filled, datetime(2026, 11, 25).date())
    assert "no meeting on Wed 2026-11-25" in str(exc.value) and "Mon 2026-11-30" in str(exc.value)


def test_empty_digest_still_shows_participation(core, team):
    core.teams.member_for(DAVE)
    text = render_digest(core.upcoming_digest(team))
    assert "_No recaps yet for this meeting._" in text and "No questions this time." in text
    assert "Submitted 0 of 2." in text


@pytest.mark.parametrize(
    "text, items",
    [
        ("One?", ["One?"]),
        ("- a\n* b\n\u2022 c\n1. d\n2) e", ["a", "b", "c", "d", "e"]),
        ("\n\n  \nx\n", ["x"]),
        ("-5 degrees is cold?", ["-5 degrees is cold?"]),
    ],
)
def test_agenda_items_split_per_line(text, items):
    assert agenda_items(text) == items


def test_every_platform_heads_each_answer_with_the_forms_own_words(core, filled):
    """Digest (Markdown, Block Kit, embeds), history and the App Home all say what the form asked."""
    alice = next(e for e in core.upcoming_digest(filled).entries if e.member.display_name == "alice")
    shown = {
        "markdown": "\n".join(entry_lines(alice)),
        "slack": str([block.to_dict() for block in entry_blocks(alice)]),
        "discord": "\n".join(title for title, _ in entry_sections(alice)),
        "history": CommandHandler(core).handle(ALICE, "/recap history").text,
        "app home": str(home_view(core.overviews(ALICE)).to_dict()),
    }
    for where, text in shown.items():
        for spec in TEXT_FIELDS:
            assert spec.title in text, (where, spec.title)
