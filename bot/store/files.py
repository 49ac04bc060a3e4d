"""The database file store: figure bytes as blobs (PostgreSQL bytea, SQLite BLOB).

It implements the core's FileStore port. Each blob's row hangs off its figure's
row (ON DELETE CASCADE), so deleting a recap, forget-me and retention take the
bytes with them; `delete` is there for stores that need it (a bucket). Inside the
core's unit of work it writes on the unit's connection, with the figure's row.
"""
from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from ..core.model import Figure
from . import tables as t
from . import unit


class DbFileStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def put(self, figure: Figure, data: bytes) -> None:
        with unit.begin(self.engine) as conn:
            conn.execute(delete(t.figure_files).where(t.figure_files.c.figure_id == figure.id))
            conn.execute(insert(t.figure_files).values(figure_id=figure.id, data=data))

    def get(self, figure: Figure) -> bytes | None:
        with unit.connect(self.engine) as conn:
            data = conn.execute(select(t.figure_files.c.data).where(t.figure_files.c.figure_id == figure.id)).scalar()
        return bytes(data) if data is not None else None

    def delete(self, figure: Figure) -> None:
        with unit.begin(self.engine) as conn:
            conn.execute(delete(t.figure_files).where(t.figure_files.c.figure_id == figure.id))
