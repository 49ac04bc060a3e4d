"""Every text that reaches the store passes one validation (issue 8, defect 7), on SQLite
and PostgreSQL alike: a NUL used to crash PostgreSQL with DataError."""
import io

import pytest

from bot.adapters.console import ConsoleAdapter
from bot.core.commands import CommandHandler, parse_submit_flags
from bot.core.errors import FieldErrors, UserError
from bot.core.model import MAX_NAME_CHARS, Actor, RecapDraft
from tests.conftest import person, group_of

ALICE = person("Alice")
ESCAPE = "\x1b]0;pwn\x07"


@pytest.fixture
def handler(core):
    handler = CommandHandler(core)
    assert handler.handle(ALICE, '/recap setup meeting="Mon 10:00" tz=Europe/Berlin').ok
    return handler


@pytest.mark.parametrize("key, value, message", [
    ("name", ESCAPE, "terminal escape sequence"),
    ("name", "lab\x00", "NUL character"),
    ("name", "x" * 81, "the limit is 80"),
    ("north-star", "why?\x00", "NUL character"),
    ("north-star", "\x1b[31mred", "terminal escape sequence"),
    ("north-star", "x" * 3001, "the limit is 3,000"),
    ("channel", "#lab\x00", "NUL character"),
    ("channel", "\x9b2J", "terminal escape sequence"),
    ("channel", "c" * 121, "the limit is 120"),
    ("admins", "alice\x00", "NUL character"),
    ("admins", ",".join(["alice"] * 300), "the limit is 1,000"),
    ("tz", "Europe/Berlin\x00", "NUL character"),
    ("name", "evil\u202egnp.exe", "control character (U+202E)"),
    ("name", "two\nlines", "must be on one line"),
])
def test_setup_values_are_validated_on_every_backend(core, handler, key, value, message):
    before = group_of(core, ALICE.workspace)
    with pytest.raises(UserError) as exc:
        core.teams.configure(ALICE, [(key, value)])
    assert message in exc.value.message and "Nothing was saved" in exc.value.message
    assert group_of(core, ALICE.workspace) == before


def test_recap_fields_question_reason_and_timezone_refuse_nul(core, handler):
    with pytest.raises(FieldErrors) as exc:
        core.recaps.submit(ALICE, RecapDraft(progress="ok", questions="a\x00b"))
    assert "NUL" in exc.value.errors["questions"]
    for call in (lambda: core.recaps.set_question(ALICE, "why\x00"),
                 lambda: core.recaps.away(ALICE, ["2w", "conf\x00"]),
                 lambda: core.teams.set_member_timezone(ALICE, "Europe/Berlin\x00")):
        with pytest.raises(UserError, match="NUL"):
            call()
    reply = handler.handle(ALICE, "/recap away 2w \x1b[2Jconference")
    assert not reply.ok and "terminal escape sequence" in reply.text


def test_multiline_fields_keep_newlines_and_tabs_and_single_line_ones_do_not(core, handler):
    result = core.recaps.submit(ALICE, RecapDraft(progress="one\r\n\ttwo", questions="a\rb"))
    assert (result.recap.progress, result.recap.questions) == ("one\n\ttwo", "a\nb")
    with pytest.raises(UserError, match="control character"):
        core.recaps.away(ALICE, ["2w", "tab\there"])


@pytest.mark.parametrize("invisible", ["\u200b\u200b", " \u200d\ufeff ", "\u2060", "\u3164", "\n\t\u00a0"])
def test_a_recap_of_only_invisible_characters_counts_as_empty(core, handler, invisible):
    with pytest.raises(FieldErrors) as exc:
        core.recaps.submit(ALICE, RecapDraft(progress=invisible, failures=invisible, questions=invisible))
    assert "Bring something" in exc.value.message
    assert core.recaps.submit(ALICE, RecapDraft(progress="\u200bthat is real")).recap.progress == "\u200bthat is real"


def test_platform_display_names_are_cleaned_not_refused(core, handler):
    eve = Actor(ALICE.workspace, "U0EVE", "\x1b]0;pwn\x07Eve\x00 \u202e" + "e" * 200)
    member = core.teams.member_for(eve)
    assert member.display_name.startswith("]0;pwn Eve ") and len(member.display_name) == MAX_NAME_CHARS
    assert not any(c in member.display_name for c in "\x1b\x07\x00\u202e")
    blank = core.teams.member_for(Actor(ALICE.workspace, "U0BLANK", "\u200b\u200b"))
    assert blank.display_name == "U0BLANK"
    odd_zone = core.teams.member_for(Actor(ALICE.workspace, "U0TZ", "Tz", timezone="Europe/Berlin\x00" + "x" * 500))
    assert odd_zone.timezone is None


async def test_console_as_names_are_validated(core, handler, repo):
    out = io.StringIO()
    console = ConsoleAdapter(core, stdin=io.StringIO(""), stdout=out, user="alice", interactive=True)
    await console.handle_line(f"/as {ESCAPE}\n")
    await console.handle_line("/as " + "\u00df" * 50 + "\n")  # casefolds to 100 characters: too long for an id
    assert "terminal escape sequence" in out.getvalue() and "at most 80 characters" in out.getvalue()
    assert console.user == "alice"
    assert {m.user_ref for m in repo.list_members(group_of(core, ALICE.workspace).id)} == {"alice"}


@pytest.mark.parametrize("flag, expected", [
    ("--figuring-it-out", True), ("--figuring-it-out=true", True), ("--figuring-it-out=YES", True),
    ("--figuring-it-out=1", True), ("--figuring-it-out=false", False), ("--figuring-it-out=no", False),
    ("--figuring-it-out=0", False), ("--figuring-it-out=False", False),
])
def test_figuring_it_out_takes_a_yes_or_no(flag, expected):
    assert parse_submit_flags(["--progress", "p", flag]).figuring_it_out is expected


def test_figuring_it_out_with_another_value_is_a_clear_error(handler):
    reply = handler.handle(ALICE, "/recap submit --figuring-it-out=maybe")
    assert not reply.ok and "--figuring-it-out=false" in reply.text
    assert handler.handle(ALICE, "/recap submit --figuring-it-out=false").text.startswith("Bring something")


def test_clean_text_rules():
    from bot.core.validation import clean_text, is_blank, tidy_name

    assert clean_text("  caf\u00e9 \U0001F9EA  ", "f", 10) == "caf\u00e9 \U0001F9EA"
    assert clean_text("\u200b \u200b", "f", 10) == ""
    assert clean_text(None, "f", 10) == ""
    for bad, words in (("a\x00", "NUL"), ("\x1bc", "escape"), ("a\ud800", "not valid text"),
                       ("a\x7f", r"U\+007F"), ("a\u2066b", r"U\+2066")):
        with pytest.raises(UserError, match=words):
            clean_text(bad, "f", 10, multiline=True)
    assert is_blank("\u115f\u2800 \u034f") and not is_blank("\u200ba")
    assert tidy_name("\x00\x1b", "U1", 80) == "U1" and tidy_name("a\nb", "U1", 80) == "a b"
