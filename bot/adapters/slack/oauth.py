"""Multi-workspace installs: slack_sdk's SQLAlchemy stores on our own engine, for async Bolt.

The tables (slack_installations, slack_bots, slack_oauth_states, see
tables.py) come from our migrations, built with slack_sdk's own table
builders, so create_tables() is never called. slack_sdk's stores are
synchronous on a sync Engine; Bolt's AsyncApp wants the async interfaces, so these thin wrappers run each call in
a worker thread, like every other database call of the bot.

Tokens are encrypted at rest: the store's token columns get a column type
that encrypts on the way in and decrypts on the way out, so every path of
slack_sdk's store (save, find, Bolt's token refresh) goes through it. Tokens
stored in plain text before that still read, until `recapbot keys rotate`
encrypts them.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Optional

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import and_, delete, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import Text, TypeDecorator

from ...secrets import SecretKeyError, TokenCipher, looks_encrypted
from .tables import SLACK_BOTS, SLACK_INSTALLATIONS, SLACK_OAUTH_STATES, SLACK_TOKEN_COLUMNS, metadata

log = logging.getLogger("recapbot.slack.oauth")

STATE_EXPIRATION_SECONDS = 600


class _Encrypted(TypeDecorator):
    """A token column: encrypted when written, decrypted when read."""

    impl = Text
    # The cache key holds the cipher object itself: statements compiled for one store
    # (one set of keys) are never reused by another.
    cache_ok = True

    def __init__(self, cipher: TokenCipher):
        super().__init__()
        self.cipher = cipher

    def process_bind_param(self, value, dialect):
        return None if value is None else self.cipher.encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else self.cipher.decrypt(value)


class EncryptedInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's store with its token columns encrypted; plus revocation of single tokens."""

    def __init__(self, client_id: str, engine: Engine, cipher: TokenCipher):
        super().__init__(client_id=client_id, engine=engine, bots_table_name=SLACK_BOTS,
                         installations_table_name=SLACK_INSTALLATIONS, logger=log)
        # The parent built private copies of the tables for this store alone.
        for table in (self.installations, self.bots):
            for column in SLACK_TOKEN_COLUMNS[table.name]:
                table.c[column].type = _Encrypted(cipher)

    def revoke(self, *, enterprise_id: Optional[str], team_id: Optional[str],
               user_ids: list[str], bot: bool) -> None:
        """Forget only the revoked tokens: these users' tokens, and/or the bot's tokens."""
        i, b = self.installations, self.bots
        where = and_(i.c.client_id == self.client_id, i.c.enterprise_id == enterprise_id, i.c.team_id == team_id)
        with self.engine.begin() as conn:
            if user_ids:
                conn.execute(update(i).where(where, i.c.user_id.in_(user_ids)).values(
                    user_token=None, user_refresh_token=None, user_token_expires_at=None, user_scopes=None))
            if bot:
                conn.execute(update(i).where(where).values(
                    bot_token=None, bot_refresh_token=None, bot_token_expires_at=None))
                conn.execute(delete(b).where(b.c.client_id == self.client_id,
                                             b.c.enterprise_id == enterprise_id, b.c.team_id == team_id))


class ThreadedInstallationStore(AsyncInstallationStore):
    def __init__(self, client_id: str, engine: Engine, cipher: TokenCipher):
        self.sync = EncryptedInstallationStore(client_id, engine, cipher)

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation):
        await asyncio.to_thread(self.sync.save, installation)

    async def async_save_bot(self, bot: Bot):
        await asyncio.to_thread(self.sync.save_bot, bot)

    async def async_find_bot(self, *, enterprise_id: Optional[str], team_id: Optional[str],
                             is_enterprise_install: Optional[bool] = False) -> Optional[Bot]:
        return await asyncio.to_thread(lambda: self.sync.find_bot(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install))

    async def async_find_installation(self, *, enterprise_id: Optional[str], team_id: Optional[str],
                                      user_id: Optional[str] = None,
                                      is_enterprise_install: Optional[bool] = False) -> Optional[Installation]:
        return await asyncio.to_thread(lambda: self.sync.find_installation(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id,
            is_enterprise_install=is_enterprise_install))

    async def async_delete_bot(self, *, enterprise_id: Optional[str], team_id: Optional[str]) -> None:
        await asyncio.to_thread(lambda: self.sync.delete_bot(enterprise_id=enterprise_id, team_id=team_id))

    async def async_delete_installation(self, *, enterprise_id: Optional[str], team_id: Optional[str],
                                        user_id: Optional[str] = None) -> None:
        await asyncio.to_thread(lambda: self.sync.delete_installation(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id))

    async def async_revoke(self, *, enterprise_id: Optional[str], team_id: Optional[str],
                           user_ids: list[str], bot: bool) -> None:
        await asyncio.to_thread(lambda: self.sync.revoke(
            enterprise_id=enterprise_id, team_id=team_id, user_ids=user_ids, bot=bot))


class ThreadedStateStore(AsyncOAuthStateStore):
    def __init__(self, engine: Engine, expiration_seconds: int = STATE_EXPIRATION_SECONDS):
        self.sync = SQLAlchemyOAuthStateStore(
            expiration_seconds=expiration_seconds, engine=engine, logger=log, table_name=SLACK_OAUTH_STATES)

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args, **kwargs) -> str:
        return await asyncio.to_thread(self.sync.issue)

    async def async_consume(self, state: str) -> bool:
        return await asyncio.to_thread(self.sync.consume, state)


# -- every stored token at once: key checks and rotation ----------------------------
def _stored_tokens(conn: Connection):
    """(table, row id, column, stored value) for every token in the database, as stored."""
    for name, columns in SLACK_TOKEN_COLUMNS.items():
        table = metadata.tables[name]
        for row in conn.execute(select(table.c.id, *(table.c[c] for c in columns))).mappings():
            for column in columns:
                if row[column] is not None:
                    yield table, row["id"], column, row[column]


def undecryptable_tokens(engine: Engine, cipher: TokenCipher) -> int:
    """How many stored tokens none of the configured keys decrypts (0 when the keys are right)."""
    count = 0
    with engine.connect() as conn:
        for _table, _id, _column, value in _stored_tokens(conn):
            try:
                cipher.decrypt(value)
            except SecretKeyError:
                count += 1
    return count


def rotate_tokens(engine: Engine, cipher: TokenCipher) -> tuple[int, int]:
    """Re-encrypt every stored token with the current key, in one transaction.

    Returns (tokens re-encrypted, of which stored in plain text). Nothing is
    changed if any token cannot be decrypted (SecretKeyError).
    """
    rotated = plain = 0
    with engine.begin() as conn:
        for table, row_id, column, value in list(_stored_tokens(conn)):
            plain += not looks_encrypted(value)
            conn.execute(update(table).where(table.c.id == row_id).values({column: cipher.reencrypt(value)}))
            rotated += 1
    return rotated, plain
