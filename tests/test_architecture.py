"""The architecture's seams, checked on the source: who may import and touch what."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAT_SDKS = ("slack_bolt", "slack_sdk", "discord")


def sources(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def imported_bot_modules(path: Path) -> set[str]:
    """Our own modules a file imports, relative imports resolved ("...store.tables" -> "bot.store.tables")."""
    package = path.relative_to(ROOT).with_suffix("").parts[:-1]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - node.level + 1]
            names.add(".".join([*base, *([node.module] if node.module else [])]))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot"):
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names if alias.name.startswith("bot"))
    return names


def top_level(names: set[str]) -> set[str]:
    return {name.split(".")[0] for name in names}


@pytest.mark.parametrize("path", sources("bot/core"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_core_imports_no_chat_sdk_and_no_database_library(path):
    assert top_level(imported_modules(path)) & {*CHAT_SDKS, "sqlalchemy", "alembic"} == set()


@pytest.mark.parametrize("path", sources("bot/store", "bot/scheduling"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_store_and_the_scheduler_import_no_chat_sdk(path):
    """Slack's installation tables belong to the Slack adapter, not to the store."""
    assert top_level(imported_modules(path)) & set(CHAT_SDKS) == set()


def test_nothing_outside_the_core_touches_its_repository():
    """Adapters, the scheduler, the CLI, tests and benchmarks go through core methods."""
    offenders = []
    for path in sources("bot", "tests", "bench"):
        if path.is_relative_to(ROOT / "bot" / "core"):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Attribute) and node.attr in ("repo", "_repo"):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


@pytest.mark.parametrize("path", sources("bot/adapters", "bot/web"), ids=lambda p: str(p.relative_to(ROOT)))
def test_adapters_reach_the_database_only_through_the_core(path):
    """An adapter translates and calls the core; it never imports the store (composition in app.py does)."""
    assert {m for m in imported_bot_modules(path) if m == "bot.store" or m.startswith("bot.store.")} == set()
