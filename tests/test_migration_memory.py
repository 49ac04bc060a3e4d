"""Migration 0008 (research memory) on a database in use at 0006, with real rows, on both backends."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from bot.app import repository
from bot.core.commands import CommandHandler
from bot.core.model import RecapDraft
from bot.core.service import Core
from bot.render.markdown import render_digest
from bot.store.db import make_engine, upgrade
from bot.store.tables import UTCDateTime
from tests.conftest import BACKENDS, drop_pg_schema, new_pg_schema, person

UTC = timezone.utc
PAST, COMING = datetime(2026, 11, 16, 9, tzinfo=UTC), datetime(2026, 11, 23, 9, tzinfo=UTC)

# The recaps table as the code of 0006 wrote it (today's code writes a column it lacks).
OLD_RECAPS = sa.table("recaps", *(sa.column(name, UTCDateTime if name.endswith("_at") else None) for name in (
    "team_id", "member_id", "meeting_at", "question", "question_changed", "progress", "failures", "questions",
    "figuring_it_out", "late", "streak", "submitted_at", "updated_at")))


@pytest.fixture(params=BACKENDS)
def at_0006(request, tmp_path):
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        schema = None
    else:
        schema, url = new_pg_schema()
        engine = make_engine(url)
    upgrade(engine, "0006")
    yield engine
    engine.dispose()
    if schema:
        drop_pg_schema(schema)


def old_recap(core, engine, who: str, meeting: datetime, streak: int, **fields) -> None:
    member = core.teams.member_for(person(who))
    row = dict(question="Can cells count?", question_changed=False, progress="", failures="", questions="",
               figuring_it_out=False, late=False, streak=streak, submitted_at=core.clock.now(),
               updated_at=core.clock.now())
    row.update(fields)
    with engine.begin() as conn:
        conn.execute(sa.insert(OLD_RECAPS).values(team_id=member.team_id, member_id=member.id, meeting_at=meeting,
                                                  **row))


def test_upgrading_keeps_every_digest_and_history_and_opens_the_latest_meetings_questions(at_0006, clock):
    engine = at_0006
    core = Core.build(repository(engine), clock, default_timezone="Europe/Berlin")
    core.teams.configure(person("alice"), [("meeting", "Mon 10:00"), ("tz", "Europe/Berlin")])
    old_recap(core, engine, "alice", PAST, 1, progress="Counted 3 cells", failures="The stain bleached",
              questions="Which microscope?")
    old_recap(core, engine, "alice", COMING, 2, progress="Counted 40 cells", questions="Spare GPU hours?\n- Who reviews?")
    old_recap(core, engine, "bob", COMING, 1, progress="Read papers", questions="Is 3 seeds enough?")
    team = core.teams.team_for(person("alice").workspace)
    with engine.connect() as conn:  # what the old code showed, read the old way
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


def test_downgrade_to_0006_and_up_again(at_0006, clock):
    engine = at_0006
    upgrade(engine)
    core = Core.build(repository(engine), clock, default_timezone="Europe/Berlin")
    core.teams.configure(person("alice"), [("meeting", "Mon 10:00")])
    core.recaps.submit(person("alice"), RecapDraft(progress="x", plan="y", questions="Which fixative?"))
    from alembic import command

    from bot.store.db import alembic_config, migration_lock

    with migration_lock(engine) as connection:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0006")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT progress FROM recaps")).scalar_one() == "x"
    upgrade(engine)
    assert [h.field for h in core.search.search(person("alice"), "fixative").hits] == ["questions"]

