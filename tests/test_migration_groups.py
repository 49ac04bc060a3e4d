"""Migration 0007 (groups) on a database in use at 0006: every team becomes a group, nothing moves.

The rows are written as 0006 stored them (plain inserts into the 0006 schema,
reflected from the database), then the schema is upgraded and every digest,
history and streak is read through today's core: exactly what those rows meant.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import MetaData, select, text

from bot.core import texts
from bot.core.commands import CommandHandler
from bot.core.model import Actor, RecapDraft, Workspace
from bot.core.service import Core
from bot.store.db import make_engine, upgrade
from bot.store.repo import SqlRepository
from tests.conftest import BACKENDS, drop_pg_schema, new_pg_schema

UTC = timezone.utc
WS = Workspace("slack", "T0LAB")
CREATED = datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
NOV2, NOV9, NOV16, NOV23 = (datetime(2026, 11, d, 9, 0) for d in (2, 9, 16, 23))  # Mon 10:00 Berlin, naive UTC


def naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None)


@pytest.fixture(params=BACKENDS)
def at_0006(request, tmp_path):
    if request.param == "sqlite":
        engine, schema = make_engine(f"sqlite:///{tmp_path / 'old.db'}"), None
    else:
        schema, url = new_pg_schema()
        engine = make_engine(url)
    upgrade(engine, "0006")
    yield engine
    engine.dispose()
    if schema:
        drop_pg_schema(schema)


def populate_0006(engine) -> dict[str, list[dict]]:
    """A team as 0006 kept it: three members, three meetings of recaps, a question that changed,
    an away period, a skipped meeting, the digest ledger, a reminder sent and a digest's parts."""
    meta = MetaData()
    meta.reflect(engine)
    t = meta.tables
    created = naive(CREATED)
    recap = dict(late=False, figuring_it_out=False, failures="", questions="", submitted_at=created,
                 updated_at=created)
    with engine.begin() as conn:
        conn.execute(t["teams"].insert(), [dict(
            id=1, workspace=WS.key, name="Cell lab", timezone="Europe/Berlin", channel="C0LAB", meeting_weekday=0,
            meeting_time="10:00", every_weeks=1, anchor_date=date(2026, 11, 2), digest_lead_minutes=120,
            reminder_lead_minutes=1440, north_star="How do cells decide?", admins="U0ALICE",
            created_at=created, updated_at=created)])
        conn.execute(t["members"].insert(), [
            dict(id=1, team_id=1, user_ref="U0ALICE", display_name="Alice", timezone="Europe/Berlin", joined_at=created),
            dict(id=2, team_id=1, user_ref="U0BOB", display_name="Bob", timezone=None, joined_at=created),
            dict(id=3, team_id=1, user_ref="U0CAROL", display_name="Carol", timezone="America/New_York",
                 joined_at=created)])
        conn.execute(t["member_questions"].insert(), [
            dict(id=1, member_id=1, text="Can cells count?", set_at=datetime(2026, 10, 30, 9)),
            dict(id=2, member_id=1, text="How do cells count?", set_at=datetime(2026, 11, 12, 9))])
        conn.execute(t["recaps"].insert(), [
            dict(recap, id=1, team_id=1, member_id=1, meeting_at=NOV2, question="Can cells count?",
                 question_changed=False, progress="qPCR baseline", questions="Spare pipettes?", streak=1),
            dict(recap, id=2, team_id=1, member_id=2, meeting_at=NOV2, question="", question_changed=False,
                 progress="gels", streak=1),
            dict(recap, id=3, team_id=1, member_id=1, meeting_at=NOV9, question="Can cells count?",
                 question_changed=False, progress="replicates", failures="contamination", streak=2),
            dict(recap, id=4, team_id=1, member_id=3, meeting_at=NOV9, question="", question_changed=False,
                 progress="imaging", streak=1),
            dict(recap, id=5, team_id=1, member_id=1, meeting_at=NOV16, question="How do cells count?",
                 question_changed=True, progress="model fits", streak=3),
            dict(recap, id=6, team_id=1, member_id=2, meeting_at=NOV16, question="", question_changed=False,
                 progress="blots", late=True, streak=1)])
        conn.execute(t["away_periods"].insert(), [dict(id=1, member_id=3, start_date=date(2026, 11, 14),
                                                       end_date=date(2026, 11, 25), reason="conference",
                                                       created_at=created)])
        conn.execute(t["skipped_meetings"].insert(), [dict(id=1, team_id=1, meeting_date=date(2026, 11, 30),
                                                           created_at=created)])
        conn.execute(t["digest_posts"].insert(), [
            dict(id=n, team_id=1, meeting_at=m, status="posted", claimed_by="old", claimed_at=m, posted_at=m,
                 posted_late=False, channel="C0LAB", message_refs=f"C0LAB:17000000{n}.000100")
            for n, m in ((1, NOV2), (2, NOV9), (3, NOV16))])
        conn.execute(t["reminder_sends"].insert(), [dict(id=1, member_id=2, meeting_at=NOV16, sent_at=NOV16)])
        conn.execute(t["message_parts"].insert(), [dict(id=1, post_key="digest:1:x", part=0, ref="C0LAB:1.0",
                                                        team_id=1, member_id=None, posted_at=NOV16)])
        if engine.dialect.name == "postgresql":  # rows inserted with their ids: move the sequences past them
            for name in ("teams", "members", "member_questions", "recaps", "away_periods", "skipped_meetings",
                         "digest_posts", "reminder_sends", "message_parts"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                  f"(SELECT max(id) FROM {name}))"))
    return snapshot(engine, meta)


