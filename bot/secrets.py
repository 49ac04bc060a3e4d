"""Everything secret the bot derives from RECAPBOT_SECRET_KEY, in one place.

The operator sets one or more random keys (comma-separated, newest first). No
key is used as it is: each use gets its own key derived with HKDF-SHA256 and a
purpose label, so that the key that encrypts stored tokens and, say, a key that
signs links can never be swapped or confused, and one use can be changed
without touching the other. The first key encrypts (or signs); every key
decrypts (or verifies), which is what makes rotation possible.
"""
from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["SECRET_KEY_VARIABLE", "NEW_KEY_HINT", "SecretKeyError", "SecretKeys", "TokenCipher",
           "looks_encrypted", "new_key", "parse_keys", "generated_key", "GENERATED_KEY_FILE"]

SECRET_KEY_VARIABLE = "RECAPBOT_SECRET_KEY"
NEW_KEY_HINT = ("generate one with `recapbot keys new` or "
                "`python -c \"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())\"`")

# Purpose labels (HKDF "info"). Changing one changes every key derived for it.
TOKENS = b"recapbot/stored-tokens/v1"
LINKS = b"recapbot/link-signing/v1"
# Where a key made on first start is kept when RECAPBOT_SECRET_KEY is unset (the data directory).
GENERATED_KEY_FILE = "recapbot-secret.key"

_KEY_BYTES = 32
_FERNET_VERSION = 0x80
_FERNET_MIN_BYTES = 1 + 8 + 16 + 16 + 32  # version, timestamp, IV, one AES block, HMAC


class SecretKeyError(Exception):
    """A stored secret cannot be decrypted with any of the configured keys."""


def new_key() -> str:
    """A fresh random key in the format RECAPBOT_SECRET_KEY expects (url-safe base64 of 32 bytes)."""
    return Fernet.generate_key().decode()


def parse_keys(raw: str) -> tuple[str, ...]:
    """Split and check the comma-separated setting; errors never repeat a key."""
    keys: list[str] = []
    items = [item.strip() for item in raw.split(",") if item.strip()]
    for position, item in enumerate(items, 1):
        try:
            decoded = base64.b64decode(item, altchars=b"-_", validate=True)
        except (binascii.Error, ValueError):
            decoded = b""
        if len(decoded) != _KEY_BYTES:
            which = f"key {position} of {len(items)}" if len(items) > 1 else "the key"
            raise ValueError(f"{which} is not 32 bytes in url-safe base64 (44 characters); {NEW_KEY_HINT}")
        if item not in keys:
            keys.append(item)
    if not keys:
        raise ValueError(f"no key given; {NEW_KEY_HINT}")
    return tuple(keys)


class SecretKeys:
    """The operator's keys (first one current); hands out a derived key per purpose."""

    def __init__(self, keys: Sequence[str]):
        if not keys:
            raise ValueError(f"{SECRET_KEY_VARIABLE} is not set; {NEW_KEY_HINT}")
        self._masters = tuple(base64.urlsafe_b64decode(key) for key in parse_keys(",".join(keys)))

    def derived(self, purpose: bytes) -> tuple[bytes, ...]:
        """One 32-byte key per operator key, for `purpose` only; the current one first."""
        return tuple(
            HKDF(algorithm=hashes.SHA256(), length=_KEY_BYTES, salt=None, info=purpose).derive(master)
            for master in self._masters
        )

    def link_keys(self) -> tuple[bytes, ...]:
        """Keys that sign and verify the deck's links (core/links.py); rotating revokes links."""
        return self.derived(LINKS)

    def token_cipher(self) -> "TokenCipher":
        return TokenCipher(MultiFernet([Fernet(base64.urlsafe_b64encode(k)) for k in self.derived(TOKENS)]))


def generated_key(directory: Path) -> str:
    """The key kept in `directory` (made on first use, readable by its owner only).

    For a single process (or several on one machine sharing the directory) that
    signs links without RECAPBOT_SECRET_KEY. The file appears whole or not at all
    (written aside, then hard-linked into place), so processes starting together
    agree on the first one made.
    """
    directory = Path(directory)
    path = directory / GENERATED_KEY_FILE
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        aside = directory / f".{GENERATED_KEY_FILE}.{os.getpid()}"
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(new_key() + "\n")
        try:
            os.link(aside, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            aside.unlink()
    key = path.read_text().strip()
    parse_keys(key)  # a damaged file is an error, never silently replaced (that would revoke every link)
    return key


def looks_encrypted(stored: str) -> bool:
    """A Fernet token (versus a token stored in plain text before encryption existed).

    Slack tokens start with `xox`, webhook URLs with `https:`; a Fernet token is
    url-safe base64 whose first byte is 0x80, so the two cannot be mistaken.
    """
    try:
        raw = base64.b64decode(stored, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(raw) >= _FERNET_MIN_BYTES and raw[0] == _FERNET_VERSION


class TokenCipher:
    """Encrypts stored tokens with the current key; decrypts with any configured key."""

    def __init__(self, fernet: MultiFernet):
        self._fernet = fernet

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode("ascii")

    def decrypt(self, stored: str) -> str:
        """The plain value; a value stored before encryption existed is returned as it is."""
        if not looks_encrypted(stored):
            return stored
        try:
            return self._fernet.decrypt(stored.encode("ascii")).decode()
        except InvalidToken:
            raise SecretKeyError(
                f"a stored token cannot be decrypted with any key in {SECRET_KEY_VARIABLE}: "
                "was the key replaced? Put the old key after the new one (comma-separated), "
                "then run `recapbot keys rotate`") from None

    def reencrypt(self, stored: str) -> str:
        """Encrypted with the current key, whatever it was stored with (plain text included)."""
        return self.encrypt(self.decrypt(stored))
