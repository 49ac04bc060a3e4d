"""Full-text search over a group's recaps, feedback and answered questions: one port, two engines.

SQLite: an FTS5 table per searched table, external-content (the text is stored
once, in the table itself) and kept in step by triggers made in migration 0008,
so every write path (a save, forget-me, retention, a cascade) updates the index
in the same transaction. Stemming with the porter tokenizer.
PostgreSQL: a generated `tsvector` column with a GIN index on each searched
table ('english' configuration); the recap's four fields are weighted A to D so
that one index serves a search restricted to one field.

Neither is in the SQLAlchemy models (a virtual table, a dialect-only column):
`include_object` keeps them out of Alembic's comparison with the models.

Search runs in two steps: the ranked page of hits first (ids and scores only),
then snippets for those ten rows alone, because a snippet costs as much as
reading the whole 3,000-character text again.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from ..core.model import MARK_END, MARK_START, SEARCH_FIELDS, SearchHit as Found, SearchQuery as Terms

ELLIPSIS = "\u2026"

# The searched tables: (table, its text columns). Recaps' columns are the form's fields.
RECAP_FIELDS = SEARCH_FIELDS  # the FTS columns and PostgreSQL weights A to D, in this order
INDEXED: dict[str, tuple[str, ...]] = {
    "recaps": RECAP_FIELDS,
    "recap_feedback": ("text",),
    "group_questions": ("text",),
    "question_answers": ("note",),
}
# PostgreSQL: a query found in more recaps than this ranks the most recent of them only. Ranking
# (and a match that the GIN index cannot settle alone) reads each candidate's whole tsvector
# (about 10 kB for four 3,000-character fields), and "has anyone tried X?" is about specific words.
RANKED_RECAPS = 300
PG_CONFIG = "english"
PG_COLUMN = "search"
_WEIGHTS = "ABCD"


def fts_table(table: str) -> str:
    return f"{table}_fts"


def sqlite_ddl() -> list[str]:
    """The FTS5 tables and the triggers that keep them in step (and a rebuild from existing rows)."""
    out = []
    for table, columns in INDEXED.items():
        fts = fts_table(table)
        cols = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        old = ", ".join(f"old.{c}" for c in columns)
        out += [
            f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', content_rowid='id', "
            "tokenize='porter unicode61 remove_diacritics 2')",
            f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END",
            f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END",
            # Only a change of the text re-indexes (moving recaps to another meeting does not).
            f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {cols} ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
            f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END",
            f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
        ]
    return out


def sqlite_drop() -> list[str]:
    out = []
    for table in INDEXED:
        fts = fts_table(table)
        out += [f"DROP TRIGGER IF EXISTS {fts}_{kind}" for kind in ("ai", "ad", "au")]
        out.append(f"DROP TABLE IF EXISTS {fts}")
    return out


def _pg_vector(table: str) -> str:
    columns = INDEXED[table]
    if len(columns) == 1:
        return f"to_tsvector('{PG_CONFIG}', {columns[0]})"
    return " || ".join(f"setweight(to_tsvector('{PG_CONFIG}', {c}), '{_WEIGHTS[i]}')" for i, c in enumerate(columns))


def postgresql_ddl() -> list[str]:
    out = []
    for table in INDEXED:
        out += [
            f"ALTER TABLE {table} ADD COLUMN {PG_COLUMN} tsvector GENERATED ALWAYS AS ({_pg_vector(table)}) STORED",
            f"CREATE INDEX ix_{table}_{PG_COLUMN} ON {table} USING gin ({PG_COLUMN})",
        ]
    return out


def postgresql_drop() -> list[str]:
    out = []
    for table in INDEXED:
        out += [f"DROP INDEX IF EXISTS ix_{table}_{PG_COLUMN}", f"ALTER TABLE {table} DROP COLUMN IF EXISTS {PG_COLUMN}"]
    return out


_FTS_NAMES = {fts_table(t) for t in INDEXED}


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic: leave the search objects (not in the models on purpose) out of comparisons."""
    if type_ == "table" and name and any(name == n or name.startswith(n + "_") for n in _FTS_NAMES):
        return False
    if type_ == "column" and name == PG_COLUMN and getattr(getattr(obj, "table", None), "name", None) in INDEXED:
        return False
    if type_ == "index" and name and name.endswith(f"_{PG_COLUMN}") and name.removeprefix("ix_").removesuffix(
            f"_{PG_COLUMN}") in INDEXED:
        return False
    return True


