"""Slack's multi-workspace OAuth data: the installation, bot and OAuth state tables.

They belong to this adapter: slack_sdk's own table shapes (its builders), so
its SQLAlchemy installation and state stores read them as they are. They get
a MetaData of their own, with the store's naming convention; the migrations
create them like every other table (migrations/env.py targets both).
"""
from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData

from ...store.tables import NAMING_CONVENTION

SLACK_INSTALLATIONS = "slack_installations"
SLACK_BOTS = "slack_bots"
SLACK_OAUTH_STATES = "slack_oauth_states"

metadata = MetaData(naming_convention=NAMING_CONVENTION)
installations = SQLAlchemyInstallationStore.build_installations_table(metadata, SLACK_INSTALLATIONS)
bots = SQLAlchemyInstallationStore.build_bots_table(metadata, SLACK_BOTS)
oauth_states = SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, SLACK_OAUTH_STATES)
