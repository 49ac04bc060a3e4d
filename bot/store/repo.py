"""The SQLAlchemy implementation of the core's Repository port.

Plain SQLAlchemy Core (no ORM sessions), returning the core's frozen dataclasses.
Each method is one short transaction of its own, or part of the unit of work the
core runs it in (`unit`, store/unit.py): then every call shares one connection.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Integer, Table, and_, bindparam, delete, exists, false, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.sql import Insert, Select
from sqlalchemy.exc import IntegrityError

from ..core.model import (
    Away, Feedback, Figure, GroupQuestion, Member, Milestone, QuestionVersion, Recap, Schedule, SearchHit, SearchQuery,
    Team, Workspace,
)
from . import tables as t
from . import unit
from .search import engine_for

T = TypeVar("T")


def _team(row: Row, skipped: frozenset[date]) -> Team:
    schedule = None
    if row.meeting_weekday is not None and row.meeting_time:
        hh, mm = row.meeting_time.split(":")
        schedule = Schedule(
            weekday=row.meeting_weekday,
            at=time(int(hh), int(mm)),
            timezone=row.timezone,
            every_weeks=row.every_weeks,
            anchor=row.anchor_date,
            digest_lead=timedelta(minutes=row.digest_lead_minutes),
            reminder_lead=timedelta(minutes=row.reminder_lead_minutes),
        )
    admins = tuple(a for a in (row.admins or "").split(",") if a)
    return Team(
        id=row.id,
        workspace=Workspace.parse(row.workspace),  # stored as its key, "slack:T0123"
        name=row.name,
        timezone=row.timezone,
        channel=row.channel,
        schedule=schedule,
        north_star=row.north_star,
        admins=admins,
        skipped=skipped,
        created_at=row.created_at,
        member_role=row.member_role,
    )


def _member(row: Row) -> Member:
    return Member(
        id=row.id,
        team_id=row.team_id,
        user_ref=row.user_ref,
        display_name=row.display_name,
        timezone=row.timezone,
        joined_at=row.joined_at,
        left_at=row.left_at,
    )


# A submission's two writes, built once with their parameters named (they are the hot path). A first
# recap is INSERT ... SELECT ... WHERE NOT EXISTS: plain SQL, which SQLAlchemy compiles once (an ON
# CONFLICT insert is compiled anew at every call).
_NEW_RECAP = ("team_id", "member_id", "meeting_at", "question", "question_changed", "progress", "failures",
              "questions", "plan", "figuring_it_out", "late", "streak", "submitted_at", "updated_at")
_INSERT_RECAP = insert(t.recaps).from_select(
    _NEW_RECAP,
    select(*(bindparam(name, type_=t.recaps.c[name].type) for name in _NEW_RECAP)).where(~exists().where(
        t.recaps.c.member_id == bindparam("member_id"), t.recaps.c.meeting_at == bindparam("meeting_at"))),
).returning(*t.recaps.c)
_SET_STREAK = (update(t.members)
               .where(t.members.c.id == bindparam("s_member"),
                      or_(t.members.c.streak_meeting_at.is_(None), t.members.c.streak_meeting_at <= bindparam("s_meeting")))
               .values(streak=bindparam("s_streak"), streak_meeting_at=bindparam("s_meeting")))

# Member's fields in order (not the stored streak: stored_streaks reads that).
_MEMBER_COLUMNS = [t.members.c[name] for name in
                   ("id", "team_id", "user_ref", "display_name", "timezone", "joined_at", "left_at")]

# Which group a command means (core/groups.py) needs the workspace's teams with their skipped
# days and the person's membership rows: one statement, one row per team and skipped day, the
# membership's columns last (every command runs it, so it is built once).
_WORKSPACE_SCOPE = (
    select(t.teams, t.skipped_meetings.c.meeting_date, *(c.label(f"member_{c.name}") for c in _MEMBER_COLUMNS))
    .outerjoin(t.skipped_meetings, t.skipped_meetings.c.team_id == t.teams.c.id)
    .outerjoin(t.members, and_(t.members.c.team_id == t.teams.c.id, t.members.c.user_ref == bindparam("user_ref")))
    .where(t.teams.c.workspace == bindparam("workspace"))
    .order_by(t.teams.c.id)
)

# The reads of every submission, built once (SQLAlchemy then finds them compiled in its cache
# without building the query first).
_CURRENT_QUESTIONS = (select(t.member_questions.c.text, t.member_questions.c.set_at)
                      .where(t.member_questions.c.member_id == bindparam("member_id"))
                      .order_by(t.member_questions.c.set_at.desc(), t.member_questions.c.id.desc())
                      .limit(bindparam("limit", type_=Integer)))
_RECENT_RECAPS = (select(t.recaps).where(t.recaps.c.member_id == bindparam("member_id"))
                  .order_by(t.recaps.c.meeting_at.desc()).limit(bindparam("limit", type_=Integer)))
_RECENT_RECAPS_UNTIL = _RECENT_RECAPS.where(t.recaps.c.meeting_at <= bindparam("until"))


def _recap(row: Row) -> Recap:
    return Recap(
        id=row.id,
        team_id=row.team_id,
        member_id=row.member_id,
        meeting_at=row.meeting_at,
        question=row.question,
        question_changed=bool(row.question_changed),
        progress=row.progress,
        failures=row.failures,
        questions=row.questions,
        figuring_it_out=bool(row.figuring_it_out),
        late=bool(row.late),
        streak=row.streak,
        submitted_at=row.submitted_at,
        updated_at=row.updated_at,
        plan=row.plan,
    )


def _milestone(row: Row) -> Milestone:
    """From a row of `milestones` (its columns in order; a digest reads one or two per member)."""
    mid, member_id, number, title, due, created_at, done_at, dropped_at = row[:8]
    return Milestone(mid, member_id, number, title, due, created_at, done_at, dropped_at)


def _group_question(row: Row) -> GroupQuestion:
    """From the columns `group_questions` selects, by position (a digest reads thousands)."""
    qid, team_id, number, recap_id, text, closed_at, member_id, meeting_at, asker, *answer = row
    answered_by, note = answer or (None, "")
    return GroupQuestion(qid, team_id, number, recap_id, member_id, asker, text, meeting_at, closed_at,
                         answered_by, note or "")
def _figure(row: Row) -> Figure:
    return Figure(id=row.id, recap_id=row.recap_id, member_id=row.member_id, team_id=row.team_id,
                  position=row.position, caption=row.caption, mime=row.mime, width=row.width,
                  height=row.height, size=row.size)


def _away(row: Row) -> Away:
    return Away(member_id=row.member_id, start=row.start_date, until=row.end_date, reason=row.reason)


_TEAM_FIELDS = {
    "name", "timezone", "channel", "meeting_weekday", "meeting_time", "every_weeks",
    "anchor_date", "digest_lead_minutes", "reminder_lead_minutes", "north_star", "admins", "member_role",
}


# Forgets one person's rows in tables the store does not own (an adapter's, such as Slack's
# installations) inside forget-me's transaction: (connection, workspace, user_ref) -> counts by kind.
Forgetter = Callable[[Connection, Workspace, str], dict[str, int]]


class SqlRepository:
    def __init__(self, engine: Engine, forgetters: Sequence[Forgetter] = ()):
        self.engine = engine
        self.forgetters = tuple(forgetters)

    # -- units of work (store/unit.py) ----------------------------------------------
    def unit(self, work: Callable[[], T]) -> T:
        """`work()` on one connection and transaction, retried once on a lost connection."""
        return unit.run(self.engine, work)

    def _connect(self):
        return unit.connect(self.engine)

    def _begin(self, savepoint: bool = False):
        return unit.begin(self.engine, savepoint)

    # -- teams ---------------------------------------------------------------
    def _load_team(self, conn, row: Row | None) -> Team | None:
        return self._load_teams(conn, [row])[0] if row is not None else None

    def _load_teams(self, conn, rows: Sequence[Row], every: bool = False) -> list[Team]:
        """Several teams with their skipped days in one more query, whatever their number
        (`every`: the rows are all the teams, so all skipped days are read, with no id list)."""
        if not rows:
            return []
        s = t.skipped_meetings
        days: dict[int, set[date]] = {row.id: set() for row in rows}
        query = select(s.c.team_id, s.c.meeting_date)
        for team_id, day in conn.execute(query if every else query.where(s.c.team_id.in_(list(days)))):
            if team_id in days:
                days[team_id].add(day)
        return [_team(row, frozenset(days[row.id])) for row in rows]

    def get_team(self, team_id: int) -> Team | None:
        with self._connect() as conn:
            row = conn.execute(select(t.teams).where(t.teams.c.id == team_id)).first()
            return self._load_team(conn, row)

    def find_team(self, key: str) -> Team | None:
        """A team by id or by name (case-insensitive)."""
        with self._connect() as conn:
            query = select(t.teams).where(func.lower(t.teams.c.name) == key.lower())
            if key.isascii() and key.isdigit() and len(key) < 19:  # an id fits a BIGINT
                query = select(t.teams).where(t.teams.c.id == int(key))
            row = conn.execute(query.order_by(t.teams.c.id).limit(1)).first()
            return self._load_team(conn, row)

    def get_teams(self, team_ids: Sequence[int]) -> list[Team]:
        """The teams of these ids that exist, in id order: two queries per 5,000 ids."""
        ids = sorted(set(team_ids))
        teams: list[Team] = []
        with self._connect() as conn:
            for k in range(0, len(ids), 5000):
                rows = conn.execute(select(t.teams).where(t.teams.c.id.in_(ids[k:k + 5000]))
                                    .order_by(t.teams.c.id)).all()
                teams += self._load_teams(conn, rows)
        return teams

    def list_teams(self) -> list[Team]:
        with self._connect() as conn:
            return self._load_teams(conn, conn.execute(select(t.teams).order_by(t.teams.c.id)).all(), every=True)

    def create_team(self, workspace: Workspace, name: str, timezone: str, now: datetime,
                    channel: str | None = None) -> Team | None:
        """A new group; None when the workspace already has one of that name."""
        try:
            with self._begin(savepoint=True) as conn:
                team_id = conn.execute(
                    insert(t.teams).values(
                        workspace=workspace.key, name=name, timezone=timezone, channel=channel,
                        created_at=now, updated_at=now,
                    ).returning(t.teams.c.id)
                ).scalar_one()
        except IntegrityError:
            return None
        return self.get_team(team_id)

    def delete_team(self, team_id: int) -> dict[str, int]:
        """A group and every row that hangs off it, in one transaction; the count per table."""
        counts: dict[str, int] = {}
        with self._begin() as conn:
            for table, where in reversed(_owned(t.teams, t.teams.c.id == team_id)):
                counts[table.name] = conn.execute(delete(table).where(where)).rowcount
        return {name: n for name, n in counts.items() if n}

    def count_team_records(self, team_id: int) -> dict[str, int]:
        with self._connect() as conn:
            counts = {table.name: conn.execute(select(func.count()).select_from(table).where(where)).scalar_one()
                      for table, where in _owned(t.teams, t.teams.c.id == team_id)}
        return {name: n for name, n in counts.items() if n}

    def update_team(self, team_id: int, changes: dict[str, Any], now: datetime) -> Team:
        unknown = set(changes) - _TEAM_FIELDS
        if unknown:
            raise KeyError(f"not team fields: {sorted(unknown)}")
        with self._begin() as conn:
            conn.execute(update(t.teams).where(t.teams.c.id == team_id).values(**changes, updated_at=now))
        team = self.get_team(team_id)
        assert team is not None
        return team

    def add_skip(self, team_id: int, day: date, now: datetime) -> bool:
        try:
            with self._begin(savepoint=True) as conn:
                conn.execute(insert(t.skipped_meetings).values(team_id=team_id, meeting_date=day, created_at=now))
            return True
        except IntegrityError:
            return False

    # -- members -------------------------------------------------------------
    def get_member(self, team_id: int, user_ref: str) -> Member | None:
        with self._connect() as conn:
            row = conn.execute(
                select(t.members).where(t.members.c.team_id == team_id, t.members.c.user_ref == user_ref)
            ).first()
        return _member(row) if row else None

    def get_member_by_id(self, member_id: int) -> Member | None:
        with self._connect() as conn:
            row = conn.execute(select(t.members).where(t.members.c.id == member_id)).first()
        return _member(row) if row else None

    def list_members(self, team_id: int) -> list[Member]:
        with self._connect() as conn:
            rows = conn.execute(select(*_MEMBER_COLUMNS).where(t.members.c.team_id == team_id)
                                .order_by(t.members.c.id))
            return [Member(*r) for r in rows]  # by position: a digest reads hundreds

    def create_member(
        self, team_id: int, user_ref: str, display_name: str, tz: str | None, now: datetime
    ) -> Member:
        try:
            with self._begin(savepoint=True) as conn:
                conn.execute(
                    insert(t.members).values(
                        team_id=team_id, user_ref=user_ref, display_name=display_name,
                        timezone=tz, joined_at=now,
                    )
                )
        except IntegrityError:
            pass  # joined concurrently through another request
        member = self.get_member(team_id, user_ref)
        assert member is not None
        return member

    def workspace_scope(self, workspace: Workspace, user_ref: str) -> tuple[list[Team], list[Member]]:
        """The workspace's teams (by id) and the person's membership rows in them (left ones
        too): what `workspace_teams` and `user_memberships` return, in one query."""
        with self._connect() as conn:
            rows = conn.execute(_WORKSPACE_SCOPE, {"workspace": workspace.key, "user_ref": user_ref}).all()
        firsts: dict[int, Row] = {}
        skipped: dict[int, set[date]] = {}
        members: list[Member] = []
        for row in rows:
            if row.id not in firsts:
                firsts[row.id], skipped[row.id] = row, set()
                member = row[-len(_MEMBER_COLUMNS):]
                if member[0] is not None:
                    members.append(Member(*member))
            if row.meeting_date is not None:
                skipped[row.id].add(row.meeting_date)
        return [_team(row, frozenset(skipped[team_id])) for team_id, row in firsts.items()], members

    def user_memberships(self, workspace: Workspace, user_ref: str) -> list[Member]:
        """Every membership row of one person in one workspace (left ones too), by group id."""
        with self._connect() as conn:
            rows = conn.execute(select(t.members).where(_user_members(workspace, user_ref))
                                .order_by(t.members.c.team_id))
            return [_member(r) for r in rows]

    def update_member(self, member_id: int, changes: dict[str, Any]) -> Member:
        allowed = {"display_name", "timezone", "joined_at", "left_at"}
        if set(changes) - allowed:
            raise KeyError(f"not member fields: {sorted(set(changes) - allowed)}")
        with self._begin() as conn:
            conn.execute(update(t.members).where(t.members.c.id == member_id).values(**changes))
        member = self.get_member_by_id(member_id)
        assert member is not None
        return member

    # -- big-picture questions ---------------------------------------------------
    def current_question(self, member_id: int) -> QuestionVersion | None:
        history = self.question_history(member_id, 1)
        return history[0] if history else None

    def add_question(self, member_id: int, text: str, now: datetime) -> QuestionVersion:
        with self._begin() as conn:
            conn.execute(insert(t.member_questions).values(member_id=member_id, text=text, set_at=now))
        return QuestionVersion(text=text, set_at=now)

    def question_history(self, member_id: int, limit: int) -> list[QuestionVersion]:
        with self._connect() as conn:
            rows = conn.execute(_CURRENT_QUESTIONS, {"member_id": member_id, "limit": limit})
            return [QuestionVersion(text=text, set_at=set_at) for text, set_at in rows]

    # -- recaps --------------------------------------------------------------
    def get_recap(self, member_id: int, meeting_at: datetime) -> Recap | None:
        r = t.recaps
        with self._connect() as conn:
            row = conn.execute(select(r).where(r.c.member_id == member_id, r.c.meeting_at == meeting_at)).first()
        return _recap(row) if row else None

    def save_recap(self, recap: Recap, agenda: Sequence[str] = (),
                   milestones_done: Sequence[int] = (), replacing: bool = False) -> tuple[Recap, bool]:
        """Insert this cycle's recap, or replace it; returns (stored, replaced).

        A replacement keeps the first submission time and the streak; a new recap becomes
        the member's stored streak (members.streak). In the same transaction, the recap's
        agenda lines become its group questions (see `_sync_questions`) and the milestones
        ticked in the form (by id) are marked done. `replacing` (the caller saw this cycle's
        recap) only decides which statement is tried first: either way a concurrent first
        submission is replaced, never duplicated.
        """
        r = t.recaps
        values = dict(
            question=recap.question, question_changed=recap.question_changed,
            progress=recap.progress, failures=recap.failures, questions=recap.questions, plan=recap.plan,
            figuring_it_out=recap.figuring_it_out, late=recap.late, updated_at=recap.updated_at,
        )
        new = dict(values, team_id=recap.team_id, member_id=recap.member_id, meeting_at=recap.meeting_at,
                   streak=recap.streak, submitted_at=recap.submitted_at)

        def set_streak(streak: int) -> None:
            conn.execute(_SET_STREAK, dict(s_member=recap.member_id, s_streak=streak, s_meeting=recap.meeting_at))

        def first_version() -> Row | None:
            # The member's row first: locked until the commit, so a concurrent first submission by
            # the same member waits, then finds this recap there (NOT EXISTS) and replaces it.
            set_streak(recap.streak)
            return conn.execute(_INSERT_RECAP, new).first()

        with self._begin() as conn:
            row = None if replacing else first_version()  # None: there is one already
            inserted = row is not None
            if row is None:
                key = and_(r.c.member_id == recap.member_id, r.c.meeting_at == recap.meeting_at)
                row = conn.execute(update(r).where(key).values(**values).returning(*r.c)).first()
                if row is not None and not replacing and row.streak != recap.streak:
                    set_streak(row.streak)  # the stored streak is the kept recap's
            if row is None:  # it was deleted since the caller looked
                row, inserted = first_version(), True
                if row is None:
                    raise AssertionError("this cycle's recap is both there and not there")
            _sync_questions(conn, row.id, recap.team_id, list(agenda), recap.updated_at, fresh=inserted)
            if milestones_done:
                m = t.milestones
                conn.execute(update(m).where(m.c.member_id == recap.member_id, m.c.id.in_(list(milestones_done)),
                                             m.c.done_at.is_(None), m.c.dropped_at.is_(None))
                             .values(done_at=recap.updated_at))
        return _recap(row), not inserted

    def stored_streaks(self, team_id: int) -> dict[int, tuple[int, datetime]]:
        """Per member with a recap: the streak of their latest recap and its meeting (members.streak)."""
        m = t.members
        with self._connect() as conn:
            rows = conn.execute(select(m.c.id, m.c.streak, m.c.streak_meeting_at)
                                .where(m.c.team_id == team_id, m.c.streak_meeting_at.is_not(None)))
            return {member_id: (streak, meeting_at) for member_id, streak, meeting_at in rows}

    def get_recap_by_id(self, recap_id: int) -> Recap | None:
        with self._connect() as conn:
            row = conn.execute(select(t.recaps).where(t.recaps.c.id == recap_id)).first()
        return _recap(row) if row else None

    def previous_plans(self, team_id: int, before: datetime) -> dict[int, str]:
        """Each member's plan from their latest recap before `before` (members with one only).

        One query, one index seek per member on (member_id, meeting_at)."""
        r, m, older = t.recaps, t.members, t.recaps.alias("older")
        latest = (select(func.max(older.c.meeting_at))
                  .where(older.c.member_id == m.c.id, older.c.meeting_at < before).scalar_subquery())
        query = (select(r.c.member_id, r.c.plan)
                 .select_from(m.join(r, and_(r.c.member_id == m.c.id, r.c.meeting_at == latest)))
                 .where(m.c.team_id == team_id))
        with self._connect() as conn:
            return {row.member_id: row.plan for row in conn.execute(query) if row.plan}

    def move_recaps(self, team_id: int, from_meeting: datetime, to_meeting: datetime) -> int:
        """Refile a cancelled meeting's recaps under the next one (unless already there)."""
        r = t.recaps
        taken = select(r.c.member_id).where(r.c.team_id == team_id, r.c.meeting_at == to_meeting)
        m = t.members
        with self._begin() as conn:
            moved = conn.execute(
                update(r)
                .where(r.c.team_id == team_id, r.c.meeting_at == from_meeting, r.c.member_id.not_in(taken))
                .values(meeting_at=to_meeting)
            ).rowcount
            # A member whose latest recap was at from_meeting has it at to_meeting now (moved, or
            # kept there: a member with both had to_meeting's as the latest already).
            conn.execute(update(m).where(m.c.team_id == team_id, m.c.streak_meeting_at == from_meeting)
                         .values(streak_meeting_at=to_meeting))
            return moved

    def latest_recap_before(
        self, member_id: int, before: datetime, not_before: datetime | None = None
    ) -> Recap | None:
        r = t.recaps
        query = select(r).where(r.c.member_id == member_id, r.c.meeting_at < before)
        if not_before is not None:
            query = query.where(r.c.meeting_at >= not_before)
        with self._connect() as conn:
            row = conn.execute(query.order_by(r.c.meeting_at.desc()).limit(1)).first()
        return _recap(row) if row else None

    def recaps_for_meeting(self, team_id: int, meeting_at: datetime) -> list[Recap]:
        r = t.recaps
        with self._connect() as conn:
            rows = conn.execute(select(r).where(r.c.team_id == team_id, r.c.meeting_at == meeting_at))
            return [_recap(row) for row in rows]

    def meeting_writers(self, team_id: int, meeting_at: datetime) -> set[int]:
        """Who wrote for one meeting: member ids only, none of the recaps' text (for /recap status)."""
        r = t.recaps
        with self.engine.connect() as conn:
            return set(conn.execute(select(r.c.member_id).where(r.c.team_id == team_id,
                                                                r.c.meeting_at == meeting_at)).scalars())

    def recaps_between(self, team_id: int, start: datetime, end: datetime) -> list[Recap]:
        """Recaps with start <= meeting_at < end (index range on team, meeting)."""
        r = t.recaps
        with self._connect() as conn:
            rows = conn.execute(
                select(r).where(r.c.team_id == team_id, r.c.meeting_at >= start, r.c.meeting_at < end)
            )
            return [_recap(row) for row in rows]

    def recent_recaps(self, member_id: int, limit: int, until: datetime | None = None) -> list[Recap]:
        query = _RECENT_RECAPS if until is None else _RECENT_RECAPS_UNTIL
        with self._connect() as conn:
            rows = conn.execute(query, {"member_id": member_id, "limit": limit, "until": until})
            return [_recap(row) for row in rows]

    # -- milestones ------------------------------------------------------------
    def add_milestone(self, member_id: int, title: str, due: date, now: datetime, max_open: int) -> Milestone | None:
        """A new open milestone numbered after the member's last; None when `max_open` are open already."""
        m = t.milestones
        with self._begin() as conn:
            open_now = conn.execute(select(func.count()).select_from(m).where(
                m.c.member_id == member_id, m.c.done_at.is_(None), m.c.dropped_at.is_(None))).scalar_one()
            if open_now >= max_open:
                return None
            [number] = _insert_numbered(conn, m, m.c.member_id, member_id,
                                        [dict(member_id=member_id, title=title, due_date=due, created_at=now)])
            row = conn.execute(select(m).where(m.c.member_id == member_id, m.c.number == number)).one()
        return _milestone(row)

    def milestones(self, member_id: int, closed_since: datetime | None = None) -> list[Milestone]:
        """The member's open milestones (due first), and those done or dropped since `closed_since`."""
        m = t.milestones
        is_open = and_(m.c.done_at.is_(None), m.c.dropped_at.is_(None))
        where = is_open if closed_since is None else or_(is_open, m.c.done_at >= closed_since,
                                                         m.c.dropped_at >= closed_since)
        with self._connect() as conn:
            rows = conn.execute(select(m).where(m.c.member_id == member_id, where)
                                .order_by(m.c.due_date, m.c.number))
            return [_milestone(row) for row in rows]

    def get_milestone(self, member_id: int, number: int) -> Milestone | None:
        m = t.milestones
        with self._connect() as conn:
            row = conn.execute(select(m).where(m.c.member_id == member_id, m.c.number == number)).first()
        return _milestone(row) if row else None

    def close_milestone(self, milestone_id: int, how: str, now: datetime) -> bool:
        """Mark an open milestone done or dropped (`how`); False if it was not open any more."""
        if how not in ("done", "dropped"):
            raise ValueError(how)
        m = t.milestones
        with self._begin() as conn:
            return bool(conn.execute(
                update(m).where(m.c.id == milestone_id, m.c.done_at.is_(None), m.c.dropped_at.is_(None))
                .values({f"{how}_at": now})).rowcount)

    def team_milestones(self, team_id: int, since: datetime) -> list[Milestone]:
        """For a digest: each member's open milestone due first, and those reached since `since`."""
        m, mem = t.milestones, t.members
        is_open = m.c.done_at.is_(None)
        ranked = (select(m, func.row_number().over(partition_by=(m.c.member_id, is_open),
                                                   order_by=(m.c.due_date, m.c.number)).label("rank"))
                  .join(mem, mem.c.id == m.c.member_id)
                  .where(mem.c.team_id == team_id, m.c.dropped_at.is_(None), or_(is_open, m.c.done_at >= since))
                  .subquery())
        with self._connect() as conn:
            rows = conn.execute(select(ranked).where(or_(ranked.c.done_at.is_not(None), ranked.c.rank == 1))
                                .order_by(ranked.c.member_id, ranked.c.due_date, ranked.c.number))
            return [_milestone(row) for row in rows]

    # -- group questions -----------------------------------------------------------
    def group_questions(self, team_id: int, *, number: int | None = None, question_id: int | None = None,
                        meetings: tuple[datetime, datetime] | None = None, open_only: bool = False,
                        answers: bool = True, open_before: datetime | None = None) -> list[GroupQuestion]:
        """A group's questions: by number or id, of the meetings in [start, end) (with `open_before`:
        those of meetings before it only if open), or all open ones; oldest meeting first, then in
        the order they were asked. `answers`: with who closed each and their note (a digest needs neither)."""
        q, r, mem, a = t.group_questions, t.recaps, t.members, t.question_answers
        columns = [q.c.id, q.c.team_id, q.c.number, q.c.recap_id, q.c.text, q.c.closed_at, r.c.member_id,
                   r.c.meeting_at, mem.c.display_name.label("asker")]
        query = select(*columns).join(r, r.c.id == q.c.recap_id).join(mem, mem.c.id == r.c.member_id)
        if answers:
            latest = (select(a.c.question_id, func.max(a.c.id).label("answer_id")).group_by(a.c.question_id)
                      .subquery())
            answerer = t.members.alias("answerer")
            query = (query.add_columns(answerer.c.display_name.label("answered_by"), a.c.note)
                     .outerjoin(latest, latest.c.question_id == q.c.id)
                     .outerjoin(a, a.c.id == latest.c.answer_id)
                     .outerjoin(answerer, answerer.c.id == a.c.member_id))
        if meetings is not None:  # found through the recaps' (team, meeting) index, whatever the history
            query = query.where(r.c.team_id == team_id, r.c.meeting_at >= meetings[0], r.c.meeting_at < meetings[1])
            if open_before is not None:  # of meetings before this one, only those still open
                query = query.where(or_(q.c.closed_at.is_(None), r.c.meeting_at >= open_before))
        else:
            query = query.where(q.c.team_id == team_id)
        if number is not None:
            query = query.where(q.c.number == number)
        if question_id is not None:
            query = query.where(q.c.id == question_id)
        if open_only:
            query = query.where(q.c.closed_at.is_(None))
        with self._connect() as conn:
            rows = conn.execute(query.order_by(r.c.meeting_at, mem.c.display_name, r.c.member_id, q.c.position))
            return [_group_question(row) for row in rows]

    def question_team(self, question_id: int) -> int | None:
        q = t.group_questions
        with self._connect() as conn:
            return conn.execute(select(q.c.team_id).where(q.c.id == question_id)).scalar_one_or_none()

    def close_group_question(self, question_id: int, member_id: int | None, note: str, now: datetime) -> bool:
        """Close an open question, recording who (a member) and their note; False if it was closed already."""
        q = t.group_questions
        with self._begin() as conn:
            closed = conn.execute(update(q).where(q.c.id == question_id, q.c.closed_at.is_(None))
                                  .values(closed_at=now)).rowcount
            if closed and member_id is not None:
                conn.execute(insert(t.question_answers).values(question_id=question_id, member_id=member_id,
                                                               note=note, answered_at=now))
        return bool(closed)

    # -- feedback ------------------------------------------------------------------
    def add_feedback(self, recap_id: int, member_id: int, text: str, now: datetime) -> Feedback:
        f = t.recap_feedback
        with self._begin() as conn:
            new_id = conn.execute(insert(f).values(recap_id=recap_id, member_id=member_id, text=text, given_at=now)
                                  .returning(f.c.id)).scalar_one()
            return self._feedback(conn, f.c.id == new_id)[0]

    def feedback_on(self, recap_ids: Sequence[int]) -> list[Feedback]:
        with self._connect() as conn:
            return self._feedback(conn, t.recap_feedback.c.recap_id.in_(list(recap_ids)))

    def recent_feedback(self, member_id: int, limit: int) -> list[Feedback]:
        """Feedback on the member's recaps, newest first."""
        with self._connect() as conn:
            return self._feedback(conn, t.recaps.c.member_id == member_id, limit)

    @staticmethod
    def _feedback(conn, where, limit: int | None = None) -> list[Feedback]:
        f, r, giver = t.recap_feedback, t.recaps, t.members
        query = (select(f, r.c.member_id.label("owner"), r.c.meeting_at, giver.c.display_name.label("giver"))
                 .join(r, r.c.id == f.c.recap_id).join(giver, giver.c.id == f.c.member_id)
                 .where(where).order_by(f.c.given_at.desc(), f.c.id.desc()))
        if limit is not None:
            query = query.limit(limit)
        return [Feedback(id=row.id, recap_id=row.recap_id, member_id=row.owner, giver=row.giver, text=row.text,
                         given_at=row.given_at, meeting_at=row.meeting_at) for row in conn.execute(query)]

    # -- search ----------------------------------------------------------------------
    def search(self, team_id: int, terms: SearchQuery, limit: int, offset: int = 0) -> list[SearchHit]:
        """Ranked full-text search over the group's recaps, feedback and answered questions."""
        with self._connect() as conn:
            return engine_for(self.engine.dialect.name).search(conn, team_id, terms, limit, offset)
    def meetings_held(self, team_id: int, before: datetime | None = None) -> list[datetime]:
        """Meetings with a recap or a digest posted, newest first."""
        r, d = t.recaps, t.digest_posts
        recaps = select(r.c.meeting_at.label("meeting_at")).where(r.c.team_id == team_id)
        posted = select(d.c.meeting_at.label("meeting_at")).where(d.c.team_id == team_id, d.c.status == "posted")
        if before is not None:
            recaps, posted = recaps.where(r.c.meeting_at < before), posted.where(d.c.meeting_at < before)
        with self._connect() as conn:
            found = set(conn.execute(recaps.union(posted)).scalars())
        # SQLite hands back a UNION's datetimes raw: the column type's conversion applies to both.
        return sorted((t.UTCDateTime().process_result_value(m, None) if m.tzinfo is None else m for m in found),
                      reverse=True)

    # -- figures -------------------------------------------------------------
    def replace_figures(self, recap: Recap, figures: list[Figure], now: datetime) -> tuple[list[Figure], list[Figure]]:
        f = t.recap_figures
        with self._begin() as conn:
            old = [_figure(row) for row in conn.execute(select(f).where(f.c.recap_id == recap.id))]
            conn.execute(delete(f).where(f.c.recap_id == recap.id))
            for position, figure in enumerate(figures, 1):
                conn.execute(insert(f).values(
                    recap_id=recap.id, member_id=recap.member_id, team_id=recap.team_id, position=position,
                    caption=figure.caption, mime=figure.mime, width=figure.width, height=figure.height,
                    size=figure.size, created_at=now,
                ))
            stored = [_figure(row) for row in conn.execute(
                select(f).where(f.c.recap_id == recap.id).order_by(f.c.position))]
        return stored, old

    def delete_figures(self, figure_ids: list[int]) -> None:
        with self._begin() as conn:
            conn.execute(delete(t.recap_figures).where(t.recap_figures.c.id.in_(figure_ids)))

    def figures_for(self, recap_ids: list[int]) -> dict[int, list[Figure]]:
        f = t.recap_figures
        found: dict[int, list[Figure]] = {}
        with self._connect() as conn:
            for start in range(0, len(recap_ids), 500):  # bounded IN lists
                rows = conn.execute(select(f).where(f.c.recap_id.in_(recap_ids[start:start + 500]))
                                    .order_by(f.c.recap_id, f.c.position))
                for row in rows:
                    found.setdefault(row.recap_id, []).append(_figure(row))
        return found

    def get_figure(self, figure_id: int) -> Figure | None:
        with self._connect() as conn:
            row = conn.execute(select(t.recap_figures).where(t.recap_figures.c.id == figure_id)).first()
        return _figure(row) if row else None

    # -- away ----------------------------------------------------------------
    def add_away(self, away: Away, now: datetime) -> Away:
        with self._begin() as conn:
            conn.execute(
                insert(t.away_periods).values(
                    member_id=away.member_id, start_date=away.start, end_date=away.until,
                    reason=away.reason, created_at=now,
                )
            )
        return away

    def end_away(self, member_id: int, today: date) -> int:
        """End every away period still running on `today`; drop future ones."""
        a = t.away_periods
        yesterday = today - timedelta(days=1)
        with self._begin() as conn:
            future = conn.execute(
                a.delete().where(a.c.member_id == member_id, a.c.start_date >= today)
            ).rowcount
            current = conn.execute(
                update(a)
                .where(a.c.member_id == member_id, a.c.start_date < today, a.c.end_date >= today)
                .values(end_date=yesterday)
            ).rowcount
        return future + current

    def team_aways(self, team_id: int, from_day: date) -> list[Away]:
        a, m = t.away_periods, t.members
        with self._connect() as conn:
            rows = conn.execute(
                select(a)
                .join(m, m.c.id == a.c.member_id)
                .where(m.c.team_id == team_id, a.c.end_date >= from_day)
                .order_by(a.c.start_date)
            )
            return [_away(row) for row in rows]

    def member_aways(self, member_id: int, from_day: date) -> list[Away]:
        a = t.away_periods
        with self._connect() as conn:
            rows = conn.execute(
                select(a).where(a.c.member_id == member_id, a.c.end_date >= from_day).order_by(a.c.start_date)
            )
            return [_away(row) for row in rows]

    # -- privacy: export, forget-me, retention -----------------------------------------
    def workspace_teams(self, workspace: Workspace) -> list[Team]:
        with self._connect() as conn:
            rows = conn.execute(select(t.teams).where(t.teams.c.workspace == workspace.key)
                                .order_by(t.teams.c.id)).all()
            return self._load_teams(conn, rows)

    def count_members(self, team_ids: Sequence[int]) -> dict[int, int]:
        """Active members per group (for listings)."""
        m = t.members
        with self._connect() as conn:
            rows = conn.execute(select(m.c.team_id, func.count()).where(m.c.team_id.in_(list(team_ids)),
                                                                          m.c.left_at.is_(None))
                                .group_by(m.c.team_id))
            return {team_id: n for team_id, n in rows}

    def user_records(self, workspace: Workspace, user_ref: str) -> dict[str, list[dict[str, Any]]]:
        """Every stored row of one person in one workspace, by table (their export)."""
        with self._connect() as conn:
            return _read(conn, _owned(t.members, _user_members(workspace, user_ref)))

    def workspace_records(self, workspace: Workspace) -> dict[str, list[dict[str, Any]]]:
        """The workspace's own rows (teams, skipped meetings, the digest ledger), without
        its members' rows: those come per person from `user_records`."""
        personal = {table for table, _ in _owned(t.members, false())}
        owned = _owned(t.teams, t.teams.c.workspace == workspace.key)
        with self._connect() as conn:
            return _read(conn, [(table, where) for table, where in owned if table not in personal])

    def count_user_records(self, workspace: Workspace, user_ref: str) -> dict[str, int]:
        with self._connect() as conn:
            counts = {table.name: conn.execute(select(func.count()).select_from(table).where(where)).scalar_one()
                      for table, where in _owned(t.members, _user_members(workspace, user_ref))}
            counts[ADMIN_LISTS] = len(_admin_lists(conn, workspace, user_ref))
        return {name: n for name, n in counts.items() if n}

    def forget_user(self, workspace: Workspace, user_ref: str) -> dict[str, int]:
        """Delete every row of one person in one workspace, in one transaction; returns
        the count per table. Their id also leaves the teams' admin lists, and the
        forgetters clear what adapters keep (on Slack, the installations they made)."""
        counts: dict[str, int] = {}
        with self._begin() as conn:
            for table, where in reversed(_owned(t.members, _user_members(workspace, user_ref))):
                counts[table.name] = conn.execute(delete(table).where(where)).rowcount
            for team_id, admins in _admin_lists(conn, workspace, user_ref):
                kept = ",".join(a for a in admins if a != user_ref)
                conn.execute(update(t.teams).where(t.teams.c.id == team_id).values(admins=kept))
                counts[ADMIN_LISTS] = counts.get(ADMIN_LISTS, 0) + 1
            for forget in self.forgetters:
                counts.update(forget(conn, workspace, user_ref))
        return {name: n for name, n in counts.items() if n}

    def delete_recaps_before(self, cutoff: datetime) -> dict[str, int]:
        """Retention: recaps of meetings before `cutoff` and the rows that hang off them
        (late updates). Idempotent, so every replica may run it."""
        counts: dict[str, int] = {}
        with self._begin() as conn:
            for table, where in reversed(_owned(t.recaps, t.recaps.c.meeting_at < cutoff)):
                counts[table.name] = conn.execute(delete(table).where(where)).rowcount
        return {name: n for name, n in counts.items() if n}


