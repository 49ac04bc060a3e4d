"""Engine creation and schema upgrades (Alembic), shared by the CLI and tests."""
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError

# pg_advisory_lock(class, object): the class is fixed ("rcap"), the object is the schema,
# so that separate schemas on one server (tests, staging) do not wait for each other.
_PG_LOCK = "1919115632, hashtext(coalesce(current_schema(), ''))"


def make_engine(url: str) -> Engine:
    """An engine tuned per backend: SQLite gets WAL, foreign keys and a busy timeout.

    hide_parameters: a database error's text (and so a logged traceback) shows
    the statement but not the values, which are often what people wrote.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and "uri" not in parsed.query:
            create_private_file(Path(parsed.database))
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            if parsed.database and parsed.database != ":memory:":
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "savepoint")
        def _begin_before_savepoint(conn, _name):  # pragma: no cover - trivial
            # pysqlite BEGINs only before INSERT/UPDATE/DELETE; a SAVEPOINT issued first would
            # open the transaction itself, and its RELEASE would commit everything so far.
            dbapi = conn.connection.dbapi_connection
            if not dbapi.in_transaction:
                dbapi.execute("BEGIN")

        return engine
    # No pool_pre_ping (a round trip at every checkout): a unit of work that meets a dead
    # connection runs again on a fresh one (store/unit.py), and a connection idle for a
    # while is pinged before reuse, which also covers calls made outside a unit.
    engine = create_engine(url, hide_parameters=True)
    ping_idle_connections(engine)
    return engine


IDLE_PING_SECONDS = 30.0


def ping_idle_connections(engine: Engine, idle: float = IDLE_PING_SECONDS) -> None:
    """Ping a pooled connection at checkout only if it sat unused for `idle` seconds: those
    are the ones a database restart or an idle-session timeout may have closed. A busy pool
    never pays the round trip."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn, record):
        record.info["idle_from"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn, record, _proxy):
        since = record.info.get("idle_from")
        if since is None or time.monotonic() - since < idle:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error:
            alive = False
        if not alive:
            raise DisconnectionError("an idle pooled connection was closed")  # the pool connects anew


def create_private_file(path: Path) -> None:
    """Create the SQLite file readable by its owner only (0600), and missing folders 0700.

    The file holds tokens and everyone's recaps. SQLite gives its -wal and -shm
    files the mode of the main file, so creating that one first is enough. An
    existing file or folder keeps the mode it has.
    """
    if path.exists():
        return
    missing = []
    folder = path.absolute().parent
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def migrations_dir() -> Path:
    """Where the Alembic scripts live: next to the package, or in the working directory."""
    candidates = [
        os.environ.get("RECAPBOT_MIGRATIONS", ""),
        str(Path(__file__).resolve().parents[2] / "migrations"),
        str(Path.cwd() / "migrations"),
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "env.py").is_file():
            return Path(candidate)
    raise FileNotFoundError("cannot find the migrations/ folder (set RECAPBOT_MIGRATIONS)")


def alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema to `revision` (idempotent).

    Several processes starting together on a fresh database would each see no
    schema and create it (SQLite "table already exists", PostgreSQL
    UniqueViolation), so the upgrade runs under a lock: the first migrates, the
    others wait, then find the schema at `revision` and do nothing.
    """
    from alembic import command

    with migration_lock(engine) as connection:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


@contextmanager
def migration_lock(engine: Engine) -> Iterator[Connection]:
    """A connection that holds the database's migration lock until the block ends.

    PostgreSQL: a session advisory lock, held by the very connection Alembic
    migrates on (released when it closes, even if the process dies). SQLite: an
    exclusive flock on `<database>.migrate.lock` beside the file, taken before
    connecting and released by the kernel if the process dies.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text(f"SELECT pg_advisory_lock({_PG_LOCK})"))
            connection.commit()  # Alembic must begin (and commit) its own transaction
            try:
                yield connection
            finally:
                try:
                    connection.rollback()
                    connection.execute(text(f"SELECT pg_advisory_unlock({_PG_LOCK})"))
                    connection.commit()
                except DBAPIError:  # the session is gone, and its lock with it
                    connection.invalidate()
        return
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    with _file_lock(database), engine.connect() as connection:
        yield connection


@contextmanager
def _file_lock(database: str | None) -> Iterator[None]:
    if not database or database == ":memory:" or database.startswith("file:"):
        yield  # nothing on disk to share
        return
    import fcntl

    fd = os.open(f"{database}.migrate.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # blocks until the process migrating now is done
        yield
    finally:
        os.close(fd)  # closing releases the lock
