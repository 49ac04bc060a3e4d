"""Fuzz the real console process with hostile commands, on a SQLite file and on PostgreSQL.

Generates command lines from a corpus of hostile fragments (NUL, terminal escapes, invisible
characters, invalid UTF-8 bytes, 5,000-digit numbers, far dates, mentions, quotes) mixed with
random bytes, pipes them in batches through `python -m bot console`, and counts:
- processes that did not exit 0 or printed a traceback (crashes),
- lines answered with the guard's "Something went wrong" (an unexpected error swallowed),
- stored texts that break the store's rules afterwards (control characters, over a limit,
  admins that are not member ids), checked with the same rules as tests/test_properties.py.

Usage: .venv/bin/python bench/fuzz_console.py [lines]   (default 5,000 per backend; seed fixed)
PostgreSQL runs when TEST_DATABASE_URL or BENCH_DATABASE_URL is set (a throw-away schema).
"""
from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bot.core.commands import BY_NAME  # noqa: E402
from bot.core.teams import SETUP_KEYS  # noqa: E402
from bot.core.texts import SOMETHING_WENT_WRONG  # noqa: E402
from bot.store.db import make_engine  # noqa: E402
from tests.test_properties import HOSTILE, assert_store_clean  # noqa: E402

BATCH = 500
SEED = 8


def fragment(rng: random.Random) -> bytes:
    pick = rng.random()
    if pick < 0.6:
        return rng.choice(HOSTILE).encode("utf-8", "surrogatepass")
    if pick < 0.8:
        return str(rng.randrange(10 ** rng.randrange(1, 30))).encode() + rng.choice([b"", b"w", b"d", b"h", b"m"])
    if pick < 0.82:  # invalid UTF-8 now and then (the whole line is refused, so not too often)
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 8))).replace(b"\n", b" ")
    return "".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(rng.randrange(1, 10))).encode("utf-8", "replace")


def word(rng: random.Random) -> bytes:
    body = b"".join(fragment(rng) for _ in range(rng.randrange(1, 3))).replace(b"\n", b" ").replace(b"\r", b" ")
    kind = rng.random()
    if kind < 0.3:
        return rng.choice(list(SETUP_KEYS)).encode() + b"=" + body
    if kind < 0.4:
        return rng.choice([b"--progress=", b"--question=", b"--questions=", b"--figuring-it-out="]) + body
    if kind < 0.55:
        return b'"' + body.replace(b'"', b"") + b'"'
    return body


TEMPLATES = [
    '/recap submit --progress "{v}"', '/recap submit --questions "{v}" --failures "{v}"', "/recap question {v}",
    "/recap away 2w {v}", "/recap away until {v}", '/recap setup name="{v}"', '/recap setup north-star="{v}"',
    "/recap setup channel={v}", "/recap setup admins={v}", "/recap timezone {v}", "/recap history {v}",
    "/recap skip-meeting {v}", "/recap setup digest-lead={v}", "/recap setup every={v}", '/recap setup meeting="{v}"',
    "/recap setup first={v}", "/recap submit --progress ok --figuring-it-out={v}", "/as {v}", "/recap history lead {v}",
]
PLAIN = ["alice", "Carol", "lead", "results look good", "2026-11-30", "2026-12-07", "Mon 10:00", "3", "2h",
         "Europe/Berlin", "#lab", "U0CAROL", "why?", "true", "no"]


def near_valid(rng: random.Random) -> bytes:
    """A well-formed command whose value is plausible, with a hostile piece now and then."""
    value = rng.choice(PLAIN).encode()
    if rng.random() < 0.5:
        piece = fragment(rng).replace(b'"', b"")
        at = rng.randrange(len(value) + 1)
        value = value[:at] + piece + value[at:]
    return rng.choice(TEMPLATES).encode().replace(b"{v}", value.replace(b"\n", b" ").replace(b"\r", b" "))


def line(rng: random.Random) -> bytes:
    roll = rng.random()
    if roll < 0.4:
        return near_valid(rng)
    roll = rng.random()
    if roll < 0.08:
        return b"/as " + word(rng)
    if roll < 0.12:
        return b"".join(fragment(rng) for _ in range(rng.randrange(1, 5))).replace(b"\n", b" ")
    name = rng.choice([*BY_NAME, "submit", "setup", "setup", "away", "history", "frobnicate"]).encode()
    words = b" ".join(word(rng) for _ in range(rng.randrange(0, 5)))
    out = b"/recap " + name + (b" " + words if words else b"")
    if out.split(b" ", 1)[0].lower() in (b"/quit", b"/exit"):
        return b"/recap help"
    return out


def run_backend(label: str, url: str, lines: int, workdir: Path) -> dict:
    rng = random.Random(SEED)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "RECAPBOT_", "DATABASE_"))}
    env.update(DATABASE_URL=url, LANG="C.UTF-8", LC_ALL="C.UTF-8", PYTHONPATH=str(ROOT))
    setup = b'/as lead\n/recap setup meeting="Mon 10:00" tz=Europe/Berlin\n'
    crashes, apologies, sent, started = 0, 0, 0, time.monotonic()
    while sent < lines:
        batch = [line(rng) for _ in range(min(BATCH, lines - sent))]
        stdin = setup + b"\n".join(batch) + b"\n/recap help\n"
        result = subprocess.run([sys.executable, "-m", "bot", "console"], input=stdin, capture_output=True,
                                cwd=workdir, env=env, timeout=600)
        out, err = result.stdout.decode("utf-8", "replace"), result.stderr.decode("utf-8", "replace")
        if result.returncode != 0 or "Traceback" in err or "keeps the group up to date" not in out:
            crashes += 1
            print(f"  {label}: batch ending at {sent + len(batch)} failed (rc {result.returncode}):\n{err[-2000:]}")
        apologies += out.count(SOMETHING_WENT_WRONG)
        sent += len(batch)
    engine = make_engine(url)
    try:
        assert_store_clean(engine)
        store = "clean"
    except AssertionError as exc:
        store = f"NOT clean: {exc}"
    engine.dispose()
    return dict(backend=label, lines=sent, crashes=crashes, apologies=apologies, store=store,
                seconds=round(time.monotonic() - started, 1))


def pg_url() -> tuple[str, callable] | None:
    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not base:
        return None
    schema = "fuzz_" + uuid.uuid4().hex[:10]
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}", drop


def main() -> int:
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results.append(run_backend("sqlite", f"sqlite:///{Path(tmp) / 'fuzz.db'}", lines, Path(tmp)))
        pg = pg_url()
        if pg is None:
            print("PostgreSQL fuzz skipped: set TEST_DATABASE_URL or BENCH_DATABASE_URL")
        else:
            url, drop = pg
            try:
                results.append(run_backend("postgresql", url, lines, Path(tmp)))
            finally:
                drop()
    ok = True
    for r in results:
        print(f"{r['backend']}: {r['lines']:,} lines in {r['seconds']} s; crashed batches {r['crashes']}; "
              f"unexpected errors {r['apologies']}; store {r['store']}")
        ok &= r["crashes"] == 0 and r["apologies"] == 0 and r["store"] == "clean"
    print("target met: no crash, no unexpected error, store clean" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
