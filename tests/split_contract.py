"""The splitter's contract as a check, for the splitter's own tests and the renderers' tests."""
from __future__ import annotations

from bot.render.split import characters


def separators(text: str, pieces: list[str]) -> list[str] | None:
    """The whitespace between the pieces that gives back text.strip(), or None if there is none.

    This is the contract's "no text lost, order kept": text.strip() == p0 + s0 + p1 + ... + pn.
    """
    rest = text.strip()
    seps = []
    for i, piece in enumerate(pieces):
        if i:
            k = 0
            while not rest[k:].startswith(piece):
                if k == len(rest) or not rest[k].isspace():
                    return None
                k += 1
            seps.append(rest[:k])
            rest = rest[k:]
        if not rest.startswith(piece):
            return None
        rest = rest[len(piece):]
    return seps if rest == "" else None


def assert_contract(text: str, pieces: list[str], limit: int, measure=characters) -> list[str]:
    assert all(measure(p) <= limit for p in pieces), "a piece is over the limit"
    assert all(p.strip() for p in pieces), "a blank piece"
    seps = separators(text, pieces)
    assert seps is not None, "the pieces do not give back the text"
    return seps
