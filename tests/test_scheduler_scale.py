"""A start reads every group in a few queries and writes nothing when nothing is due (bench/scheduler_scale.py
measures the time and memory with 10,000 groups)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event

from tests.conftest import person
from tests.test_scheduler import DIGEST_AT, MEETING, REMINDER_AT, FakeChat, run_at, scheduler, setup_team, submit

WRITES = ("INSERT", "UPDATE", "DELETE")


class Statements:
    def __init__(self, engine):
        self.seen: list[str] = []
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        self.seen.append(statement.lstrip().split(None, 1)[0].upper())

    def during(self):
        self.seen.clear()
        return self

    @property
    def writes(self) -> int:
        return sum(1 for kind in self.seen if kind in WRITES)


def more_teams(repo, first, count: int) -> None:
    """Groups with the first one's schedule and channel, each with one member."""
    for i in range(count):
        team = repo.create_team(first.workspace, f"Lab {i}", first.timezone, first.created_at)
        repo.update_team(team.id, {"meeting_weekday": first.schedule.weekday, "meeting_time": "10:00",
                                   "channel": f"#lab{i}"}, first.created_at)
        repo.create_member(team.id, f"member{i}", f"member {i}", None, first.created_at)


async def test_a_restart_with_nothing_due_writes_nothing_in_as_many_queries_for_more_groups(core, repo, engine, clock):
    team = setup_team(core)
    core.teams.member_for(person("bob"))
    submit(core, "alice")
    chat = FakeChat()
    statements = Statements(engine)
    first = scheduler(core, engine, chat, clock, replica="a")
    await run_at(first, clock, REMINDER_AT)     # bob is reminded
    await run_at(first, clock, DIGEST_AT)       # the digest goes out
    assert len(chat.digests) == 1 and len(chat.reminders) == 1

    clock.set(DIGEST_AT + timedelta(minutes=1))
    with_one = statements.during()
    await scheduler(core, engine, chat, clock, replica="b").start(aps=False)
    one_group = list(with_one.seen)
    assert with_one.writes == 0 and len(chat.digests) == 1

    more_teams(repo, team, 4)
    clock.set(REMINDER_AT)  # the new groups' members are reminded, then their digests go out
    await scheduler(core, engine, chat, clock, replica="c").start(aps=False)
    clock.set(DIGEST_AT)
    await scheduler(core, engine, chat, clock, replica="c").start(aps=False)
    assert len(chat.digests) == 5

    clock.set(DIGEST_AT + timedelta(minutes=2))
    with_five = statements.during()
    await scheduler(core, engine, chat, clock, replica="d").start(aps=False)
    assert with_five.writes == 0 and len(chat.digests) == 5
    assert with_five.seen == one_group  # the same queries, whatever the number of groups
    assert len(one_group) <= 10 and MEETING > clock.now()
