"""Admin rights follow platform user ids, never display names (issue 8, defect 3)."""
import importlib.util
from datetime import datetime, timezone

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import insert, select, update

from bot.core.commands import CommandHandler
from bot.core.model import Actor, Workspace
from bot.store import tables as t
from bot.store.db import make_engine, migrations_dir, upgrade
from tests.conftest import group_of

WS = Workspace("slack", "T1")
LEAD = Actor(WS, "U0LEAD", "Lead", is_admin=True)
CAROL = Actor(WS, "U0CAROL", "Carol")
MALLORY = Actor(WS, "U0MAL", "carol")  # picked the name of someone who has not joined yet


@pytest.fixture
def handler(core):
    handler = CommandHandler(core)
    assert handler.handle(LEAD, '/recap setup meeting="Mon 10:00" tz=Europe/Berlin').ok
    return handler


def admins(core):
    return group_of(core, WS).admins


def test_admins_are_stored_by_user_id_and_the_reply_says_whom(handler, core):
    handler.handle(CAROL, "/recap join")
    reply = handler.handle(LEAD, "/recap setup admins=carol")
    assert reply.ok and "admins: Carol (U0CAROL)" in reply.text
    assert admins(core) == ("U0CAROL",)
    assert core.teams.can_configure(CAROL, group_of(core, WS))
    shown = handler.handle(CAROL, "/recap setup")  # Discord renders the settings from admin_names
    assert shown.admin_names == {"U0CAROL": "Carol"} and "admins: Carol (U0CAROL)" in shown.text


def test_a_display_name_equal_to_a_user_id_does_not_take_that_persons_rights(handler, core):
    handler.handle(Actor(WS, "U0MAL", "U0CAROL"), "/recap join")  # joins first, named like carol's id
    handler.handle(CAROL, "/recap join")
    reply = handler.handle(LEAD, "/recap setup admins=U0CAROL")
    assert reply.ok, reply.text
    assert admins(core) == ("U0CAROL",)
    assert not handler.handle(Actor(WS, "U0MAL", "U0CAROL"), "/recap setup every=2").ok


def test_a_name_shared_by_two_members_is_refused_with_both_ids(handler, core):
    handler.handle(MALLORY, "/recap join")
    handler.handle(CAROL, "/recap join")
    reply = handler.handle(LEAD, "/recap setup admins=Carol")
    assert not reply.ok
    assert "carol (U0MAL)" in reply.text and "Carol (U0CAROL)" in reply.text
    assert admins(core) == ()
    assert not handler.handle(MALLORY, "/recap setup every=2").ok


def test_a_name_nobody_has_is_refused_and_not_stored(handler, core):
    reply = handler.handle(LEAD, "/recap setup admins=carol")
    assert not reply.ok and "No member called 'carol'" in reply.text
    assert admins(core) == ()
    handler.handle(MALLORY, "/recap join")  # whoever takes the name later gains nothing
    assert not handler.handle(MALLORY, "/recap setup every=2").ok


@pytest.mark.parametrize("typed", ["<@U0CAROL>", "<@U0CAROL|carol>", "@U0CAROL", "U0CAROL"])
def test_mentions_and_ids_match_the_id_exactly(handler, core, typed):
    handler.handle(MALLORY, "/recap join")
    handler.handle(CAROL, "/recap join")
    assert handler.handle(LEAD, f"/recap setup admins={typed}").ok
    assert admins(core) == ("U0CAROL",)


def test_a_mention_of_someone_who_is_not_a_member_is_refused(handler, core):
    reply = handler.handle(LEAD, "/recap setup admins=<@U0GHOST>")
    assert not reply.ok and "is not a member of Research group" in reply.text
    assert admins(core) == ()


def test_history_uses_the_same_resolver(handler, core):
    handler.handle(MALLORY, "/recap join")
    handler.handle(CAROL, "/recap join")
    handler.handle(MALLORY, '/recap submit --progress "mallory was here"')
    handler.handle(CAROL, '/recap submit --progress "carol\'s work"')
    ambiguous = handler.handle(LEAD, "/recap history carol")
    assert not ambiguous.ok and "U0MAL" in ambiguous.text and "U0CAROL" in ambiguous.text
    by_id = handler.handle(LEAD, "/recap history U0CAROL")
    assert by_id.ok and "carol's work" in by_id.text and "mallory" not in by_id.text
    by_mention = handler.handle(LEAD, "/recap history <@U0MAL>")
    assert by_mention.ok and "mallory was here" in by_mention.text


def test_migration_keeps_only_member_ids_in_admins(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0003")
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    with engine.begin() as conn:
        team_id = conn.execute(insert(t.teams).values(
            workspace=WS.key, name="Lab", timezone="UTC", created_at=now, updated_at=now,
            admins="U0CAROL,carol,U0GHOST,U0CAROL")).inserted_primary_key[0]
        conn.execute(insert(t.members).values(team_id=team_id, user_ref="U0CAROL", display_name="Carol",
                                              joined_at=now))
        other = conn.execute(insert(t.teams).values(
            workspace="slack:T2", name="Other", timezone="UTC", created_at=now, updated_at=now,
            admins="U0CAROL")).inserted_primary_key[0]
    upgrade(engine)
    with engine.connect() as conn:
        stored = dict(conn.execute(select(t.teams.c.id, t.teams.c.admins)).all())
    engine.dispose()
    assert stored == {team_id: "U0CAROL", other: ""}  # carol is no member of the other team


def test_migration_runs_on_both_backends(engine):
    """The revision's own upgrade() on a migrated database of each backend (SQLite, PostgreSQL)."""
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    with engine.begin() as conn:
        team_id = conn.execute(insert(t.teams).values(
            workspace=WS.key, name="Lab", timezone="UTC", created_at=now, updated_at=now)).inserted_primary_key[0]
        conn.execute(insert(t.members).values(team_id=team_id, user_ref="U0CAROL", display_name="Carol",
                                              joined_at=now))
        conn.execute(update(t.teams).values(admins="carol,U0CAROL"))
    path = migrations_dir() / "versions" / "0005_admins_by_user_id.py"
    spec = importlib.util.spec_from_file_location("migration_0005", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        module.upgrade()
    with engine.connect() as conn:
        assert conn.execute(select(t.teams.c.admins)).scalar_one() == "U0CAROL"
