"""Property-based tests (Hypothesis): whatever anyone types, the bot answers and the store stays clean.

Each property drives the real core on SQLite and PostgreSQL and then reads every stored text
back: no control characters, no NUL, no lone surrogates, nothing over its limit, and admins
only as user ids of members. The database keeps what earlier examples stored, as a long
session would. RECAPBOT_FUZZ_EXAMPLES raises the number of examples for a longer run.
"""
from __future__ import annotations

import os
import shlex
import unicodedata
from typing import get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.core import texts
from bot.core.commands import BY_NAME, CommandHandler
from bot.core.errors import UserError
from bot.core.model import (
    MAX_FIELD_CHARS, MAX_MILESTONE_CHARS, MAX_NAME_CHARS, MAX_REASON_CHARS, Actor, RecapDraft, Workspace,
)
from bot.core.replies import Reply, TextReply
from bot.core.teams import SETUP_KEYS
from bot.store import tables as t
from tests.conftest import group_of

EXAMPLES = int(os.environ.get("RECAPBOT_FUZZ_EXAMPLES", "150"))
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# -- what people (and attackers) type ----------------------------------------------------
HOSTILE = [
    "\x00", "\x1b]0;pwn\x07", "\x1b[2J", "\x9b31m", "\x7f", "\u200b", "\u200b\u200d\ufeff", "\u202e", "\u2066",
    "\ud800", "\udcff", "\n", "\r\n", "\t", " ", '"', "'", "\\", "=", ",", "@", "<@U0CAROL>", "<@!123>",
    "9" * 5000, "99999999999999999999999", "1500000w", "9999-12-27", "0001-01-01", "2026-11-30", "2026-12-07",
    "Europe/Berlin", "Mars/Base", "../../etc/passwd", "Mon 10:00", "Fri 25:99", "2h", "6d", "90m", "0",
    "carol", "Carol", "alice", "U0CAROL", "\u00df" * 41, "x" * 81, "x" * 3001, "\U0001F9EA", "\u0130",
    "--progress", "--question", "--figuring-it-out", "--figuring-it-out=false", "--figuring-it-out=maybe",
    "--plan", "--done", "--done=1", "#1", "add", "done", "drop", "by", "2027-01-15", "--member", "--field",
    "--since", "plan", '"exact phrase"', "*", "NEAR", "OR", "AND", "NOT", "(", ")", "{progress}", ":", "^",
]
chars = st.characters(exclude_categories=())  # every code point, surrogates and controls included
fragment = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(chars, max_size=12),
    st.from_regex(r"[0-9]{1,25}[wdhm]?", fullmatch=True),
)
word = st.lists(fragment, min_size=1, max_size=3).map("".join)
setup_pair = st.tuples(st.sampled_from([*SETUP_KEYS, "timezone", "colour", ""]), word)
flag = st.tuples(st.sampled_from(["--question", "--progress", "--failures", "--questions", "--figuring-it-out",
                                  "--plan", "--done", "--member", "--field", "--since", "--page"]),
                 word).map(lambda fv: f"{fv[0]}={fv[1]}")
arg = st.one_of(word, setup_pair.map(lambda kv: f"{kv[0]}={kv[1]}"), flag)


@st.composite
def command_text(draw) -> str:
    if draw(st.integers(0, 4)) == 0:
        return draw(st.text(chars, max_size=200))
    name = draw(st.sampled_from([*BY_NAME, "", "--progress", "frobnicate", "SETUP", "skip-meeting"]))
    args = draw(st.lists(arg, max_size=5))
    quote = draw(st.booleans())
    parts = [shlex.quote(a) if quote else a for a in args]
    prefix = draw(st.sampled_from(["/recap ", "", "/RECAP  "]))
    return prefix + " ".join([name, *parts])


actors = st.builds(
    Actor,
    workspace=st.sampled_from([Workspace("console", "local"), Workspace("slack", "T1")]),
    user_ref=st.sampled_from(["alice", "bob", "U0CAROL", "U0MAL", "123456789012345678"]),
    display_name=st.one_of(st.sampled_from(["Alice", "carol", "Carol", "U0CAROL", ""]), st.text(chars, max_size=120)),
    timezone=st.one_of(st.none(), st.sampled_from(["Europe/Berlin", "America/New_York"]), st.text(chars, max_size=80)),
    is_admin=st.booleans(),
)

