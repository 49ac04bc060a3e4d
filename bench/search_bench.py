"""`/recap search` over one group's history: 50 members x 104 meetings on SQLite and PostgreSQL.

5,200 recaps with all four searched fields at 3,000 characters (about 12,000 characters a
recap, 62 MB of text), 1,000 pieces of feedback and 2,000 questions (half answered, with a note).
The text is drawn from a 20,000-word vocabulary with Zipf frequencies (seed fixed), so some words
are in nearly every recap and most in very few. Each query runs through `core.search` (what
`/recap search` calls: the group, the ranked page, snippets, names), in shuffled order; the
figures are the median and p99 per kind of query and over all, and the size of the index.

Run: `.venv/bin/python bench/search_bench.py` (PostgreSQL too when BENCH_DATABASE_URL or
TEST_DATABASE_URL is set; a throw-away schema). Target: p99 <= 50 ms. See bench/README.md.
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select, text  # noqa: E402

from bot.core.model import Actor, Workspace  # noqa: E402
from bot.core.service import Core  # noqa: E402
from bot.store import tables as t  # noqa: E402
from bot.store.db import make_engine, upgrade  # noqa: E402
from bot.store.repo import SqlRepository  # noqa: E402

MEMBERS, MEETINGS, FIELD_CHARS = 50, 104, 3000
VOCABULARY = 20_000
RUNS_PER_QUERY = 12
NOW = datetime(2026, 11, 18, 12, 0, tzinfo=timezone.utc)
SYLLABLES = ["ka", "lo", "mi", "ren", "tus", "bar", "vel", "qui", "dor", "pha", "ne", "sto", "gri", "lum", "zer",
             "cap", "ti", "mon", "dra", "sil", "ox", "pel", "ur", "fen"]


class Clock:
    def now(self) -> datetime:
        return NOW


def vocabulary(rng: random.Random) -> list[str]:
    words: list[str] = []
    seen = set()
    while len(words) < VOCABULARY:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def field(rng: random.Random, words: list[str], weights: list[float]) -> str:
    out, size = [], 0
    while size < FIELD_CHARS - 40:
        chunk = rng.choices(words, cum_weights=weights, k=40)
        out.extend(chunk)
        size += sum(len(w) + 1 for w in chunk)
    body = " ".join(out)[:FIELD_CHARS]
    return body[:body.rfind(" ")]


def actor(i: int) -> Actor:
    return Actor(Workspace("console", "bench"), f"u{i}", f"member{i:02d}", is_admin=True)


def populate(core: Core, repo: SqlRepository, rng: random.Random, words: list[str]) -> None:
    weights, total = [], 0.0
    for rank in range(1, len(words) + 1):
        total += 1 / rank ** 1.07
        weights.append(total)
    team = core.teams.configure(actor(0), [("meeting", "Mon 10:00"), ("tz", "Europe/Berlin")])
    members = [core.teams.member_for(actor(i), team) for i in range(MEMBERS)]
    last = datetime(2026, 11, 16, 9, tzinfo=timezone.utc)
    recaps = []
    for k in range(MEETINGS):
        at = last - timedelta(weeks=k)
        for m in members:
            progress, failures, questions, plan = (field(rng, words, weights) for _ in range(4))
            recaps.append(dict(team_id=team.id, member_id=m.id, meeting_at=at, question="Q", question_changed=False,
                               progress=progress, failures=failures, questions=questions, plan=plan,
                               figuring_it_out=False, late=False, streak=1, submitted_at=at, updated_at=at))
    with repo.engine.begin() as conn:
        for start in range(0, len(recaps), 500):
            conn.execute(insert(t.recaps), recaps[start:start + 500])
        ids = conn.execute(select(t.recaps.c.id, t.recaps.c.member_id)).all()
        picked = rng.sample(ids, 2000)
        short = [" ".join(rng.choices(words, cum_weights=weights, k=12)) for _ in range(3000)]
        conn.execute(insert(t.group_questions), [
            dict(team_id=team.id, recap_id=rid, number=n, position=0, text=short[n] + "?", created_at=NOW,
                 closed_at=NOW if n % 2 else None) for n, (rid, _) in enumerate(picked, 1)])
        closed = conn.execute(select(t.group_questions.c.id).where(t.group_questions.c.closed_at.is_not(None))).scalars()
        conn.execute(insert(t.question_answers), [
            dict(question_id=qid, member_id=members[qid % MEMBERS].id, note=short[-qid % 3000], answered_at=NOW)
            for qid in closed])
        conn.execute(insert(t.recap_feedback), [
            dict(recap_id=rid, member_id=members[(mid + 1) % MEMBERS].id,
                 text=" ".join(rng.choices(words, cum_weights=weights, k=60)), given_at=NOW)
            for rid, mid in rng.sample(ids, 1000)])


def queries(words: list[str]) -> dict[str, list[str]]:
    """Kinds of query, by how many recaps hold the words (the vocabulary is ranked by frequency)."""
    common, medium, rare = words[2:8], words[300:306], words[19000:19006]
    return {
        "rare word": rare,
        "medium word": medium,
        "common word": common,
        "two words": [f"{a} {b}" for a, b in zip(medium, rare)],
        "phrase": [f'"{a} {b}"' for a, b in zip(common, common[1:])],
        "--member": [f"{w} --member member07" for w in medium],
        "--field": [f"{w} --field failures" for w in medium],
        "--since": [f"{w} --since 2026-06-01" for w in common[:3] + medium[:3]],
    }


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def index_size(engine) -> tuple[str, float]:
    """(what the index takes on disk, M characters of recap text it indexes)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            fts = conn.execute(text("SELECT sum(pgsize) FROM dbstat WHERE name LIKE '%\\_fts%' ESCAPE '\\'")).scalar()
            size = f"FTS5 tables {fts / 1e6:.1f} MB"
        else:
            gin = conn.execute(text(
                "SELECT sum(pg_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relname LIKE 'ix\\_%\\_search'")).scalar()
            vectors = sum(conn.execute(text(f"SELECT coalesce(sum(pg_column_size(search)), 0) FROM {table}")).scalar()
                          for table in ("recaps", "recap_feedback", "group_questions", "question_answers"))
            size = f"GIN indexes {float(gin) / 1e6:.1f} MB + tsvector columns {float(vectors) / 1e6:.1f} MB"
        chars = conn.execute(text("SELECT sum(length(progress) + length(failures) + length(questions) + length(plan)) "
                                  "FROM recaps")).scalar()
    return size, float(chars) / 1e6


