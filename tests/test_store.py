"""Migrations from empty on each backend, agreement with the models, and store details."""
from datetime import datetime, timezone
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text

from bot.adapters.slack import tables as slack_tables
from bot.core.model import Workspace
from bot.store import tables
from bot.store.db import make_engine, upgrade
from bot.store.repo import SqlRepository
from bot.store.search import include_object
from tests.conftest import BACKENDS, CONSOLE, drop_pg_schema, group_of, new_pg_schema

SLACK_T1 = Workspace("slack", "T1")

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(params=BACKENDS)
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
    else:
        schema, url = new_pg_schema()
        yield url
        drop_pg_schema(schema)


def test_migrations_from_empty_match_the_models(empty_url):
    engine = make_engine(empty_url)
    upgrade(engine)
    upgrade(engine)  # idempotent: a second start changes nothing
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
        assert compare_metadata(ctx, [tables.metadata, slack_tables.metadata]) == []
        names = set(inspect(conn).get_table_names())
    assert {"teams", "members", "recaps", "member_questions", "away_periods", "digest_posts",
            "reminder_sends", "skipped_meetings", "alembic_version", "slack_bots", "slack_installations"} <= names
    engine.dispose()


def test_constraints_are_named_by_the_convention(empty_url):
    engine = make_engine(empty_url)
    upgrade(engine)
    uniques = {u["name"] for u in inspect(engine).get_unique_constraints("recaps")}
    assert "uq_recaps_member_id_meeting_at" in uniques
    engine.dispose()


def test_sqlite_file_uses_wal_and_foreign_keys(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_datetimes_round_trip_as_aware_utc(repo):
    team = repo.create_team(CONSOLE, "Lab", "Europe/Berlin", NOW)
    member = repo.create_member(team.id, "alice", "alice", None, NOW)
    assert member.joined_at == NOW and member.joined_at.tzinfo is not None


def test_concurrent_first_use_creates_one_team_and_one_member(engine):
    repo = SqlRepository(engine)

    def join(_):
        team = group_of(repo, SLACK_T1) or repo.create_team(SLACK_T1, "Lab", "UTC", NOW) or group_of(repo, SLACK_T1)
        return repo.create_member(team.id, "U1", "alice", None, NOW).id

    with ThreadPoolExecutor(4) as pool:
        ids = set(pool.map(join, range(8)))
    assert len(ids) == 1
    assert len(repo.list_teams()) == 1


def test_a_workspace_is_stored_as_the_same_key_as_before(engine, repo):
    """Databases written before the Workspace type keep working: the column still holds "slack:T1"."""
    with engine.begin() as conn:
        conn.execute(tables.teams.insert().values(workspace="discord:900", name="Old", timezone="UTC",
                                                  created_at=NOW, updated_at=NOW))
    old = group_of(repo, Workspace("discord", "900"))
    assert old is not None and old.workspace == Workspace("discord", "900") and old.workspace.platform == "discord"
    repo.create_team(SLACK_T1, "Lab", "UTC", NOW)
    with engine.connect() as conn:
        keys = conn.execute(select(tables.teams.c.workspace).order_by(tables.teams.c.id)).scalars().all()
    assert keys == ["discord:900", "slack:T1"]
    with pytest.raises(ValueError):
        Workspace.parse("no-platform")
