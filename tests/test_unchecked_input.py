"""Input that used to crash the process gets a clear answer instead (issue 8, defect 5),
and anything unexpected becomes one short apology plus a logged traceback."""
import io
import logging
import os
import subprocess
import sys
from datetime import date

import pytest

from bot.adapters.console import ConsoleAdapter
from bot.core import texts
from bot.core.commands import CommandHandler
from bot.core.errors import UserError
from bot.core.service import Core
from bot.core.replies import TextReply
from bot.store.db import make_engine
from bot.store.repo import SqlRepository
from tests.conftest import person, group_of

ALICE = person("Alice")
HUGE = "9" * 5000


@pytest.fixture
def handler(core):
    handler = CommandHandler(core)
    assert handler.handle(ALICE, '/recap setup meeting="Mon 10:00" tz=Europe/Berlin').ok
    return handler


@pytest.mark.parametrize("text, message", [
    (f"/recap history alice {HUGE}", "n must be from 1 to 20"),
    (f"/recap setup every={HUGE}", "every must be from 1 to 8"),
    ("/recap away 1500000w", "at most a year"),
    (f"/recap away {HUGE}d", "at most a year"),
    ("/recap setup digest-lead=99999999999999999999999m", "digest-lead can be at most 6d"),
    (f"/recap setup reminder-lead={HUGE}h", "reminder-lead can be at most 6d"),
    ("/recap setup digest-lead=1500000w", "digest-lead can be at most 6d"),
    ("/recap skip-meeting 9999-12-27", "9999-12-27 is out of range"),
    ("/recap away until 9999-12-31", "out of range"),
    ("/recap setup first=9999-12-27", "out of range"),
    ("/recap setup first=0001-01-01", "out of range"),
    ("/recap " + "x" * 20000, "the limit is 18,000"),
])
def test_numbers_and_dates_out_of_range_get_a_clear_message(handler, core, text, message):
    before = group_of(core, ALICE.workspace)
    reply = handler.handle(ALICE, text)
    assert isinstance(reply, TextReply) and not reply.ok
    assert message in reply.text
    assert len(reply.text) < 1000  # what was typed is not echoed back in full
    assert group_of(core, ALICE.workspace) == before


def test_a_skip_that_cannot_be_completed_writes_nothing(handler, core):
    """The skip row and the move of its recaps happen together or not at all."""
    with pytest.raises(Exception):
        core.skip_meeting(ALICE, date(9999, 12, 27))  # a Monday, past any parser's range
    assert group_of(core, ALICE.workspace).skipped == frozenset()
    assert handler.handle(ALICE, "/recap skip-meeting 2026-11-30").ok


@pytest.fixture
def broken_core(tmp_path, clock):
    """A core whose database has no tables: every query fails for real."""
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    yield Core.build(SqlRepository(engine), clock)
    engine.dispose()


def test_an_unexpected_failure_is_one_short_apology_and_a_logged_traceback(broken_core, caplog):
    handler = CommandHandler(broken_core)
    with caplog.at_level(logging.ERROR):
        reply = handler.handle(ALICE, "/recap status")
        typed = handler.run(ALICE, "away", ["2w", "secret reason"])
    assert reply == TextReply(texts.SOMETHING_WENT_WRONG, ok=False)
    assert typed == TextReply(texts.SOMETHING_WENT_WRONG, ok=False)
    assert "/recap status failed" in caplog.text and "no such table" in caplog.text
    assert "Traceback" in caplog.text and "secret reason" not in caplog.text


async def test_the_console_keeps_running_after_an_unexpected_failure(broken_core, caplog):
    out = io.StringIO()
    console = ConsoleAdapter(broken_core, stdin=io.StringIO(""), stdout=out, user="alice", interactive=False)
    with caplog.at_level(logging.ERROR):
        assert await console.handle_line("/as bob\n") is True  # joining the team fails too
        assert await console.handle_line("/recap status\n") is True
    assert out.getvalue().count(texts.SOMETHING_WENT_WRONG) == 2
    assert "console line failed" in caplog.text


def test_skip_meeting_refusals_are_user_errors(core, handler):
    with pytest.raises(UserError, match="already over"):
        core.skip_meeting(ALICE, date(2026, 11, 16))


# -- through the real process ----------------------------------------------------------
def recapbot(args, cwd, stdin: bytes = b"", **env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "RECAPBOT_", "DATABASE_"))}
    env["LANG"] = env["LC_ALL"] = "C.UTF-8"
    env.update(env_extra)
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True,
                          cwd=cwd, env=env, timeout=30)


# Python decodes stdin with surrogateescape in a C.UTF-8 locale, strictly with PYTHONIOENCODING=utf-8.
@pytest.mark.parametrize("io_env", [{}, {"PYTHONIOENCODING": "utf-8:strict"}])
def test_the_console_survives_invalid_utf8_and_hostile_lines(tmp_path, io_env):
    lines = [
        b"/as alice",
        b'/recap setup meeting="Mon 10:00" tz=Europe/Berlin',
        b"/recap status \xff\xfe broken",
        b"/as \xc3\x28",
        b"/recap away 1500000w",
        b"/recap setup digest-lead=99999999999999999999999m",
        b"/recap history alice " + HUGE.encode(),
        b"/recap skip-meeting 9999-12-27",
        b'/recap setup name="\x1b]0;pwn\x07"',
        b"/recap question \x00",
        b"/recap schedule",
    ]
    result = recapbot(["console"], tmp_path, b"\n".join(lines) + b"\n", **io_env)
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()
    assert out.count("That line was not valid text") == 2
    assert "at most a year" in out and "digest-lead can be at most 6d" in out
    assert "n must be from 1 to 20" in out and "9999-12-27 is out of range" in out
    assert "terminal escape sequence" in out and "NUL character" in out
    assert "\x1b" not in out and "\x00" not in out
    assert "**Research group** meets Mon 10:00 Europe/Berlin" in out  # the last line still ran
    assert "Skipped" not in out


def test_digest_for_a_far_away_meeting_is_a_clear_error(tmp_path):
    recapbot(["console"], tmp_path, b'/as alice\n/recap setup meeting="Mon 10:00" tz=Europe/Berlin\n')
    for args, message in (
        (["digest", "--meeting", "9999-12-27"], "9999-12-27 is out of range"),
        (["digest", "--meeting", "0001-01-01"], "0001-01-01 is out of range"),
        (["digest", "--team", "9" * 30], "no team '9999"),
        (["digest", "--team", HUGE], "the limit is 80"),
        (["digest", "--team", "\x1b[2J"], "terminal escape sequence"),
    ):
        result = recapbot(args, tmp_path)
        err = result.stderr.decode()
        assert result.returncode == 1 and message in err, err
        assert "Traceback" not in err
