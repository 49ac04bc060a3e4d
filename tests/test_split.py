"""The one text splitter (bot/render/split.py): its contract, for any text and any limit."""
from __future__ import annotations

import pytest
import regex
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.render import blocks, embeds
from bot.render.split import GRAPHEMES, MIN_LIMIT, characters, split, take, utf16_units
from tests.split_contract import assert_contract, separators

MEASURES = st.sampled_from([characters, utf16_units])


# Any text: letters, digits, spaces, breaks, emoji, combining marks, surrogate-free astral planes.
ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=600)


@settings(max_examples=400, deadline=None)
@given(text=ANY_TEXT, limit=st.integers(MIN_LIMIT, 120), measure=MEASURES)
@example(text="x" + " " * 30 + "y", limit=8, measure=characters)  # whitespace longer than the room
@example(text="a \u0301" * 10, limit=8, measure=characters)  # a space carrying a combining mark
@example(text="\U0001F9EA" * 40, limit=9, measure=utf16_units)  # astral characters count 2
def test_every_piece_fits_and_nothing_is_lost_in_order(text, limit, measure):
    pieces = split(text, limit, measure)
    assert_contract(text, pieces, limit, measure)
    assert (pieces == []) == (text.strip() == "")


@settings(max_examples=200, deadline=None)
@given(text=ANY_TEXT, limit=st.integers(MIN_LIMIT, 120))
def test_both_platforms_keep_the_contract(text, limit):
    assert_contract(text, blocks.split_text(text, limit), limit, blocks.measure)
    assert_contract(text, embeds.split_text(text, limit), limit, embeds.units)


CLUSTERS = ["a", "Z", "\u00e9", "e\u0301", "\U0001F44D\U0001F3FD", "\U0001F1E9\U0001F1EA",  # a flag: 2 code points
            "\U0001F468\u200d\U0001F469\u200d\U0001F467", "\u0915\u094d\u0937", "\r\n", " ", "\n", "\n\n"]


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.sampled_from(CLUSTERS), max_size=300), limit=st.integers(16, 80), measure=MEASURES)
def test_no_grapheme_is_split_when_each_fits(parts, limit, measure):
    text = "".join(parts)
    pieces = split(text, limit, measure)
    assert_contract(text, pieces, limit, measure)
    stripped = text.strip()
    boundaries = {0} | {m.end() for m in GRAPHEMES.finditer(stripped)}
    at = 0
    for piece, sep in zip(pieces, [*separators(text, pieces), ""]):
        assert at in boundaries and at + len(piece) in boundaries, (piece, stripped)
        at += len(piece) + len(sep)


@settings(max_examples=200, deadline=None)
@given(words=st.lists(st.sampled_from(["&amp;", "&lt;", "&gt;", "a", "bc", " "]), max_size=400),
       limit=st.integers(MIN_LIMIT, 60))
def test_slack_never_cuts_an_escape(words, limit):
    text = "".join(words)
    for piece in blocks.split_text(text, limit):
        assert regex.sub(r"&(amp|lt|gt);", "", piece).count("&") == 0, piece


@settings(max_examples=200, deadline=None)
@given(text=st.text(st.sampled_from("\\[]a (x)"), max_size=300), limit=st.integers(MIN_LIMIT, 40))
def test_discord_never_separates_a_backslash_from_what_it_escapes(text, limit):
    pieces = embeds.split_text(text, limit)
    for piece, sep in zip(pieces, separators(text, pieces)):
        tail = len(piece) - len(piece.rstrip("\\"))
        # cut inside a word: an odd run of backslashes would have escaped the next piece's first character
        assert sep or tail % 2 == 0, pieces


def test_paragraph_then_line_then_word_break_is_preferred():
    para = "first paragraph is here now and\n\nsecond line one\nsecond line two"
    assert split(para, 50) == ["first paragraph is here now and", "second line one\nsecond line two"]
    lines = "one two three four\nfive six seven eight nine"
    assert split(lines, 30) == ["one two three four", "five six seven eight nine"]
    words = "alpha beta gamma delta epsilon"
    assert split(words, 20) == ["alpha beta gamma", "delta epsilon"]


def test_a_word_longer_than_half_the_room_is_cut_only_when_it_must_be():
    assert split("ab " + "x" * 30, 10) == ["ab xxxxxxx", "xxxxxxxxxx", "xxxxxxxxxx", "xxx"]
    assert split("abcdef " + "x" * 8, 10) == ["abcdef", "xxxxxxxx"]


def test_text_that_fits_is_whole_and_blank_text_has_no_pieces():
    assert split("  fits  ", 8) == ["fits"]
    assert take("\n fits as it is ", 100) == ("\n fits as it is ", "")
    assert split(" \n\t ", 8) == []


def test_a_limit_below_the_minimum_is_refused():
    with pytest.raises(ValueError):
        split("x" * 20, MIN_LIMIT - 1)
    assert split("short", 2 * len("short")) == ["short"]