# -- what must hold in the store afterwards -----------------------------------------------
SINGLE_LINE = {
    (t.teams, "name"): MAX_NAME_CHARS, (t.teams, "channel"): 120, (t.teams, "timezone"): 64,
    (t.members, "display_name"): MAX_NAME_CHARS, (t.members, "user_ref"): 120, (t.members, "timezone"): 64,
    (t.away_periods, "reason"): MAX_REASON_CHARS, (t.milestones, "title"): MAX_MILESTONE_CHARS,
    (t.question_answers, "note"): MAX_FIELD_CHARS,
}
MULTILINE = {
    (t.teams, "north_star"): MAX_FIELD_CHARS, (t.member_questions, "text"): MAX_FIELD_CHARS,
    **{(t.recaps, c): MAX_FIELD_CHARS for c in ("question", "progress", "failures", "questions", "plan")},
    (t.recap_feedback, "text"): MAX_FIELD_CHARS, (t.group_questions, "text"): MAX_FIELD_CHARS,  # a line, tabs kept
}
BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def bad_char(text: str, multiline: bool) -> str | None:
    for c in text:
        if multiline and c in "\n\t":
            continue
        if unicodedata.category(c) in ("Cc", "Cs") or c in BIDI:
            return c
    return None


def assert_store_clean(engine) -> None:
    with engine.connect() as conn:
        for columns, multiline in ((SINGLE_LINE, False), (MULTILINE, True)):
            for (table, column), limit in columns.items():
                for (value,) in conn.execute(select(table.c[column])):
                    if value is None:
                        continue
                    assert len(value) <= limit, (table.name, column, len(value))
                    assert bad_char(value, multiline) is None, (table.name, column, value)
        for row in conn.execute(select(t.teams.c.id, t.teams.c.name, t.teams.c.admins)):
            assert row.name.strip()
            refs = set(conn.execute(select(t.members.c.user_ref).where(t.members.c.team_id == row.id)).scalars())
            admins = [a for a in row.admins.split(",") if a]
            assert set(admins) <= refs, (admins, refs)  # never a name nobody has, never a stranger


def assert_answered(reply) -> None:
    assert isinstance(reply, get_args(Reply)), reply
    if isinstance(reply, TextReply):
        assert reply.text and reply.text != texts.SOMETHING_WENT_WRONG, reply.text
        reply.text.encode("utf-8")  # printable on any UTF-8 terminal: no lone surrogates echoed
        assert bad_char(reply.text, multiline=True) is None, reply.text  # nothing typed is echoed raw


@pytest.fixture
def handler(core):
    handler = CommandHandler(core)
    for workspace in (Workspace("console", "local"), Workspace("slack", "T1")):
        lead = Actor(workspace, "lead", "Lead", is_admin=True)
        assert handler.handle(lead, '/recap setup meeting="Mon 10:00" tz=Europe/Berlin').ok
    return handler


# -- the properties --------------------------------------------------------------------------
@PROPERTY
@given(actor=actors, text=command_text())
def test_any_command_from_anyone_gets_an_answer_and_stores_nothing_invalid(handler, engine, actor, text):
    assert_answered(handler.handle(actor, text))
    assert_store_clean(engine)


@PROPERTY
@given(actor=actors, name=st.sampled_from([*BY_NAME, "nope"]), words=st.lists(word, max_size=4),
       rest=st.one_of(st.none(), st.text(chars, max_size=300)))
def test_typed_options_as_discord_sends_them(handler, engine, actor, name, words, rest):
    assert_answered(handler.run(actor, name, words, rest))
    assert_store_clean(engine)


@PROPERTY
@given(actor=actors, pairs=st.lists(setup_pair, min_size=1, max_size=4))
def test_any_setup_values_are_saved_clean_or_refused_whole(core, handler, engine, actor, pairs):
    before = group_of(core, actor.workspace)
    try:
        core.teams.configure(actor, pairs)
    except UserError as exc:
        assert exc.message
        after = group_of(core, actor.workspace)
        assert (after.name, after.channel, after.north_star, after.admins, after.schedule, after.timezone) == \
            (before.name, before.channel, before.north_star, before.admins, before.schedule, before.timezone)
    assert_store_clean(engine)


long_text = st.one_of(st.text(chars, max_size=60), word,
                      st.text(st.sampled_from("ab \n\t\u200b"), min_size=2990, max_size=3010))


@PROPERTY
@given(actor=actors, question=long_text, progress=long_text, failures=long_text, questions=long_text,
       figuring=st.booleans(), plan=long_text)
def test_any_form_draft_is_stored_clean_or_refused(core, handler, engine, actor, question, progress, failures,
                                                   questions, figuring, plan):
    draft = RecapDraft(question, progress, failures, questions, figuring, plan)
    try:
        result = core.recaps.submit(actor, draft)
    except UserError as exc:
        assert exc.message
    else:
        recap = result.recap
        assert recap.progress or recap.failures or recap.questions or recap.plan or recap.figuring_it_out
        for typed, stored in ((progress, recap.progress), (failures, recap.failures), (questions, recap.questions),
                              (plan, recap.plan)):
            assert stored in typed.replace("\r\n", "\n").replace("\r", "\n")  # trimmed, never rewritten
    assert_store_clean(engine)
