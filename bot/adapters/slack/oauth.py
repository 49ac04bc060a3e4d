"""Multi-workspace installs: slack_sdk's SQLAlchemy stores on our own engine, for async Bolt.

The tables (slack_installations, slack_bots, slack_oauth_states, see
tables.py) come from our migrations, built with slack_sdk's own table
builders, so create_tables() is never called. slack_sdk's stores are synchronous on a sync Engine; Bolt's
AsyncApp wants the async interfaces, so these thin wrappers run each call in
a worker thread, like every other database call of the bot.
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
from sqlalchemy.engine import Engine

from .tables import SLACK_BOTS, SLACK_INSTALLATIONS, SLACK_OAUTH_STATES

log = logging.getLogger("recapbot.slack.oauth")

STATE_EXPIRATION_SECONDS = 600


class ThreadedInstallationStore(AsyncInstallationStore):
    def __init__(self, client_id: str, engine: Engine):
        self.sync = SQLAlchemyInstallationStore(
            client_id=client_id, engine=engine,
            bots_table_name=SLACK_BOTS, installations_table_name=SLACK_INSTALLATIONS, logger=log,
        )

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
