"""Signed, expiring links: who may see a group's deck, and a figure in a digest.

A link carries its claims in the clear (group id, the member it was issued
to, whether it shows only their slides, when it expires) and an HMAC-SHA256
over them. Nothing is stored per link: the signature is the permission. The
keys come from bot/secrets.py (derived from RECAPBOT_SECRET_KEY for this
purpose only); the first signs, every key verifies, so rotating the secret
key revokes every link once the old key is dropped.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from .errors import UserError

DECK, FIGURE = "deck", "fig"
_MAX_TOKEN_CHARS = 200


class LinkRefused(UserError):
    """A link that is altered, of another kind, or expired; `expired` tells the two apart."""

    def __init__(self, message: str, expired: bool = False):
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class DeckClaims:
    team_id: int
    member_id: int  # who asked for the link
    mine: bool  # only that member's slides (`/recap deck me`)
    expires: datetime


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _number(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise ValueError(text)
    return int(text)


class LinkSigner:
    """Signs with the first key, verifies with any (rotation).

    `keys` may be a function giving them, called on first use: a key generated into
    the data directory is then only made by a process that signs or opens a link.
    """

    def __init__(self, keys: Sequence[bytes] | Callable[[], Sequence[bytes]]):
        self._source = keys
        self._loaded: tuple[bytes, ...] | None = None

    @property
    def _keys(self) -> tuple[bytes, ...]:
        if self._loaded is None:
            keys = tuple(self._source() if callable(self._source) else self._source)
            if not keys or any(len(k) < 16 for k in keys):
                raise ValueError("link signing needs at least one key of 16 bytes or more")
            self._loaded = keys
        return self._loaded

    @classmethod
    def ephemeral(cls) -> "LinkSigner":
        """A random key for this process only (tests, and tools that sign nothing lasting)."""
        return cls([os.urandom(32)])

    def _mac(self, key: bytes, payload: str) -> str:
        return _b64(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())

    def _sign(self, payload: str) -> str:
        return f"{payload}.{self._mac(self._keys[0], payload)}"

    def _open(self, token: str, kind: str, now: datetime) -> list[str]:
        """The claims of a genuine token of `kind` that has not expired."""
        altered = LinkRefused("This link is not valid: it was changed or cut short.")
        if not token or len(token) > _MAX_TOKEN_CHARS or not token.isascii():
            raise altered
        payload, _, mac = token.rpartition(".")
        if not any(hmac.compare_digest(mac, self._mac(key, payload)) for key in self._keys):
            raise altered
        parts = payload.split(".")
        if parts[0] != kind:
            raise altered
        try:
            expires = _number(parts[-1])
        except ValueError:
            raise altered from None
        if now.timestamp() >= expires:
            raise LinkRefused("This link has expired.", expired=True)
        return parts[1:]

    # -- deck links -------------------------------------------------------------
    def deck_token(self, team_id: int, member_id: int, mine: bool, expires: datetime) -> str:
        return self._sign(f"{DECK}.{team_id}.{member_id}.{'me' if mine else 'all'}.{int(expires.timestamp())}")

    def open_deck(self, token: str, now: datetime) -> DeckClaims:
        team, member, scope, expires = self._open(token, DECK, now)
        try:
            return DeckClaims(_number(team), _number(member), scope == "me",
                              datetime.fromtimestamp(_number(expires), timezone.utc))
        except ValueError:  # pragma: no cover - we signed it, so it parses
            raise LinkRefused("This link is not valid.") from None

    # -- figure links (images a chat platform fetches for a digest) ---------------
    def figure_token(self, figure_id: int, expires: datetime) -> str:
        return self._sign(f"{FIGURE}.{figure_id}.{int(expires.timestamp())}")

    def open_figure(self, token: str, now: datetime) -> int:
        figure, _expires = self._open(token, FIGURE, now)
        return _number(figure)
