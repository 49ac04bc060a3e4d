"""One naming convention for every constraint in the database.

Both the store's tables and the Slack adapter's own tables use it, so that
Alembic's batch migrations on SQLite can find each constraint by a stable name.
It lives outside bot/store so that an adapter declaring its tables need not
import the store.
"""
from __future__ import annotations

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
