"""Stored secrets: keys derived per purpose, encrypted tokens, rotation, a private database file."""
from __future__ import annotations

import base64
import os
import stat

import pytest
from sqlalchemy import text

from bot.secrets import TOKENS, SecretKeyError, SecretKeys, looks_encrypted, new_key, parse_keys
from bot.store.db import make_engine, upgrade
from tests.conftest import BACKENDS, drop_pg_schema, new_pg_schema

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


def test_keys_new_prints_a_fresh_valid_key(capsys):
    from bot.__main__ import main

    assert main(["keys", "new"]) == 0 and main(["keys", "new"]) == 0
    first, second = capsys.readouterr().out.split()
    assert first != second and parse_keys(f"{first},{second}") == (first, second)


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


@pytest.fixture(params=BACKENDS)
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
    else:
        schema, url = new_pg_schema()
        yield url
        drop_pg_schema(schema)


def test_widening_the_token_columns_keeps_stored_installations(empty_url):
    engine = make_engine(empty_url)
    upgrade(engine, "0003")  # a database from before encryption, with a plain token
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO slack_bots (client_id, app_id, team_id, bot_token, is_enterprise_install, installed_at) "
            "VALUES ('c', 'A', 'T1', 'xoxb-plain', false, '2026-01-01 00:00:00')"))
    upgrade(engine)
    cipher = SecretKeys([NEW]).token_cipher()
    long_token = cipher.encrypt("xoxe.xoxb-" + "x" * 300)  # longer than the old String(200)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT bot_token FROM slack_bots")).scalar_one() == "xoxb-plain"
        conn.execute(text("UPDATE slack_bots SET bot_token = :t"), {"t": long_token})
        assert cipher.decrypt(conn.execute(text("SELECT bot_token FROM slack_bots")).scalar_one()).endswith("x" * 300)
    engine.dispose()
