"""End to end: `recapbot` as a process, commands piped through standard input."""
import os
import socket
import subprocess
import sys
import textwrap

import pytest

EXAMPLE = textwrap.dedent("""\
    /as alice
    /recap setup meeting="Mon 10:00" tz=Europe/Berlin
    /recap submit --question "Can small models learn to plan?" --progress "Reproduced the baseline" --failures "Curriculum learning diverged" --questions "Is 3 seeds enough?"
    /as bob
    /recap submit --progress "Wrote the data loader" --questions "Who has spare GPU hours?"
    /as carol
    /recap away 2w conference
    /as dave
    /recap status
    /recap digest
    """)


def clean_env() -> dict:
    """No tokens or settings from the caller; `recapbot run`'s health server on a free loopback port."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "RECAPBOT_", "DATABASE_"))}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        env.update(RECAPBOT_HTTP_HOST="127.0.0.1", RECAPBOT_HTTP_PORT=str(probe.getsockname()[1]))
    return env


def recapbot(args, cwd, stdin="", env_extra=None):
    env = clean_env()
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
        cwd=cwd, env=env, timeout=60,
    )


def test_the_readme_example_prints_a_complete_digest(tmp_path):
    result = recapbot(["console"], tmp_path, EXAMPLE)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    digest = out[out.index("# Research group: meeting"):]
    alice = digest[digest.index("## alice"):digest.index("## bob")]
    assert alice.index("Can small models learn to plan?") < alice.index("Reproduced the baseline")
    assert "**What didn't work:** Curriculum learning diverged" in alice
    agenda = digest[digest.index("## Questions for the meeting"):]
    assert "Is 3 seeds enough? (alice)" in agenda and "Who has spare GPU hours? (bob)" in agenda
    assert "Away: carol" in digest and "Not yet submitted: dave" in digest
    status = out[out.index("**Next meeting:**"):out.index("# Research group")]
    assert "**Submitted (2 of 3):** alice, bob" in status and "**Not yet submitted:** dave" in status
    assert (tmp_path / "recapbot.db").exists()


def test_state_survives_a_restart_and_digest_command_prints_it(tmp_path):
    recapbot(["console"], tmp_path, EXAMPLE)
    result = recapbot(["digest"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Research group: meeting Mon")
    assert "Is 3 seeds enough? (alice)" in result.stdout
    bad = recapbot(["digest", "--meeting", "2026-02-30"], tmp_path)
    assert bad.returncode == 1 and "Unknown date '2026-02-30'" in bad.stderr
    nobody = recapbot(["digest", "--team", "nope"], tmp_path)
    assert nobody.returncode == 1 and "no team 'nope'" in nobody.stderr


@pytest.mark.parametrize(
    "line, message",
    [
        ("/recap frobnicate", "Error: Unknown command 'frobnicate'"),
        ('/recap setup tz=Mars/Base', "Error: Unknown timezone 'Mars/Base'"),
        ("/recap setup every=0", "Error: every must be from 1 to 8"),
        ("/recap away until 2026-99-01", "Error: Unknown date '2026-99-01'"),
        ('/recap submit --progress "unclosed', "Error: A quote is not closed"),
        ("/recap submit --mood happy", "Error: Unknown option '--mood'"),
        ("/recap submit", "Error: the form needs a terminal"),
        ("hello", "Unknown command 'hello'. Commands start with /recap"),
    ],
)
def test_bad_input_gets_a_clear_message(tmp_path, line, message):
    setup = '/as alice\n/recap setup meeting="Mon 10:00" tz=Europe/Berlin\n'
    result = recapbot(["console"], tmp_path, setup + line + "\n/recap status\n")
    assert result.returncode == 0, result.stderr
    assert message in result.stdout
    assert "**Submitted (0 of 1):** nobody yet" in result.stdout


def test_over_long_field_is_refused_and_nothing_is_stored(tmp_path):
    script = '/as alice\n/recap setup meeting="Mon 10:00"\n' f'/recap submit --progress "{"x" * 3001}"\n/recap status\n'
    result = recapbot(["console"], tmp_path, script)
    assert "3,001 characters; the limit is 3,000" in result.stdout
    assert "**Submitted (0 of 1):** nobody yet" in result.stdout


def test_bad_setting_stops_start_up_with_one_line_and_exit_2(tmp_path):
    result = recapbot(["console"], tmp_path, "", {"RECAPBOT_TIMEZONE": "Mars/Base"})
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "RECAPBOT_TIMEZONE" in result.stderr
    result = recapbot(["run"], tmp_path, "", {"DATABASE_URL": "not a url"})
    assert result.returncode == 2 and "DATABASE_URL" in result.stderr


def test_run_without_tokens_starts_the_console(tmp_path):
    result = recapbot(["run"], tmp_path, "/recap help\n")
    assert result.returncode == 0, result.stderr
    assert "/recap away until YYYY-MM-DD" in result.stdout


def test_db_upgrade_command(tmp_path):
    result = recapbot(["db", "upgrade"], tmp_path)
    assert result.returncode == 0 and "up to date" in result.stdout


def test_sigterm_stops_a_console_waiting_for_input(tmp_path):
    env = clean_env()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env)
    proc.stdin.write("/recap help\n")
    proc.stdin.flush()
    assert "keeps the group up to date" in proc.stdout.readline()  # it is up and answering
    proc.terminate()  # stdin stays open: the read is blocked
    assert proc.wait(timeout=20) == 0


def test_quit_ends_the_console_while_input_is_still_open(tmp_path):
    """/quit, not the end of input, stops it: stdin stays open, and what follows /quit is never run."""
    env = clean_env()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "console"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env)
    proc.stdin.write("/as alice\n/recap help\n/quit\n/recap setup meeting=\"Mon 10:00\"\n")
    proc.stdin.flush()
    try:
        assert proc.wait(timeout=30) == 0
        out = proc.stdout.read()
    finally:
        proc.kill()
        proc.stdin.close()
    assert "/recap away until YYYY-MM-DD" in out  # the command before /quit ran
    assert "Saved." not in out  # the one after it did not
    later = recapbot(["console"], tmp_path, "/recap status\n")
    assert "no recap group" in later.stdout  # nothing after /quit reached the database
