"""slack-manifest.yml asks for what the adapter uses: the command, the scopes, the events."""
from __future__ import annotations

from pathlib import Path

from bot.adapters.slack.app import BOT_SCOPES
from bot.adapters.slack.commands import COMMAND

MANIFEST = Path(__file__).resolve().parents[2] / "slack-manifest.yml"


def test_manifest_matches_the_adapter():
    text = MANIFEST.read_text()
    lines = [line.split("#", 1)[0].rstrip() for line in text.splitlines()]
    assert f"    - command: {COMMAND}" in lines
    assert "      should_escape: true" in lines  # channel mentions arrive as <#C123|name>
    scopes = []
    for line in lines[lines.index("    bot:") + 1:]:
        if not line.startswith("      - "):
            break
        scopes.append(line.strip()[2:])
    assert scopes == BOT_SCOPES
    for needed in ("home_tab_enabled: true", "- app_home_opened", "is_enabled: true"):
        assert any(needed in line for line in lines)