# ---------------------------------------------------------------------------- queries
# Which rows of a group each kind may return: a question only once it is answered.
_SCOPE = {
    "recap": "r.team_id = :team",
    "feedback": "r.team_id = :team",
    "question": "q.team_id = :team AND q.closed_at IS NOT NULL",
}
_TABLE = {"recap": "recaps", "feedback": "recap_feedback", "question": "group_questions", "answer": "question_answers"}
# What each kind (as `x`) joins to reach its recap `r` (for the group, the member and the meeting).
_JOINS = {
    "recap": "JOIN recaps r ON r.id = x.id",
    "feedback": "JOIN recaps r ON r.id = x.recap_id",
    "question": "JOIN recaps r ON r.id = x.recap_id",
    "answer": "JOIN group_questions q ON q.id = x.question_id JOIN recaps r ON r.id = q.recap_id",
}


def _filters(kind: str, terms: Terms) -> str:
    sql = _SCOPE["question" if kind in ("question", "answer") else kind]
    if kind == "question":
        sql = sql.replace("q.", "x.")
    if terms.member_id is not None:
        sql += " AND r.member_id = :member"
    if terms.since is not None:
        sql += " AND r.meeting_at >= :since"
    return sql


def _params(team_id: int, terms: Terms) -> dict:
    params: dict = {"team": team_id}
    if terms.member_id is not None:
        params["member"] = terms.member_id
    if terms.since is not None:
        params["since"] = terms.since.astimezone(timezone.utc).replace(tzinfo=None)  # the UTCDateTime convention
    return params


def _aware(moment) -> datetime:
    if isinstance(moment, str):  # SQLite hands raw text to text() queries
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=timezone.utc)


class _Search:
    """The shared shape: a page of (kind, id) hits ranked in one query, then what each hit is
    (one query per kind) and its snippet, for the page's rows only."""

    def _prepare(self, conn: Connection) -> None:
        pass

    def _hits(self, terms: Terms, params: dict) -> list[str]:
        raise NotImplementedError

    def _snippets(self, conn: Connection, kind: str, ids: list[int], columns: Sequence[str],
                  terms: Terms) -> dict[int, tuple[str, str]]:
        """id -> (the column that matched best, its snippet)."""
        raise NotImplementedError

    def search(self, conn: Connection, team_id: int, terms: Terms, limit: int, offset: int) -> list[Found]:
        params = _params(team_id, terms)
        self._prepare(conn)
        sql = " UNION ALL ".join(self._hits(terms, params))
        sql += " ORDER BY score, kind, row_id LIMIT :limit OFFSET :offset"
        hits = [(kind, row_id) for kind, row_id, _score in
                conn.execute(text(sql), {**params, "limit": limit, "offset": offset})]
        ids: dict[str, list[int]] = {}
        for kind, row_id in hits:
            ids.setdefault(kind, []).append(row_id)
        info, snippets = {}, {}
        for kind, rows in ids.items():
            giver = "x.member_id" if kind == "feedback" else "NULL"
            number = "x.number" if kind == "question" else "q.number" if kind == "answer" else "NULL"
            query = text(f"SELECT x.id, r.member_id, r.meeting_at, {giver} AS giver, {number} AS number "
                         f"FROM {_TABLE[kind]} x {_JOINS[kind]} WHERE x.id IN :ids"
                         ).bindparams(bindparam("ids", expanding=True))
            info.update({(kind, row.id): row for row in conn.execute(query, {"ids": rows})})
            columns = (terms.field,) if kind == "recap" and terms.field else INDEXED[_TABLE[kind]]
            snippets.update({(kind, i): v for i, v in self._snippets(conn, kind, rows, columns, terms).items()})
        out = []
        for kind, row_id in hits:
            row = info[(kind, row_id)]
            field, snippet = snippets.get((kind, row_id), ("", ""))
            if kind != "recap":
                field = kind
            out.append(Found("question" if kind == "answer" else kind, row.member_id, _aware(row.meeting_at), field,
                             snippet, giver_id=row.giver, number=row.number))
        return out


