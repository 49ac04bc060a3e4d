"""/recap export and /recap forget-me: a person's own data out, or gone from every table."""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import select

from bot.adapters.slack import tables as slack_tables
from bot.core.commands import CommandHandler
from bot.core.model import Actor, FigureUpload, RecapDraft, Workspace
from bot.core.replies import ConfirmReply, FileReply, TextReply
from bot.store import tables
from bot.store.ledger import Ledger
from tests.conftest import group_of
from tests.deck_data import png

ALL_TABLES = [*tables.metadata.sorted_tables, *slack_tables.metadata.sorted_tables]

LAB, OTHER = Workspace("slack", "T0LAB"), Workspace("slack", "T0OTHER")
ANN, BOB = "U0ANN", "U0BOB"


def actor(user: str, workspace: Workspace = LAB, admin: bool = False) -> Actor:
    return Actor(workspace=workspace, user_ref=user, display_name=user.title(), is_admin=admin)


@dataclass
class Theirs:
    """The ids of one person's rows, as the test made them."""

    member: int
    recaps: set[int] = field(default_factory=set)
    figures: set[int] = field(default_factory=set)
    questions: set[int] = field(default_factory=set)  # the group questions of their recaps


def populate(core, engine, workspace: Workspace, users: list[str]) -> dict[str, Theirs]:
    """Rows in every table for each user: the real use cases where there is one, the ledger for the rest."""
    boss = actor("U0BOSS", workspace, admin=True)
    core.teams.configure(boss, [("meeting", "Mon 10:00"), ("tz", "Europe/Berlin"), ("channel", "C0LAB")])
    ledger = Ledger(engine)
    now = core.clock.now()
    theirs = {}
    for user in users:
        member = core.teams.member_for(actor(user, workspace))
        core.recaps.set_question(actor(user, workspace), f"What does {user} ask?")
        figure = FigureUpload(png(), f"{user}'s cells", "cells.png")
        core.milestones.add(actor(user, workspace), ["Count", "cells", "by", "2027-01-15"])
        result = core.recaps.submit(actor(user, workspace), RecapDraft(progress=f"{user} counted cells",
                                                                       questions=f"Who has {user}'s microscope?",
                                                                       figures=(figure,)))
        core.recaps.away(actor(user, workspace), ["2026-12-20", "holiday"])
        ledger.claim_reminder(member.id, result.cycle.meeting_at, now)
        ledger.claim_late_update(result.recap.id, result.recap.updated_at, now)
        key = f"remind:{member.id}:{result.cycle.meeting_at:%Y%m%dT%H%MZ}"
        ledger.record_reminder_part(member.id, result.cycle.meeting_at, now, key, result.recap.team_id, 0, f"D{user}:1.0", now)
        ledger.record_failure(f"late:{result.recap.id}", result.recap.team_id, member.id, "meeting began", now)
        with engine.connect() as conn:
            questions = set(conn.execute(select(tables.group_questions.c.id)
                                         .where(tables.group_questions.c.recap_id == result.recap.id)).scalars())
        theirs[user] = Theirs(member.id, {result.recap.id}, {f.id for f in core.recaps.figures(result.recap)},
                              questions)
    # Each answers the next one's question and gives feedback on their recap (one person: the boss does).
    people = [actor(u, workspace) for u in users]
    for giver, owner, question in zip(people[1:] + people[:1] if len(people) > 1 else [boss], users,
                                      range(1, len(users) + 1)):
        core.questions.answer(giver, number=question, note="ask the imaging lab")
        core.feedback.give(giver, next(iter(theirs[owner].recaps)), "Nice counting; try the other stain.")
    core.teams.configure(boss, [("admins", ",".join(users))])
    team = group_of(core, workspace)
    meeting = core.upcoming_participation(team).cycle.meeting_at
    ledger.claim_digest(team.id, meeting, "replica-1", now)
    core.skip_meeting(boss, datetime(2026, 12, 7).date())
    if workspace.platform == "slack":
        slack_team = workspace.id
        store = SQLAlchemyInstallationStore("cid", engine, bots_table_name=slack_tables.SLACK_BOTS,
                                            installations_table_name=slack_tables.SLACK_INSTALLATIONS)
        store.save(Installation(app_id="A0RECAP", team_id=slack_team, user_id=users[0], bot_token="xoxb-1",
                                bot_id="B1", bot_user_id="UB1", bot_scopes=["commands"]))
        SQLAlchemyOAuthStateStore(600, engine, table_name=slack_tables.SLACK_OAUTH_STATES).issue()
    return theirs