ADMIN_LISTS = "teams.admins"  # a person's id in a team's admin list, counted per team
_NUMBER_TRIES = 5


@cache
def _numbering(table: Table, scope: str) -> tuple[Select, Select, Insert]:
    """The statements numbering `table`'s rows per `scope` (a column naming the parent): lock
    the parent's row, read the next number, insert. Built once per table: a submission with a
    question for the group runs all three."""
    column = table.c[scope]
    [parent] = [fk.column for fk in column.foreign_keys]
    lock = select(parent).where(parent == bindparam("scope")).with_for_update(key_share=True)
    next_number = select(func.coalesce(func.max(table.c.number), 0) + 1).where(column == bindparam("scope"))
    return lock, next_number, insert(table)


def _insert_numbered(conn, table: Table, scope, where, rows: list[dict]) -> list[int]:
    """Insert rows numbered after the last of their scope (a group, a member).

    PostgreSQL: the scope's row (the group's, the member's) is locked first, so concurrent
    writers take turns instead of choosing the same number (FOR NO KEY UPDATE: rows that
    refer to it may still be added meanwhile). SQLite has one writer at a time, but the
    number may be read before this transaction writes: a number taken meanwhile (the unique
    key says so) is chosen again."""
    lock, next_number, add = _numbering(table, scope.name)
    if conn.dialect.name == "postgresql":
        conn.execute(lock, {"scope": where})
        first = conn.execute(next_number, {"scope": where}).scalar_one()
        conn.execute(add, [dict(row, number=first + i) for i, row in enumerate(rows)])
        return [first + i for i in range(len(rows))]
    for attempt in range(_NUMBER_TRIES):
        first = conn.execute(next_number, {"scope": where}).scalar_one()
        numbered = [dict(row, number=first + i) for i, row in enumerate(rows)]
        try:
            with conn.begin_nested():
                conn.execute(add, numbered)
            return [row["number"] for row in numbered]
        except IntegrityError:
            if attempt == _NUMBER_TRIES - 1:
                raise
    raise AssertionError("unreachable")