class SqliteSearch(_Search):
    """FTS5: MATCH through each external-content index, bm25 ranking, snippet() for the page."""

    @staticmethod
    def match(terms: Terms, column: str | None = None) -> str:
        """An FTS5 query: each group a quoted phrase (quotes doubled), all ANDed; optionally one column."""
        query = " AND ".join('"' + " ".join(group).replace('"', '""') + '"' for group in terms.groups)
        return f"{column} : ({query})" if column else query

    def _hits(self, terms: Terms, params: dict) -> list[str]:
        params["q"] = self.match(terms, terms.field)
        # bm25 over every match is cheap (the FTS index holds what it needs): no cap, unlike PostgreSQL.
        out = [f"SELECT 'recap' AS kind, r.id AS row_id, bm25(recaps_fts) AS score FROM recaps_fts "
               f"JOIN recaps r ON r.id = recaps_fts.rowid WHERE recaps_fts MATCH :q AND {_filters('recap', terms)}"]
        if terms.field is None:  # one field asked for: recaps only
            for kind in ("feedback", "question", "answer"):
                fts = fts_table(_TABLE[kind])
                out.append(f"SELECT '{kind}', x.id, bm25({fts}) FROM {fts} JOIN {_TABLE[kind]} x ON x.id = {fts}.rowid "
                           f"{_JOINS[kind]} WHERE {fts} MATCH :q AND {_filters(kind, terms)}")
        return out

    def _snippets(self, conn: Connection, kind: str, ids: list[int], columns: Sequence[str],
                  terms: Terms) -> dict[int, tuple[str, str]]:
        """A snippet of each column (one seek per row: FTS5 answers `rowid =` directly); the column
        with the most marked matches wins, the form's order breaking ties."""
        fts = fts_table(_TABLE[kind])
        every = INDEXED[_TABLE[kind]]
        calls = ", ".join(f"snippet({fts}, {every.index(c)}, :a, :b, :e, 24)" for c in columns)
        sql = text(f"SELECT {calls} FROM {fts} WHERE {fts} MATCH :q AND rowid = :id")
        out = {}
        for row_id in ids:
            row = conn.execute(sql, {"a": MARK_START, "b": MARK_END, "e": ELLIPSIS, "q": self.match(terms, terms.field),
                                     "id": row_id}).first()
            snippets = list(row) if row is not None else [""] * len(columns)
            counts = [(snippet or "").count(MARK_START) for snippet in snippets]
            best = counts.index(max(counts))
            out[row_id] = (columns[best], snippets[best] or "")
        return out


