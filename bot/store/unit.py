"""Units of work: one connection (and one transaction) for everything one use case does.

A recap submission used to check a connection out of the pool for each repository
call (about seven, each pinged first) and commit after each write. Inside `run`,
every repository and file-store call on the same engine in this thread (a context
variable: `asyncio.to_thread` gives each call its own copy) reuses one connection,
and the writes commit together at the end, or not at all.

Disconnects: instead of pinging every connection at checkout (`pool_pre_ping`), a
unit whose connection turns out to be dead is run once more from the start on a
fresh one. That is safe because nothing commits before the unit's end: the failed
attempt's writes died with its transaction. A failure of the COMMIT itself is never
retried (the commit may have happened). The caller keeps other side effects out of
the unit (the core holds its events until the unit is over: core/unit.py).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)
T = TypeVar("T")

# engine -> the connection of the unit running in this context (empty: none)
_current: ContextVar[dict[Engine, Connection]] = ContextVar("recapbot_unit", default={})


def current(engine: Engine) -> Connection | None:
    return _current.get().get(engine)


def run(engine: Engine, work: Callable[[], T]) -> T:
    """`work()` as one unit: one connection and transaction, committed when it returns and
    rolled back if it raises. Inside another unit on the same engine it simply joins it.
    A connection found dead before the commit gets the whole unit run once more."""
    if current(engine) is not None:
        return work()
    for attempt in (1, 2):
        conn = engine.connect()
        token = _current.set({**_current.get(), engine: conn})
        try:
            result = work()
        except BaseException:
            _current.reset(token)
            dead = conn.invalidated
            _close(conn, rollback=not dead)
            if dead and attempt == 1:
                log.warning("database connection lost during a unit of work: running it again")
                continue
            raise
        _current.reset(token)
        try:
            conn.commit()
        finally:
            conn.close()
        return result
    raise AssertionError("unreachable")


def _close(conn: Connection, rollback: bool) -> None:
    try:
        if rollback and conn.in_transaction():
            conn.rollback()
    finally:
        conn.close()


@contextmanager
def connect(engine: Engine) -> Iterator[Connection]:
    """A connection to read with: the unit's, else one of its own."""
    conn = current(engine)
    if conn is not None:
        yield conn
        return
    with engine.connect() as conn:
        yield conn


@contextmanager
def begin(engine: Engine, savepoint: bool = False) -> Iterator[Connection]:
    """A connection in a transaction to write with: the unit's (committed with it), else a
    transaction of its own. `savepoint`: the caller catches an error of this block (an
    IntegrityError on a unique key) and goes on, so inside a unit the block gets a
    SAVEPOINT (PostgreSQL aborts the whole transaction on an error otherwise)."""
    conn = current(engine)
    if conn is None:
        with engine.begin() as conn:
            yield conn
    elif savepoint:
        with conn.begin_nested():
            yield conn
    else:
        yield conn