def snapshot(engine) -> dict[str, list[dict]]:
    with engine.connect() as conn:
        return {table.name: [dict(r) for r in conn.execute(select(table)).mappings()]
                for table in ALL_TABLES}


def references(table, row: dict, user: str, theirs: Theirs) -> list[str]:
    """Why this row still points at the person, if it does."""
    found = [f"{key}={value!r}" for key, value in row.items() if isinstance(value, str) and user in value]
    ids = {"members": {theirs.member}, "recaps": theirs.recaps, "recap_figures": theirs.figures,
           "group_questions": theirs.questions}
    for fk in table.foreign_keys:
        if row[fk.parent.name] in ids.get(fk.column.table.name, ()):
            found.append(f"{fk.parent.name}={row[fk.parent.name]} -> {fk.column.table.name}")
    if table.name == "members" and row["id"] == theirs.member:
        found.append("their member row")
    return found


def test_forget_me_leaves_nothing_of_theirs_in_any_table_and_keeps_everyone_else(core, engine):
    theirs = populate(core, engine, LAB, [ANN, BOB])
    before = snapshot(engine)
    empty = [name for name, rows in before.items() if not rows]
    assert not empty, f"populate() must put rows in every table, so forget-me is checked against it: {empty}"

    handler = CommandHandler(core)
    ask = handler.handle(actor(ANN), "/recap forget-me")
    assert isinstance(ask, ConfirmReply)
    assert "1 recap, " in ask.text and "1 big-picture question version" in ask.text
    assert snapshot(engine) == before  # asking deletes nothing
    done = handler.confirm(actor(ANN), ask.action)
    assert done.ok and done.text.startswith(
        "Done: deleted 1 membership, 1 recap, 1 figure, 1 figure image, 1 big-picture question version, 1 milestone, "
        "1 question for the group, 2 questions marked answered, 2 pieces of feedback, 1 away period, 1 reminder sent, "
        "1 late update posted, 1 message sent, 1 failed post, 1 place in a group's admin list and 1 installer entry of a Slack installation.")

    after = snapshot(engine)
    for table in ALL_TABLES:
        for row in after[table.name]:
            assert not references(table, row, ANN, theirs[ANN]), (table.name, row)
    # Everyone else's rows are exactly as they were; the team lost only Ann from its admin list.
    for table in ALL_TABLES:
        kept = [r for r in before[table.name] if not references(table, r, ANN, theirs[ANN])]
        changed = [r for r in after[table.name] if r not in before[table.name]]
        if table.name == "teams":
            assert [r["admins"] for r in changed] == [BOB]
        elif table.name == slack_tables.SLACK_INSTALLATIONS:
            assert [(r["user_id"], r["bot_token"]) for r in changed] == [("", "xoxb-1")]  # the install stays
        else:
            assert after[table.name] == kept, table.name
    # Her digest entry is gone from the coming digest; Bob's stays.
    team = group_of(core, LAB)
    assert [e.member.user_ref for e in core.upcoming_digest(team).entries] == [BOB]


def test_forget_me_is_one_workspace_only(core, repo, engine):
    populate(core, engine, LAB, [ANN])
    populate(core, engine, OTHER, [ANN])
    elsewhere = repo.user_records(OTHER, ANN)
    assert repo.forget_user(LAB, ANN)
    assert repo.user_records(LAB, ANN) == {}
    assert repo.user_records(OTHER, ANN) == elsewhere


def test_forget_me_rolls_back_entirely_when_a_step_fails(core, repo, engine, monkeypatch):
    populate(core, engine, LAB, [ANN, BOB])
    before = snapshot(engine)
    from bot.store import repo as repo_module

    real = repo_module._admin_lists

    def failing(*args):
        real(*args)
        raise RuntimeError("database went away")

    monkeypatch.setattr(repo_module, "_admin_lists", failing)
    with pytest.raises(RuntimeError):
        repo.forget_user(LAB, ANN)
    assert snapshot(engine) == before


def test_forget_me_confirmation_expires_and_cannot_be_forged(core, repo, engine, clock):
    populate(core, engine, LAB, [ANN])
    handler = CommandHandler(core)
    ask = handler.handle(actor(ANN), "/recap forget-me")
    clock.advance(minutes=16)
    late = handler.confirm(actor(ANN), ask.action)
    assert not late.ok and "expired" in late.text
    for forged in ("forget-me:abc", "drop-tables:1", "forget-me:" + "9" * 40, ""):
        assert not handler.confirm(actor(ANN), forged).ok
    assert repo.user_records(LAB, ANN)  # nothing was deleted
    assert handler.handle(actor(ANN), "/recap forget-me now").ok is False  # no shortcut past the question


