"""The one check for every text that reaches the store.

People type into Slack, Discord and a terminal; all of it ends up in the
database, in digests and in other people's terminals. So every stored text
passes through `clean_text` (what a person typed: refused with a message when
it cannot be kept intact) or `tidy_name` (a name a platform gave us: cleaned,
never refused, since nobody typed it into our form).

Refused: NUL and every other control character (C0, DEL, C1: that covers
terminal escape sequences, which start with ESC or CSI), lone surrogates (what
invalid UTF-8 decodes to; no database can store them) and the bidirectional
embedding/override/isolate controls that reorder how a line is displayed.
Multi-line fields keep newlines and tabs. Text made only of whitespace and
invisible characters (zero-width spaces, joiners, BOM...) counts as empty.
"""
from __future__ import annotations

import re
import unicodedata

from .errors import UserError

_BIDI = "\u202a-\u202e\u2066-\u2069"
_SINGLE_LINE_FORBIDDEN = re.compile(f"[\x00-\x1f\x7f-\x9f\ud800-\udfff{_BIDI}]")
_MULTILINE_FORBIDDEN = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff{_BIDI}]")
# Characters that show nothing but are not whitespace to str.isspace().
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f")


def is_blank(text: str) -> bool:
    """True when the text would show nothing: whitespace and invisible characters only."""
    return all(c.isspace() or c in _INVISIBLE or unicodedata.category(c) == "Cf" for c in text)


def clean_text(value: str | None, field: str, max_chars: int, *, multiline: bool = False) -> str:
    """`value` trimmed, or a UserError naming `field` that says how to fix it.

    Blank text comes back as "" (callers decide whether a field may be empty).
    """
    text = value or ""
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.strip()
    if is_blank(text):
        return ""
    bad = (_MULTILINE_FORBIDDEN if multiline else _SINGLE_LINE_FORBIDDEN).search(text)
    if bad:
        raise UserError(f"{field} {_describe(bad[0])}. Nothing was saved.")
    if len(text) > max_chars:
        raise UserError(f"{field} is {len(text):,} characters; the limit is {max_chars:,}. Nothing was saved.")
    return text


def tidy_name(value: str | None, fallback: str, max_chars: int) -> str:
    """A display name from a platform: forbidden characters dropped, blanks collapsed, capped."""
    text = " ".join(_SINGLE_LINE_FORBIDDEN.sub(" ", value or "").split())
    if is_blank(text):
        text = " ".join(_SINGLE_LINE_FORBIDDEN.sub(" ", fallback).split())
    return (text or "?")[:max_chars]


def name_key(name: str) -> str:
    """How names are compared: case, width and invisible characters do not tell people apart."""
    visible = "".join(c for c in name if unicodedata.category(c) != "Cf" and c not in _INVISIBLE)
    return " ".join(unicodedata.normalize("NFKC", visible).casefold().split())


def _describe(char: str) -> str:
    if char == "\n":
        return "must be on one line"
    if "\ud800" <= char <= "\udfff":
        return "contains bytes that are not valid text (UTF-8)"
    if char == "\x00":
        return "contains a NUL character, which cannot be stored"
    if char == "\x1b" or char == "\x9b":
        return "contains a terminal escape sequence, which cannot be stored"
    return f"contains a control character (U+{ord(char):04X}) that cannot be stored"
