"""One text splitter for every platform: long text becomes pieces that fit, never truncated.

Slack and Discord count their limits differently, so the splitter takes the
measure as an argument (`characters` or `utf16_units`) and, for the hard cut
inside a long word, the pattern of what must stay whole (graphemes, and on
Slack the ``&amp;`` escapes).

The contract, for ``split(text, limit)`` with ``limit >= MIN_LIMIT``:

* every piece is non-empty, not blank, and ``measure(piece) <= limit``;
* ``text.strip() == p0 + s0 + p1 + s1 + ... + pn`` where every separator
  ``s`` is whitespace (empty at a hard cut): the pieces in order, with only
  the whitespace at the cuts and at the ends left out;
* a cut is made, by preference, at a paragraph break, then a line break, then
  any other whitespace, the last one in the second half of the room; only a
  word longer than half the room is cut inside, and then between graphemes
  (inside one only when a single grapheme is over the limit).
"""
from __future__ import annotations

from collections.abc import Callable

import regex

MIN_LIMIT = 8  # room for any single code point under any measure we use (UTF-16: 2)

Measure = Callable[[str], int]

# A run of whitespace that may be dropped at a cut. A space carrying a combining
# mark (or a joiner) belongs to that mark's grapheme, so the run stops before it.
# Whitespace as str.isspace() and str.strip() see it (all of it lies below U+3001).
_SPACE = "[" + regex.escape("".join(c for c in map(chr, range(0x3001)) if c.isspace()), special_only=False) + "]"
_SEPARATOR = regex.compile(_SPACE + r"+(?![\p{M}\u200d])")
GRAPHEMES = regex.compile(r"\X")


def characters(text: str | None) -> int:
    """Length in code points: Python's len, and what Discord's API counts (it is Python too)."""
    return len(text or "")


def utf16_units(text: str | None) -> int:
    """Length in UTF-16 code units (an astral character such as most emoji counts 2)."""
    if not text:
        return 0
    return len(text.encode("utf-16-le")) // 2


def prefix_within(text: str, limit: int, measure: Measure = characters) -> int:
    """The length of the longest prefix of `text` whose measure is at most `limit`."""
    if measure(text) <= limit:
        return len(text)
    if measure is characters or measure(text[:limit]) == min(limit, len(text)):
        return limit  # every measure we use counts a code point as at least 1
    lo, hi = 0, min(limit, len(text))  # the measure grows with the prefix: binary search
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if measure(text[:mid]) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _line_breaks(run: str) -> int:
    return len((run + "x").splitlines()) - 1


def take(text: str, limit: int, measure: Measure = characters,
         atoms: regex.Pattern = GRAPHEMES) -> tuple[str, str]:
    """Split off the first piece: ``(head, rest)`` with ``text == head + separator + rest``.

    `head` fits `limit` and is not blank when `text` does not start with
    whitespace; the separator (whitespace, possibly empty) is dropped. A text
    that fits is returned whole: ``(text, "")``.
    """
    if measure(text) <= limit:
        return text, ""
    if limit < MIN_LIMIT:
        raise ValueError(f"a limit of {limit} is too small to split text (at least {MIN_LIMIT})")
    end = prefix_within(text, limit, measure)
    # The last separator of each kind (paragraph, line, word) that starts in the second half.
    best: dict[int, regex.Match] = {}
    for m in _SEPARATOR.finditer(text):
        if m.start() > end:
            break
        if m.start() >= max(end // 2, 1):
            best[min(_line_breaks(m[0]), 2)] = m
    for kind in (2, 1, 0):
        if kind in best:
            m = best[kind]
            return text[:m.start()], text[m.end():]
    # No break in reach: cut between atoms (graphemes, escapes), as late as fits.
    cut = 0
    for m in atoms.finditer(text):
        if m.end() > end:
            break
        cut = m.end()
    if cut == 0:
        cut = end  # one grapheme longer than the limit: only then cut inside it
    head, rest = text[:cut], text[cut:]
    stripped = head.rstrip()
    if stripped:  # a cut next to whitespace: the whitespace is the separator
        head = stripped
    lead = _SEPARATOR.match(rest)
    return head, rest[lead.end():] if lead else rest


def split(text: str, limit: int, measure: Measure = characters, atoms: regex.Pattern = GRAPHEMES) -> list[str]:
    """Split `text` into pieces that each fit `limit` under `measure` (see the module's contract).

    A blank text gives no pieces.
    """
    pieces = []
    rest = text.strip()
    while rest:
        head, rest = take(rest, limit, measure, atoms)
        pieces.append(head)
    return pieces