def test_someone_with_nothing_stored_is_told_so_and_nobody_joins(core, repo):
    handler = CommandHandler(core)
    for command in ("/recap export", "/recap forget-me"):
        reply = handler.handle(actor("U0NEW"), command)
        assert isinstance(reply, TextReply) and reply.text == "recapbot stores nothing about you in this workspace."
    assert repo.workspace_teams(LAB) == []


def test_export_holds_every_row_of_theirs_and_nobody_elses(core, engine):
    theirs = populate(core, engine, LAB, [ANN, BOB])
    core.recaps.set_question(actor(ANN), "Second question\nwith two lines")
    reply = CommandHandler(core).handle(actor(ANN), "/recap export")
    assert isinstance(reply, FileReply)
    data, markdown = reply.files
    assert data.filename.endswith(".json") and data.mime == "application/json"
    assert markdown.filename.endswith(".md") and markdown.mime == "text/markdown"
    assert data.filename == "recapbot-slack-T0LAB-U0ANN-20261118-120000.json"
    document = json.loads(data.content)
    records = document["records"]
    assert set(records) == {"members", "member_questions", "recaps", "away_periods", "reminder_sends",
                            "late_update_posts", "message_parts", "post_failures", "recap_figures", "figure_files",
                            "milestones", "group_questions", "question_answers", "recap_feedback"}
    assert records["recap_figures"][0]["caption"] == "U0ANN's cells"
    assert base64.b64decode(records["figure_files"][0]["data"]["base64"]) == png()  # the image itself
    # The feedback she was given and the one she gave; the answer on her question and the one she gave.
    assert len(records["recap_feedback"]) == 2 and len(records["question_answers"]) == 2
    assert [r["id"] for r in records["members"]] == [theirs[ANN].member]
    assert [q["text"] for q in records["member_questions"]] == [
        "What does U0ANN ask?", "Second question\nwith two lines"]
    assert records["recaps"][0]["progress"] == "U0ANN counted cells"
    assert records["recaps"][0]["meeting_at"] == "2026-11-23T09:00:00+00:00"
    assert records["away_periods"][0]["reason"] == "holiday"
    assert document["teams"] == [{"id": records["members"][0]["team_id"], "name": "Research group", "admin": True}]
    assert "U0BOB" not in data.content.decode()
    text = markdown.content.decode()
    assert text.startswith("# recapbot export: U0Ann")
    for heading in ("## Recaps (1)", "## Big-picture question versions (2)", "## Away periods (1)",
                    "## Reminders sent (1)", "## Late updates posted (1)"):
        assert heading in text
    assert "- text: Second question\n    with two lines" in text
    assert "progress: U0ANN counted cells" in text and "meeting at: 2026-11-23 09:00 UTC" in text


def test_workspace_export_has_every_member_and_the_team_but_no_tokens(core, engine):
    populate(core, engine, LAB, [ANN, BOB])
    data, markdown = core.privacy.export_workspace(LAB)
    document = json.loads(data.content)
    assert set(document["records"]) == {"teams", "skipped_meetings", "digest_posts"}
    assert [p["user"] for p in document["members"]] == ["U0BOSS", ANN, BOB]
    assert document["members"][1]["records"]["recaps"][0]["progress"] == "U0ANN counted cells"
    assert "xoxb-" not in data.content.decode() and "xoxb-" not in markdown.content.decode()
    assert "## Member U0Bob (`U0BOB`)" in markdown.content.decode()


def test_confirmation_tokens_are_tied_to_the_clock(core, clock):
    token = core.privacy.confirmation("forget-me")
    assert token == f"forget-me:{int(datetime(2026, 11, 18, 12, tzinfo=timezone.utc).timestamp())}"
    clock.advance(minutes=15)
    assert core.privacy.confirmed(token) == "forget-me"
    clock.advance(seconds=1)
    with pytest.raises(Exception, match="expired"):
        core.privacy.confirmed(token)
    clock.set(clock.now() - timedelta(hours=1))  # a button from the future (clock skew beyond 5 min)
    with pytest.raises(Exception, match="expired"):
        core.privacy.confirmed(token)
