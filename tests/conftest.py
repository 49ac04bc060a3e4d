"""Shared fixtures: real databases (SQLite file and, with TEST_DATABASE_URL, PostgreSQL),
a fake clock, the core wired to them, and no network beyond loopback."""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bot.adapters.slack import tables as slack_tables
from bot.app import repository
from bot.core.model import Actor, Workspace
from bot.core.service import Core
from bot.render.deck import EXPORTERS
from bot.store import tables
from bot.store.files import DbFileStore
from bot.store.db import make_engine, upgrade

PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def pytest_configure(config):
    if os.environ.get("CI") and not PG_URL:
        raise pytest.UsageError("CI must set TEST_DATABASE_URL so the suite also runs on PostgreSQL")


# -- no network -------------------------------------------------------------------
_real_connect = socket.socket.connect


def _loopback_only(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and (host.startswith("127.") or host in ("::1", "localhost") or host.startswith("/")):
        return _real_connect(self, address)
    if self.family == socket.AF_UNIX:
        return _real_connect(self, address)
    raise RuntimeError(f"tests must not reach the network (tried {address!r})")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


# -- clock --------------------------------------------------------------------------
class FakeClock:
    """A clock the test moves by hand; nothing ever sleeps."""

    def __init__(self, start: datetime):
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment.astimezone(timezone.utc)

    def advance(self, **kwargs) -> None:
        self._now += timedelta(**kwargs)


@pytest.fixture
def clock() -> FakeClock:
    # Wednesday 2026-11-18 12:00 UTC
    return FakeClock(datetime(2026, 11, 18, 12, 0, tzinfo=timezone.utc))


# -- databases ------------------------------------------------------------------------
def pg_url_with_schema(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


def new_pg_schema() -> tuple[str, str]:
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return schema, pg_url_with_schema(schema)


def drop_pg_schema(schema: str) -> None:
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@contextlib.contextmanager
def migrated_engine(backend: str, tmp_path):
    """A new database at head on `backend` (an SQLite file in tmp_path, or a PostgreSQL schema of
    its own), removed afterwards: the migration tests fill it, then take it back and forth."""
    schema = None
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    else:
        schema, url = new_pg_schema()
        engine = make_engine(url)
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        if schema:
            drop_pg_schema(schema)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_schema_url():
    if not PG_URL:
        yield None
        return
    schema, url = new_pg_schema()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    drop_pg_schema(schema)


def _truncate(engine) -> None:
    """Empty every table. TRUNCATE needs an exclusive lock, and PostgreSQL's autovacuum
    (which takes a weaker one on the same tables) can make it a deadlock victim: try again."""
    names = ", ".join(t.name for m in (tables.metadata, slack_tables.metadata) for t in m.sorted_tables)
    for attempt in range(5):
        try:
            with engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return
        except OperationalError:
            if attempt == 4:
                raise


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path, sqlite_template, pg_schema_url):
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "recapbot.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
    else:
        engine = make_engine(pg_schema_url)
        _truncate(engine)
        engine.dispose()
        yield pg_schema_url


@pytest.fixture
def sqlite_url(tmp_path, sqlite_template):
    path = tmp_path / "recapbot.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def repo(engine):
    return repository(engine)  # as the app builds it


@pytest.fixture
def core(repo, clock, engine):
    return Core.build(repo, clock, default_timezone="Europe/Berlin", files=DbFileStore(engine), exporters=EXPORTERS)


CONSOLE = Workspace("console", "local")


def person(name: str, workspace: Workspace | str = CONSOLE, admin: bool = True) -> Actor:
    """Someone using the bot; `workspace` may be given as its key, e.g. "slack:T1"."""
    if isinstance(workspace, str):
        workspace = Workspace.parse(workspace)
    return Actor(workspace=workspace, user_ref=name.lower(), display_name=name, is_admin=admin)


def group_of(source, workspace: Workspace | str = CONSOLE):
    """The workspace's first group, or None (tests of one-group workspaces); `source` is the
    core or the repository."""
    if isinstance(workspace, str):
        workspace = Workspace.parse(workspace)
    groups = source.groups.in_workspace(workspace) if hasattr(source, "groups") else source.workspace_teams(workspace)
    return groups[0] if groups else None


def join(core, *actors: Actor) -> None:
    """Membership is explicit: these people join the group each of them means."""
    for actor in actors:
        core.teams.member_for(actor)


def downgrade(engine, revision: str) -> None:
    """Take a database back to an older schema (to test an upgrade from it with real rows)."""
    from alembic import command

    from bot.store.db import alembic_config, migration_lock

    with migration_lock(engine) as connection:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)


def submit_as(core, actor: Actor, draft):
    """A recap by someone who joins the group first (setting up a test's data)."""
    core.teams.member_for(actor)
    return core.recaps.submit(actor, draft)