def snapshot(engine, meta: MetaData | None = None) -> dict[str, list[dict]]:
    if meta is None:
        meta = MetaData()
        meta.reflect(engine)
    with engine.connect() as conn:
        return {name: [dict(row) for row in conn.execute(select(table).order_by(*table.primary_key.columns))
                       .mappings()]
                for name, table in meta.tables.items() if name != "alembic_version"}


def test_every_team_becomes_a_group_and_reads_exactly_as_before(at_0006, clock):
    before = populate_0006(at_0006)
    upgrade(at_0006)

    # Every row is still there, unchanged; the new columns are empty (a member, not one who left).
    after = snapshot(at_0006)
    for name, rows in before.items():
        assert len(after[name]) == len(rows) and [{k: r[k] for k in old} for r, old in zip(after[name], rows)] == rows, name
    assert all(r["left_at"] is None for r in after["members"]) and after["teams"][0]["member_role"] is None

    core = Core.build(SqlRepository(at_0006), clock)  # Wed 18 Nov 2026, 12:00 UTC
    [lab] = core.groups.in_workspace(WS)
    assert (lab.id, lab.name, lab.channel, lab.north_star, lab.admins) == (
        1, "Cell lab", "C0LAB", "How do cells decide?", ("U0ALICE",))
    assert lab.skipped == frozenset({date(2026, 11, 30)})

    def digest(meeting: datetime):
        d = core.digests.build(lab, meeting.replace(tzinfo=UTC))
        return ([(e.member.display_name, e.recap.progress, e.recap.streak, e.recap.late) for e in d.entries],
                list(d.missing), [(a.name, str(a.until), a.reason) for a in d.away], list(d.streaks),
                (d.submitted, d.expected), [(a.asker, a.text) for a in d.agenda])

    assert digest(NOV2) == ([("Alice", "qPCR baseline", 1, False), ("Bob", "gels", 1, False)], ["Carol"], [],
                            [("Alice", 1), ("Bob", 1), ("Carol", 0)], (2, 3), [("Alice", "Spare pipettes?")])
    assert digest(NOV9) == ([("Alice", "replicates", 2, False), ("Carol", "imaging", 1, False)], ["Bob"], [],
                            [("Alice", 2), ("Carol", 1), ("Bob", 0)], (2, 3), [])
    assert digest(NOV16) == ([("Alice", "model fits", 3, False), ("Bob", "blots", 1, True)], [],
                             [("Carol", "2026-11-25", "conference")], [("Alice", 3), ("Bob", 1)], (2, 2), [])
    # The coming meeting: nobody has written; streaks carry, Carol is away.
    assert digest(NOV23) == ([], ["Alice", "Bob"], [("Carol", "2026-11-25", "conference")],
                             [("Alice", 3), ("Bob", 1)], (0, 2), [])

    alice = Actor(WS, "U0ALICE", "Alice", timezone="Europe/Berlin")
    history = core.recaps.history(alice, None, 5)
    assert [(r.progress, r.question_changed) for r in history.recaps] == [
        ("model fits", True), ("replicates", False), ("qPCR baseline", False)]
    assert [q.text for q in history.questions] == ["How do cells count?", "Can cells count?"]
    assert "**History of Alice** (last 3 recaps)" in texts.history(history, ZoneInfo("Europe/Berlin"))
    [page] = core.overviews(alice)
    assert (page.team_name, page.question, page.streak, page.submitted) == ("Cell lab", "How do cells count?", 3, False)

    # Everyone is a member of the group the team became: they carry on where they were.
    reply = CommandHandler(core).handle(Actor(WS, "U0BOB", "Bob", channel="C0LAB"), "/recap status")
    assert reply.ok and "**Submitted (0 of 2):** nobody yet" in reply.text
    result = core.recaps.submit(alice, RecapDraft(progress="new week"))
    assert result.recap.meeting_at == NOV23.replace(tzinfo=UTC) and result.recap.streak == 4
