"""Migration 0008 (research memory) on a database in use, with real rows, on both backends.

The rows are written by today's code, then the schema is taken back to the revision before
(dropping what 0008 added) and upgraded again."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from bot.app import repository
from bot.core.commands import CommandHandler
from bot.core.model import RecapDraft
from bot.core.service import Core
from bot.render.markdown import render_digest
from bot.store.db import upgrade
from tests.conftest import BACKENDS, downgrade, group_of, migrated_engine, person, submit_as

UTC = timezone.utc
PAST, COMING = datetime(2026, 11, 16, 9, tzinfo=UTC), datetime(2026, 11, 23, 9, tzinfo=UTC)

BEFORE = "0009"  # the revision before research memory (0008 follows the deck's 0009 on main)


@pytest.fixture(params=BACKENDS)
def engine_at_head(request, tmp_path):
    """An engine on a database at head, to be filled and then taken back to BEFORE."""
    with migrated_engine(request.param, tmp_path) as engine:
        yield engine


def recap(core, who: str, progress: str, failures: str = "", questions: str = "") -> None:
    submit_as(core, person(who), RecapDraft(question="Can cells count?", progress=progress, failures=failures,
                                            questions=questions))


def test_upgrading_keeps_every_digest_and_history_and_opens_the_latest_meetings_questions(engine_at_head, clock):
    engine = engine_at_head
    core = Core.build(repository(engine), clock, default_timezone="Europe/Berlin")
    core.teams.setup(person("alice"), [("meeting", "Mon 10:00"), ("tz", "Europe/Berlin")])
    clock.set(PAST - timedelta(days=2))
    recap(core, "alice", "Counted 3 cells", "The stain bleached", "Which microscope?")
    clock.set(COMING - timedelta(days=2))
    recap(core, "alice", "Counted 40 cells", questions="Spare GPU hours?\n- Who reviews?")
    recap(core, "bob", "Read papers", questions="Is 3 seeds enough?")
    team = group_of(core)
    downgrade(engine, BEFORE)  # the database as it was before research memory, with these rows
    with engine.connect() as conn:  # what the old code showed, read the old way
        assert "plan" not in {c["name"] for c in sa.inspect(conn).get_columns("recaps")}
        before = conn.execute(sa.text("SELECT member_id, meeting_at, progress, failures, questions, streak "
                                      "FROM recaps ORDER BY id")).all()

    upgrade(engine)

    with engine.connect() as conn:
        after = conn.execute(sa.text("SELECT member_id, meeting_at, progress, failures, questions, streak, plan "
                                     "FROM recaps ORDER BY id")).all()
    assert [tuple(row[:6]) for row in after] == [tuple(row) for row in before]
    assert {row.plan for row in after} == {""}
    digest = core.upcoming_digest(team)
    assert [(e.member.display_name, e.recap.progress, e.recap.streak, e.previous_plan) for e in digest.entries] == [
        ("alice", "Counted 40 cells", 2, ""), ("bob", "Read papers", 1, "")]
    # The coming meeting's questions are the group's, numbered; the past meeting's stay history.
    assert [(a.number, a.text, a.asker) for a in digest.agenda] == [
        (1, "Spare GPU hours?", "alice"), (2, "Who reviews?", "alice"), (3, "Is 3 seeds enough?", "bob")]
    assert "#1 Spare GPU hours? (alice)" in render_digest(digest)
    assert "Which microscope?" not in CommandHandler(core).handle(person("alice"), "/recap questions").text
    past = core.digest_on(team, PAST.date())
    assert [(a.number, a.text) for a in past.agenda] == [(0, "Which microscope?")]  # shown as before, no number
    assert "1. Which microscope? (alice)" in render_digest(past)
    # Old recaps are searchable at once (the index was built from the rows already there).
    assert [h.field for h in core.search.search(person("bob"), "bleached").hits] == ["failures"]
    # And the new code writes on it.
    result = core.recaps.submit(person("bob"), RecapDraft(progress="Read more papers", plan="Write the summary",
                                                          questions="Is 3 seeds enough?"))
    assert result.replaced and result.recap.plan == "Write the summary"
    assert core.questions.answer(person("bob"), number=3).closed_at is not None
    clock.advance(days=7)
    assert core.recaps.form(person("bob")).last_plan == "Write the summary"


def test_downgrade_and_up_again(engine_at_head, clock):
    engine = engine_at_head
    core = Core.build(repository(engine), clock, default_timezone="Europe/Berlin")
    core.teams.setup(person("alice"), [("meeting", "Mon 10:00")])
    core.recaps.submit(person("alice"), RecapDraft(progress="x", plan="y", questions="Which fixative?"))
    downgrade(engine, BEFORE)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT progress FROM recaps")).scalar_one() == "x"
    upgrade(engine)
    assert [h.field for h in core.search.search(person("alice"), "fixative").hits] == ["questions"]

