"""Several processes starting together on a fresh database all come up (migrations are locked)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from bot.store.db import alembic_config, make_engine
from tests.conftest import PG_URL, drop_pg_schema, new_pg_schema

PROCESSES = 8
ROOT = Path(__file__).resolve().parents[1]


def upgrade_together(url: str, cwd: Path, n: int = PROCESSES) -> list[subprocess.CompletedProcess]:
    """`recapbot db upgrade` in n processes started at once, as n replicas of a deployment would."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "RECAPBOT_", "DATABASE_"))}
    env.update(DATABASE_URL=url, PYTHONPATH=str(ROOT))
    procs = [subprocess.Popen([sys.executable, "-m", "bot", "db", "upgrade"], cwd=cwd, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(n)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


def assert_at_head(url: str) -> None:
    engine = make_engine(url)
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as conn:
        versions = [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]
    engine.dispose()
    assert versions == [head]


def check(url: str, cwd: Path) -> None:
    results = upgrade_together(url, cwd)
    failures = [r.stderr.strip().splitlines()[-1:] for r in results if r.returncode != 0]
    assert failures == [], failures
    assert all("up to date" in r.stdout for r in results)
    assert_at_head(url)


def test_eight_processes_upgrade_a_fresh_sqlite_file_together(tmp_path):
    check(f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path)


@pytest.mark.skipif(not PG_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")
def test_eight_processes_upgrade_a_fresh_postgresql_schema_together(tmp_path):
    schema, url = new_pg_schema()
    try:
        check(url, tmp_path)
    finally:
        drop_pg_schema(schema)


if __name__ == "__main__":  # repeated runs outside the suite: python -m tests.test_migration_race 10
    import tempfile

    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    for backend in ["sqlite"] + (["postgresql"] if PG_URL else []):
        failed_runs = failed_procs = 0
        for _ in range(runs):
            with tempfile.TemporaryDirectory() as tmp:
                schema = None
                if backend == "sqlite":
                    url = f"sqlite:///{Path(tmp) / 'fresh.db'}"
                else:
                    schema, url = new_pg_schema()
                try:
                    results = upgrade_together(url, Path(tmp))
                    bad = [r for r in results if r.returncode != 0]
                    failed_procs += len(bad)
                    failed_runs += bool(bad)
                    for r in bad[:1]:
                        errors = [line for line in r.stderr.splitlines() if "Error" in line] or ["?"]
                        print(backend, "failure:", errors[-1][:160])
                finally:
                    if schema:
                        drop_pg_schema(schema)
        print(f"{backend}: {failed_runs}/{runs} runs had failures, {failed_procs}/{runs * PROCESSES} processes failed")