def _sync_questions(conn, recap_id: int, team_id: int, agenda: list[str], now: datetime,
                    fresh: bool = False) -> None:
    """A recap's agenda lines as its group questions. A line still there keeps its question (its
    number, and whether it was answered); a new line gets the group's next number; an open
    question whose line is gone goes; an answered one stays, answered. `fresh`: a recap just
    inserted, which has no questions yet."""
    q = t.group_questions
    rows = [] if fresh else conn.execute(select(q.c.id, q.c.text, q.c.position, q.c.closed_at)
                                         .where(q.c.recap_id == recap_id).order_by(q.c.position, q.c.id)).all()
    unused: dict[str, list] = {}
    for row in rows:
        unused.setdefault(row.text, []).append(row)
    kept: set[int] = set()
    new: list[dict] = []
    for position, item in enumerate(agenda):
        if unused.get(item):
            row = unused[item].pop(0)
            kept.add(row.id)
            if row.position != position:
                conn.execute(update(q).where(q.c.id == row.id).values(position=position))
        else:
            new.append(dict(team_id=team_id, recap_id=recap_id, position=position, text=item, created_at=now))
    gone = [row.id for row in rows if row.id not in kept and row.closed_at is None]
    if gone:
        conn.execute(delete(q).where(q.c.id.in_(gone)))
    if new:
        _insert_numbered(conn, q, q.c.team_id, team_id, new)