class PostgresSearch(_Search):
    """tsvector @@ tsquery through the GIN indexes, ts_rank_cd ranking, ts_headline for the page.

    Reading a recap's tsvector (about 10 kB for four 3,000-character fields) is the cost, so the
    recaps are found in two steps: the GIN index alone gives those holding every word (exact for
    plain words: no vector is read), the most recent RANKED_RECAPS of them are checked for a
    phrase or a field and ranked.
    """

    @staticmethod
    def query(terms: Terms, params: dict) -> str:
        """A tsquery from bound words: groups ANDed, a group of several words as a phrase."""
        parts = []
        for i, group in enumerate(terms.groups):
            params[f"w{i}"] = " ".join(group)
            parts.append(f"{'phraseto_tsquery' if len(group) > 1 else 'plainto_tsquery'}('{PG_CONFIG}', :w{i})")
        return "(" + " && ".join(parts) + ")"

    def _prepare(self, conn: Connection) -> None:
        # A common word would make a sequential scan look cheaper, and it reads every vector:
        # the GIN index answers "which recaps hold these words" without reading any.
        conn.execute(text("SET LOCAL enable_seqscan = off"))

    def _hits(self, terms: Terms, params: dict) -> list[str]:
        query = self.query(terms, params)
        params["every_word"] = " ".join(w for group in terms.groups for w in group)
        words = f"plainto_tsquery('{PG_CONFIG}', :every_word)"
        vector = f"x.{PG_COLUMN}"
        if terms.field:
            vector = f"ts_filter(x.{PG_COLUMN}, '{{{_WEIGHTS[RECAP_FIELDS.index(terms.field)].lower()}}}')"
        candidates = (f"SELECT r.id FROM recaps r WHERE r.{PG_COLUMN} @@ {words} AND {_filters('recap', terms)} "
                      "ORDER BY r.meeting_at DESC, r.id DESC LIMIT :cap")
        params["cap"] = RANKED_RECAPS
        out = [f"SELECT 'recap' AS kind, x.id AS row_id, -ts_rank_cd({vector}, {query}) AS score FROM recaps x "
               f"WHERE x.id IN ({candidates}) AND {vector} @@ {query}"]
        if terms.field is None:
            for kind in ("feedback", "question", "answer"):
                out.append(f"SELECT '{kind}', x.id, -ts_rank_cd(x.{PG_COLUMN}, {query}) FROM {_TABLE[kind]} x "
                           f"{_JOINS[kind]} WHERE x.{PG_COLUMN} @@ {query} AND {_filters(kind, terms)}")
        return out

    def _snippets(self, conn: Connection, kind: str, ids: list[int], columns: Sequence[str],
                  terms: Terms) -> dict[int, tuple[str, str]]:
        """One query for the page: the column that matches best (ranked on the stored vector filtered
        to its weight, no text parsed), and one headline of it (a headline parses its whole text)."""
        params: dict = {"ids": ids, "opts": f'StartSel="{MARK_START}", StopSel="{MARK_END}", MaxWords=35, '
                                            "MinWords=15, MaxFragments=0"}
        query = self.query(terms, params)
        every = INDEXED[_TABLE[kind]]
        if len(columns) == 1:
            best = "0"
        else:
            ranks = [f"ts_rank(ts_filter({PG_COLUMN}, '{{{_WEIGHTS[every.index(c)].lower()}}}'), {query})"
                     for c in columns]
            cases = [f"WHEN {ranks[i]} >= greatest({', '.join(ranks[i + 1:])}) THEN {i}" for i in range(len(ranks) - 1)]
            best = f"CASE {' '.join(cases)} ELSE {len(ranks) - 1} END"
        chosen = columns[0] if len(columns) == 1 else \
            "CASE best " + " ".join(f"WHEN {i} THEN {c}" for i, c in enumerate(columns)) + " END"
        sql = text(f"SELECT id, best, ts_headline('{PG_CONFIG}', {chosen}, {query}, :opts) FROM "
                   f"(SELECT id, {', '.join(columns)}, {best} AS best FROM {_TABLE[kind]} WHERE id IN :ids) s"
                   ).bindparams(bindparam("ids", expanding=True))
        return {row_id: (columns[best], headline) for row_id, best, headline in conn.execute(sql, params)}


def engine_for(dialect: str) -> _Search:
    if dialect == "sqlite":
        return SqliteSearch()
    if dialect == "postgresql":
        return PostgresSearch()
    raise NotImplementedError(f"no full-text search on {dialect}")
