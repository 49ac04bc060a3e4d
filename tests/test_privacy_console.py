"""Export and forget-me on the console, and `recapbot export` / `recapbot forget` for operators."""
import asyncio
import io
import json
import stat

import pytest

from bot.adapters.console import ConsoleAdapter
from tests.conftest import CONSOLE, group_of
from tests.test_console import recapbot

ALICE_SUBMITS = "/as alice\n/recap setup meeting=\"Mon 10:00\"\n/recap submit --progress \"Counted cells\"\n"


def run(core, lines: str, tmp_path, user: str = "alice") -> str:
    out = io.StringIO()
    console = ConsoleAdapter(core, stdin=io.StringIO(lines), stdout=out, user=user, interactive=False,
                             export_dir=tmp_path / "exports")
    asyncio.run(console.run())
    return out.getvalue()


def test_export_writes_two_private_files_and_says_where(core, tmp_path):
    out = run(core, ALICE_SUBMITS + "/recap export\n", tmp_path)
    files = sorted((tmp_path / "exports").iterdir())
    assert [f.suffix for f in files] == [".json", ".md"]
    for path in files:
        assert f"  {path}" in out
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    document = json.loads(files[0].read_text())
    assert document["records"]["recaps"][0]["progress"] == "Counted cells"
    assert "progress: Counted cells" in files[1].read_text()


def test_forget_me_asks_and_only_yes_deletes(core, repo, tmp_path):
    run(core, ALICE_SUBMITS, tmp_path)
    team = group_of(core, CONSOLE)
    out = run(core, "/recap forget-me\nno\n", tmp_path)
    assert "Delete everything recapbot stores about you" in out and "Type yes to go ahead" in out
    assert out.rstrip().endswith("Nothing was deleted.")
    assert repo.get_member(team.id, "alice") is not None
    out = run(core, "/recap forget-me\nyes\n", tmp_path)
    assert "Done: deleted 1 membership and 1 recap." in out
    assert repo.get_member(team.id, "alice") is None
    assert repo.user_records(CONSOLE, "alice") == {}


def test_recapbot_export_and_forget_for_operators(tmp_path):
    lines = ALICE_SUBMITS + "/as bob\n/recap submit --progress \"Wrote a loader\"\n"
    assert recapbot(["console"], tmp_path, lines).returncode == 0
    out = tmp_path / "exports"
    result = recapbot(["export", "--workspace", "console:local", "--out", str(out)], tmp_path)
    assert result.returncode == 0, result.stderr
    paths = result.stdout.split()
    assert sorted(p.rsplit(".", 1)[1] for p in paths) == ["json", "md"]
    document = json.loads(next(p for p in out.iterdir() if p.suffix == ".json").read_text())
    assert [m["user"] for m in document["members"]] == ["alice", "bob"]

    unknown = recapbot(["export", "--workspace", "slack:T0NOPE"], tmp_path)
    assert unknown.returncode == 1 and "No team in workspace 'slack:T0NOPE'" in unknown.stderr
    assert "Workspaces: console:local." in unknown.stderr

    unsure = recapbot(["forget", "--workspace", "console:local", "--user", "alice"], tmp_path)
    assert unsure.returncode == 2 and "--yes" in unsure.stderr  # no terminal to confirm on
    done = recapbot(["forget", "--workspace", "console:local", "--user", "alice", "--yes"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Deleted 1 membership and 1 recap ") and "of alice in console:local" in done.stdout
    again = recapbot(["forget", "--workspace", "console:local", "--user", "alice", "--yes"], tmp_path)
    assert again.returncode == 1 and "nothing stored about 'alice'" in again.stderr
    digest = recapbot(["digest"], tmp_path)
    assert "Wrote a loader" in digest.stdout and "Counted cells" not in digest.stdout


@pytest.fixture(autouse=True)
def _here(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # a stray export would land here, not in the checkout