def _user_members(workspace: Workspace, user_ref: str):
    """Members rows of one person in every team of one workspace."""
    teams = select(t.teams.c.id).where(t.teams.c.workspace == workspace.key)
    return and_(t.members.c.team_id.in_(teams), t.members.c.user_ref == user_ref)


def _owned(root: Table, where) -> list[tuple[Table, Any]]:
    """`root`'s rows matching `where` and every row that depends on them through foreign
    keys, as (table, condition), parents first. Export, forget-me and retention walk
    this, so a table added later with its foreign keys is covered without a change here."""
    conditions: dict[Table, Any] = {root: where}
    for table in t.metadata.sorted_tables:  # parents before children
        if table in conditions:
            continue
        links = [fk.parent.in_(select(fk.column).where(conditions[fk.column.table]))
                 for fk in table.foreign_keys if fk.column.table in conditions]
        if links:
            conditions[table] = or_(*links)
    return list(conditions.items())


def _read(conn, owned: list[tuple[Table, Any]]) -> dict[str, list[dict[str, Any]]]:
    records = {}
    for table, where in owned:
        order = list(table.primary_key.columns)
        rows = conn.execute(select(table).where(where).order_by(*order)).mappings().all()
        if rows:
            records[table.name] = [dict(row) for row in rows]
    return records


def _admin_lists(conn, workspace: Workspace, user_ref: str) -> list[tuple[int, list[str]]]:
    rows = conn.execute(select(t.teams.c.id, t.teams.c.admins).where(t.teams.c.workspace == workspace.key))
    found = []
    for team_id, admins in rows:
        names = [a for a in (admins or "").split(",") if a]
        if user_ref in names:
            found.append((team_id, names))
    return found
