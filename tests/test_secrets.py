"""Stored secrets: keys derived per purpose, encrypted tokens, rotation, a private database file."""
from __future__ import annotations

import base64
import os
import stat

import pytest
from sqlalchemy import text

from bot.secrets import TOKENS, SecretKeyError, SecretKeys, looks_encrypted, new_key
from bot.store.db import make_engine, upgrade

OLD, NEW = new_key(), new_key()


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_tokens_get_a_key_of_their_own_per_purpose():
    keys = SecretKeys([NEW])
    (token_key,) = keys.derived(TOKENS)
    (other,) = keys.derived(b"recapbot/link-signing/v1")
    assert len(token_key) == 32 and token_key != other
    assert token_key != base64.urlsafe_b64decode(NEW)  # never the operator's key itself


def test_a_token_is_encrypted_and_any_listed_key_decrypts_it():
    stored = SecretKeys([OLD]).token_cipher().encrypt("xoxb-1-secret")
    assert looks_encrypted(stored) and "xoxb" not in stored
    rotated = SecretKeys([NEW, OLD]).token_cipher()
    assert rotated.decrypt(stored) == "xoxb-1-secret"
    assert SecretKeys([NEW]).token_cipher().decrypt(rotated.reencrypt(stored)) == "xoxb-1-secret"


def test_a_token_from_before_encryption_still_reads():
    assert SecretKeys([NEW]).token_cipher().decrypt("xoxb-legacy-plain") == "xoxb-legacy-plain"
    assert not looks_encrypted("https://hooks.slack.com/services/T/B/x")


def test_the_wrong_key_says_what_to_do():
    stored = SecretKeys([OLD]).token_cipher().encrypt("xoxb-1-secret")
    with pytest.raises(SecretKeyError, match="RECAPBOT_SECRET_KEY.*old key after the new one"):
        SecretKeys([NEW]).token_cipher().decrypt(stored)


@pytest.fixture
def permissive_umask():
    previous = os.umask(0)  # the file modes below must not depend on the operator's umask
    yield
    os.umask(previous)


def test_the_database_file_and_its_new_folders_are_private(tmp_path, permissive_umask):
    path = tmp_path / "data" / "deeper" / "recapbot.db"
    before = mode(tmp_path)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.execute(text("SELECT count(*) FROM teams"))
        for suffix in ("", "-wal", "-shm"):
            assert mode(f"{path}{suffix}") == 0o600, suffix
    engine.dispose()
    assert mode(tmp_path / "data") == 0o700 and mode(tmp_path / "data" / "deeper") == 0o700
    assert mode(tmp_path) == before  # a folder that was there is left as it is
