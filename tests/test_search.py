"""`/recap search` on SQLite (FTS5) and PostgreSQL (tsvector): the same results for the same data.

Each test asserts the exact set of results, so running it on both backends checks that they
agree (ranking order is each engine's own, except where one result is clearly best).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete

from bot.core.commands import CommandHandler
from bot.core.errors import UserError
from bot.core.model import MARK_END, MARK_START, RecapDraft
from bot.core.search import PAGE_SIZE
from bot.store import tables
from tests.conftest import join, person

UTC = timezone.utc
START = datetime(2026, 5, 18, 12, tzinfo=UTC)  # a Monday, six months before the meetings below
ALICE, BOB, CAROL = person("alice"), person("Bob", admin=False), person("carol", admin=False)


@pytest.fixture
def lab(core, clock):
    """Six months of weekly recaps by three people, with the words the tests look for."""
    clock.set(START)
    handler = CommandHandler(core)
    assert handler.handle(ALICE, '/recap setup meeting="Mon 10:00" tz=Europe/Berlin').ok
    join(core, BOB, CAROL)
    core.recaps.submit(ALICE, RecapDraft(progress="Set up the confocal microscope",
                                         failures="The fluorescent stain bleached after two minutes",
                                         plan="Order a photostable dye"))
    core.recaps.submit(BOB, RecapDraft(progress="Cleaned the survey data", questions="Who has spare GPU hours?"))
    for week in range(1, 26):
        clock.set(START + timedelta(weeks=week))
        core.recaps.submit(ALICE, RecapDraft(progress=f"Week {week}: counted cells in batch {week}"))
        core.recaps.submit(BOB, RecapDraft(progress=f"Week {week}: trained the small model",
                                           failures="Gradient clipping did not help" if week == 20 else ""))
    core.recaps.submit(CAROL, RecapDraft(progress="Tried a new stain protocol", failures="Staining was patchy"))
    return handler


def found(core, who, text):
    return core.search.search(who, text)


def names(results) -> list[tuple[str, str]]:
    return sorted((results.names[h.member_id], h.field) for h in results.hits)


def test_a_failure_written_six_months_ago_is_found_by_a_word_in_it(lab, core):
    results = found(core, CAROL, "bleached")
    assert names(results) == [("alice", "failures")]
    [hit] = results.hits
    assert f"{MARK_START}bleached{MARK_END}" in hit.snippet and hit.meeting_at == datetime(2026, 5, 25, 8, tzinfo=UTC)
    text = lab.handle(CAROL, "/recap search bleached").text
    assert text == ("**Search: bleached** in Research group\n"
                    "1. **alice, What didn't work**, meeting Mon 25 May 2026: The fluorescent stain **bleached** "
                    "after two minutes")


def test_words_are_stemmed_and_every_word_must_match(lab, core):
    both = [("alice", "failures"), ("carol", "progress")]  # Carol's recap once, at its best field
    assert names(found(core, CAROL, "stain")) == both
    assert names(found(core, CAROL, "staining")) == both  # stemmed alike
    assert names(found(core, CAROL, "stain bleached")) == [("alice", "failures")]
    assert names(found(core, CAROL, "gradient clipping")) == [("Bob", "failures")]


def test_a_phrase_in_quotes_matches_those_words_together(lab, core):
    phrase = found(core, CAROL, '"small model"')
    assert names(phrase) == [("Bob", "progress")] * PAGE_SIZE and phrase.more
    assert found(core, CAROL, '"model small"').hits == []
    assert names(found(core, CAROL, '"confocal microscope" set')) == [("alice", "progress")]


def test_member_field_and_since_narrow_the_search(lab, core):
    assert len(found(core, CAROL, "week").hits) == PAGE_SIZE
    assert {h.member_id for h in found(core, CAROL, "week --member Bob").hits} == {
        core.teams.member_for(BOB).id}
    assert names(found(core, CAROL, "stain --field failures")) == [("alice", "failures"), ("carol", "failures")]
    assert names(found(core, CAROL, "stain --field progress")) == [("carol", "progress")]
    assert names(found(core, CAROL, "dye --field plan")) == [("alice", "plan")]
    assert names(found(core, CAROL, "stain --since 2026-11-01")) == [("carol", "progress")]
    for query, message in [("stain --field colour", "Unknown field 'colour'"),
                           ("stain --since yesterday", "Write dates as YYYY-MM-DD"),
                           ("stain --member nobody", "No member called 'nobody'"),
                           ("--member Bob", "Say what to look for"), ("!!! ...", "Say what to look for"),
                           ("stain --page 0", "--page must be from 1 to 100")]:
        with pytest.raises(UserError, match=message):
            found(core, CAROL, query)


def test_results_come_ten_to_a_page_best_first(lab, core):
    pages = [found(core, CAROL, f"week --member alice --page {p}") for p in (1, 2, 3)]
    assert [len(p.hits) for p in pages] == [10, 10, 5] and [p.more for p in pages] == [True, True, False]
    weeks = {h.meeting_at for p in pages for h in p.hits}
    assert len(weeks) == 25  # every week once, none twice across pages
    assert "More: add `--page 2`." in lab.handle(CAROL, "/recap search week --member alice").text
    best = found(core, CAROL, "stain").hits[0]  # "stain" twice in Carol's recap, once in Alice's
    assert best.member_id == core.teams.member_for(CAROL).id


def test_feedback_and_answered_questions_are_found_open_questions_only_in_their_recap(lab, core):
    bob = core.teams.member_for(BOB)
    recap = next(r for r in core.recaps.history(BOB, None, 30).recaps if "GPU" in r.questions)
    assert names(found(core, CAROL, "GPU")) == [("Bob", "questions")]  # open: only as the recap's text
    core.feedback.give(CAROL, recap.id, "The physics cluster lends GPUs on Fridays")
    core.questions.answer(CAROL, number=1, note="ask the physics department")
    results = found(core, ALICE, "physics")
    assert sorted((h.kind, h.field) for h in results.hits) == [("feedback", "feedback"), ("question", "answer")]
    assert {h.member_id for h in results.hits} == {bob.id}
    text = lab.handle(ALICE, "/recap search physics").text
    assert "feedback from carol on Bob's recap" in text and "answered question #1, asked by Bob" in text
    assert sorted(h.kind for h in found(core, ALICE, "spare GPU").hits) == ["question", "recap"]
    assert [h.kind for h in found(core, ALICE, "physics --field progress").hits] == []  # a field: recaps only


@pytest.mark.parametrize("query", ['"', 'stain"', "NEAR(stain bleached)", "stain OR cells", "stain*", "{progress}:stain",
                                   "^stain", "stain AND NOT cells", "'stain'", "st-ain", "\\stain", "ståin",
                                   "(stain", "stain)", "x" * 60])
def test_query_syntax_of_either_engine_is_just_text(lab, core, query):
    try:
        results = found(core, CAROL, query)  # never an error from the engine's own query language
    except UserError as exc:
        assert exc.message.startswith("Say what to look for")  # nothing searchable in it
    else:
        assert all(h.snippet is not None for h in results.hits)


def test_the_index_follows_every_write(lab, core, engine, clock):
    assert names(found(core, CAROL, "patchy")) == [("carol", "failures")]
    core.recaps.submit(CAROL, RecapDraft(progress="Tried a new stain protocol", failures="Staining was even"))
    assert found(core, CAROL, "patchy").hits == [] and names(found(core, CAROL, "even")) == [("carol", "failures")]
    assert CommandHandler(core).confirm(CAROL, core.privacy.confirmation("forget-me")).ok  # forget-me
    assert found(core, ALICE, "even").hits == []
    core.privacy.delete_recaps_before(START + timedelta(weeks=2))  # retention
    assert found(core, ALICE, "bleached").hits == [] and names(found(core, ALICE, "batch")) != []
    with engine.begin() as conn:  # a group deleted: its recaps go by cascade, and from the index
        conn.execute(delete(tables.teams))
    CommandHandler(core).handle(ALICE, '/recap setup meeting="Mon 10:00"')
    assert found(core, ALICE, "batch").hits == [] and found(core, ALICE, "week").hits == []


def test_another_group_never_sees_these_recaps(lab, core):
    stranger = person("mallory", "slack:T9")
    assert CommandHandler(core).handle(stranger, '/recap setup meeting="Mon 10:00"').ok
    assert found(core, stranger, "stain").hits == [] and found(core, stranger, "week").hits == []
    # Nor does another group of the same workspace, nor someone outside this one.
    reading = replace(ALICE, group=None)
    assert CommandHandler(core).handle(reading, '/recap group new "Reading group" meeting="Thu 16:00"').ok
    other = replace(ALICE, group="Reading group")
    assert found(core, other, "stain").hits == []
    with pytest.raises(UserError, match="not a member of"):
        found(core, replace(person("zed", admin=False), group="Research group"), "stain")
