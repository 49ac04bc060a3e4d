"""Alembic environment: batch mode for SQLite; the target is the store's tables and the Slack adapter's."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, text

from bot.adapters.slack.tables import metadata as slack_metadata
from bot.store.search import include_object
from bot.store.tables import metadata as store_metadata

config = context.config
target_metadata = [store_metadata, slack_metadata]


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given = config.attributes.get("connection")  # bot.store.db.upgrade: holds the migration lock
    if given is not None:
        migrate(given)
        return
    engine = config.attributes.get("engine") or create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        migrate(connection)


def migrate(connection) -> None:
    is_sqlite = connection.dialect.name == "sqlite"
    if is_sqlite:
        # A batch migration copies tables; with foreign keys on, the DROP
        # of the old copy could cascade and delete rows.
        connection.execute(text("PRAGMA foreign_keys=OFF"))
        connection.commit()
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=is_sqlite,
        compare_type=True,
        include_object=include_object,  # the search indexes are outside the models on purpose
    )
    with context.begin_transaction():
        context.run_migrations()
    if is_sqlite:
        connection.execute(text("PRAGMA foreign_keys=ON"))
        connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
