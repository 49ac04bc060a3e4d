"""Slack's multi-workspace OAuth data: the installation, bot and OAuth state tables.

They belong to this adapter: slack_sdk's own table shapes (its builders), so
its SQLAlchemy installation and state stores read them as they are. They get
a MetaData of their own, with the database's naming convention (bot/naming.py); the migrations
create them like every other table (migrations/env.py targets both).
"""
from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, Text, update
from sqlalchemy.engine import Connection

from ...core.model import Workspace
from ...naming import NAMING_CONVENTION
from .identity import PLATFORM

SLACK_INSTALLATIONS = "slack_installations"
SLACK_BOTS = "slack_bots"
SLACK_OAUTH_STATES = "slack_oauth_states"

SLACK_TOKEN_COLUMNS = {
    SLACK_INSTALLATIONS: ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token",
                          "incoming_webhook_url"),
    SLACK_BOTS: ("bot_token", "bot_refresh_token"),
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)
installations = SQLAlchemyInstallationStore.build_installations_table(metadata, SLACK_INSTALLATIONS)
bots = SQLAlchemyInstallationStore.build_bots_table(metadata, SLACK_BOTS)
oauth_states = SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, SLACK_OAUTH_STATES)
# Tokens are stored encrypted (bot/secrets.py); a Fernet token of a 200-character
# value is 356 characters, so slack_sdk's String(200) becomes Text (migration 0006).
for _table, _columns in SLACK_TOKEN_COLUMNS.items():
    for _column in _columns:
        metadata.tables[_table].c[_column].type = Text()


INSTALLER = "slack_installations.user_id"  # the kind forget-me counts (core/privacy.py names it)


def forget_installer(conn: Connection, workspace: Workspace, user_ref: str) -> dict[str, int]:
    """forget-me on Slack, run by the repository inside forget-me's transaction (app.py hands it
    over): the person's id and user token leave the installations they made; the installation stays."""
    if workspace.platform != PLATFORM:
        return {}
    cleared = conn.execute(
        update(installations)
        .where(installations.c.team_id == workspace.id, installations.c.user_id == user_ref)
        .values(user_id="", user_token=None, user_scopes=None, user_refresh_token=None, user_token_expires_at=None)
    ).rowcount
    return {INSTALLER: cleared}