def run(url: str, label: str) -> bool:
    rng = random.Random(10)
    words = vocabulary(rng)
    engine = make_engine(url)
    upgrade(engine)
    repo = SqlRepository(engine)
    core = Core.build(repo, Clock(), default_timezone="Europe/Berlin")
    start = time.perf_counter()
    populate(core, repo, rng, words)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    load = time.perf_counter() - start
    kinds = queries(words)
    plan = [(kind, q) for kind, qs in kinds.items() for q in qs for _ in range(RUNS_PER_QUERY)]
    rng.shuffle(plan)
    for kind, q in plan[:20]:  # warm the caches, as a running bot's would be
        core.search.search(actor(1), q)
    samples: dict[str, list[float]] = {kind: [] for kind in kinds}
    hits: dict[str, list[int]] = {kind: [] for kind in kinds}
    for kind, q in plan:
        began = time.perf_counter()
        results = core.search.search(actor(1), q)
        samples[kind].append((time.perf_counter() - began) * 1000)
        hits[kind].append(len(results.hits))
    every = [s for values in samples.values() for s in values]
    size, chars = index_size(engine)
    print(f"\n{label}: {MEMBERS * MEETINGS:,} recaps ({chars:.1f} M characters searched), loaded in {load:.0f} s; "
          f"{size}")
    print(f"  {'query':<12} {'median':>8} {'p99':>8}  results on the page")
    for kind in kinds:
        print(f"  {kind:<12} {statistics.median(samples[kind]):6.1f} ms {percentile(samples[kind], 99):6.1f} ms"
              f"  {min(hits[kind])}-{max(hits[kind])}")
    p99 = percentile(every, 99)
    print(f"  {'all':<12} {statistics.median(every):6.1f} ms {p99:6.1f} ms  ({len(every)} searches)")
    engine.dispose()
    return p99 <= 50


def pg_url():
    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not base:
        return None, None
    schema = "bench_" + uuid.uuid4().hex[:10]
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop():
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}", drop


def main() -> int:
    ok = True
    with tempfile.TemporaryDirectory() as d:
        ok &= run(f"sqlite:///{Path(d) / 'search.db'}", "SQLite (FTS5)")
    url, drop = pg_url()
    if url:
        try:
            ok &= run(url, "PostgreSQL (tsvector + GIN)")
        finally:
            drop()
    else:
        print("\nPostgreSQL skipped: set BENCH_DATABASE_URL or TEST_DATABASE_URL")
    print("\ntarget (p99 <= 50 ms on each backend):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
