"""Migration 0010 (stored streaks) on a database in use, with real rows, on both backends.

The rows are written by today's code over four weeks, then the schema is taken back to 0008
(dropping members.streak and streak_meeting_at) and upgraded again: the backfill must give
every digest and page the streaks they showed before."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from bot.app import repository
from bot.core.model import RecapDraft
from bot.core.service import Core
from bot.store.db import upgrade
from tests.conftest import BACKENDS, downgrade, group_of, migrated_engine, person, submit_as

UTC = timezone.utc
WED = datetime(2026, 11, 18, 12, tzinfo=UTC)  # the meetings are Mondays 10:00 Berlin


@pytest.fixture(params=BACKENDS)
def engine(request, tmp_path):
    with migrated_engine(request.param, tmp_path) as engine:
        yield engine


def shown(core, team) -> tuple[dict[str, int], list[tuple[str, int]]]:
    """The coming digest's streaks, and each person's own page streak."""
    digest = dict(core.upcoming_digest(team).streaks)
    pages = [(name, core.overviews(person(name))[0].streak) for name in ("alice", "bob", "carol", "dave")]
    return digest, pages


def test_the_backfill_gives_the_streaks_shown_before(engine, clock):
    core = Core.build(repository(engine), clock, default_timezone="Europe/Berlin")
    core.teams.setup(person("alice"), [("meeting", "Mon 10:00"), ("tz", "Europe/Berlin")])
    weeks = {"alice": {0, 1, 2, 3}, "bob": {0, 2, 3}, "carol": {0, 1}, "dave": set()}
    core.teams.member_for(person("dave"))
    for week in range(4):
        clock.set(WED + timedelta(weeks=week))
        for name, written in weeks.items():
            if week in written:
                submit_as(core, person(name), RecapDraft(progress=f"week {week}"))
        if week == 1:
            core.recaps.away(person("carol"), ["until", (WED + timedelta(weeks=4)).date().isoformat()])
    clock.set(WED + timedelta(weeks=4))  # the coming meeting: nobody has written yet
    team = group_of(core)
    before = shown(core, team)
    # alice wrote every week; bob missed one; carol was away since (her streak waits); dave never wrote
    assert before == ({"alice": 4, "bob": 2, "carol": 2, "dave": 0},
                      [("alice", 4), ("bob", 2), ("carol", 2), ("dave", 0)])

    downgrade(engine, "0008")  # the database as it was before stored streaks, with these rows
    with engine.connect() as conn:
        assert "streak" not in {c["name"] for c in sa.inspect(conn).get_columns("members")}
    upgrade(engine)

    assert shown(core, team) == before
    with engine.connect() as conn:  # each member's stored number is their latest recap's
        stored = dict(conn.execute(sa.text("SELECT user_ref, streak FROM members")).all())
    assert stored == {"alice": 4, "bob": 2, "carol": 2, "dave": 0}
    # And today's code goes on from there.
    assert core.recaps.submit(person("bob"), RecapDraft(progress="week 4")).recap.streak == 3
    assert dict(core.upcoming_digest(team).streaks)["bob"] == 3
