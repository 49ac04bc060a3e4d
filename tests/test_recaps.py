"""Submitting recaps through the core, on SQLite and PostgreSQL, on a fake clock."""
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from bot.core.errors import FieldErrors, NotAllowed, UserError
from bot.core.model import MAX_FIELD_CHARS, RecapDraft, Workspace
from bot.core.replies import FormErrors, TextReply
from tests.conftest import group_of, join, person

UTC = timezone.utc
ALICE = person("Alice")
BOB = person("Bob")
MEETING = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Mon 10:00 Berlin
NEXT_MEETING = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def team(core):
    team = core.teams.configure(ALICE, [("meeting", "Mon 10:00"), ("tz", "Europe/Berlin")])
    join(core, BOB)
    return team


def recap_count(repo, team) -> int:
    return sum(len(repo.recaps_for_meeting(team.id, m)) for m in (MEETING, NEXT_MEETING))


def test_submit_files_the_recap_under_the_coming_meeting(core, repo, team):
    result = core.recaps.submit(ALICE, RecapDraft(question="Can small models plan?", progress="Baseline"))
    assert result.cycle.meeting_at == MEETING
    assert not result.replaced and not result.recap.late
    stored = repo.recaps_for_meeting(team.id, MEETING)
    assert [(r.question, r.progress) for r in stored] == [("Can small models plan?", "Baseline")]


def test_second_submit_in_a_cycle_replaces_the_first(core, repo, team, clock):
    core.recaps.submit(ALICE, RecapDraft(progress="first"))
    clock.advance(hours=3)
    result = core.recaps.submit(ALICE, RecapDraft(progress="second", failures="oops"))
    assert result.replaced
    stored = repo.recaps_for_meeting(team.id, MEETING)
    assert len(stored) == 1 and stored[0].progress == "second" and stored[0].failures == "oops"
    form = core.recaps.form(ALICE)
    assert form.replacing and form.prefill()["progress"] == "second"


def test_recap_after_digest_time_is_late_and_after_meeting_goes_to_next_cycle(core, team, clock):
    clock.set(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))  # digest went out at 07:00 UTC
    late = core.recaps.submit(ALICE, RecapDraft(progress="late news"))
    assert late.recap.late and late.cycle.meeting_at == MEETING
    clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))  # the meeting starts
    nxt = core.recaps.submit(BOB, RecapDraft(progress="after the meeting"))
    assert nxt.cycle.meeting_at == NEXT_MEETING and not nxt.recap.late


def test_field_at_limit_is_stored_intact_and_one_more_is_refused(core, repo, team):
    text = "x" * (MAX_FIELD_CHARS - 1) + "\u00e9"
    core.recaps.submit(ALICE, RecapDraft(progress=text))
    assert repo.recaps_for_meeting(team.id, MEETING)[0].progress == text
    with pytest.raises(FieldErrors) as exc:
        core.recaps.submit(BOB, RecapDraft(progress="ok", failures="y" * (MAX_FIELD_CHARS + 1)))
    assert "3,001 characters; the limit is 3,000" in exc.value.errors["failures"]
    assert recap_count(repo, team) == 1


def test_empty_recap_is_refused_and_stores_nothing(core, repo, team):
    with pytest.raises(FieldErrors) as exc:
        core.recaps.submit(ALICE, RecapDraft(question="Only a question", progress="   "))
    assert "Bring something" in exc.value.message
    assert recap_count(repo, team) == 0
    assert core.recaps.current_question(ALICE) is None


def test_still_figuring_it_out_alone_is_a_valid_recap(core, team):
    result = core.recaps.submit(ALICE, RecapDraft(figuring_it_out=True))
    assert result.recap.figuring_it_out


def test_control_characters_are_refused(core, repo, team):
    with pytest.raises(FieldErrors):
        core.recaps.submit(ALICE, RecapDraft(progress="bad\x00byte"))
    assert recap_count(repo, team) == 0


def test_multiline_unicode_text_round_trips(core, repo, team):
    text = "Line one \u2014 r\u00e9sum\u00e9 \U0001F9EA\n\n- bullet\n\ttabbed"
    core.recaps.submit(ALICE, RecapDraft(progress=text))
    assert repo.recaps_for_meeting(team.id, MEETING)[0].progress == text


def test_question_history_and_change_marker(core, team, clock):
    core.recaps.submit(ALICE, RecapDraft(question="Q1", progress="p"))
    clock.set(datetime(2026, 11, 24, 12, 0, tzinfo=UTC))
    keep = core.recaps.submit(ALICE, RecapDraft(progress="same question"))  # no question: the current one stands
    assert keep.recap.question == "Q1" and not keep.question_changed
    version, changed = core.recaps.set_question(ALICE, "Q2")
    assert changed
    clock.set(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    result = core.recaps.submit(ALICE, RecapDraft(progress="p3"))
    assert result.recap.question == "Q2" and result.question_changed
    history = core.recaps.history(ALICE, None, 5)
    assert [q.text for q in history.questions] == ["Q2", "Q1"]
    assert [r.question for r in history.recaps] == ["Q2", "Q1", "Q1"]


def test_same_question_again_is_not_a_new_version(core, team):
    core.recaps.set_question(ALICE, "Q1")
    _, changed = core.recaps.set_question(ALICE, "  Q1 ")
    assert not changed
    assert len(core.recaps.history(ALICE, None, 5).questions) == 1


def test_streak_counts_consecutive_meetings_and_away_does_not_break_it(core, team, clock):
    def week(n):
        clock.set(datetime(2026, 11, 18, 12, 0, tzinfo=UTC).replace(day=18) + (NEXT_MEETING - MEETING) * n)

    for n in range(3):
        week(n)
        result = core.recaps.submit(ALICE, RecapDraft(progress=f"week {n}"))
    assert result.recap.streak == 3
    week(3)
    core.recaps.away(ALICE, ["1w", "holiday"])  # away for the meeting of week 3
    week(4)
    assert core.recaps.submit(ALICE, RecapDraft(progress="back")).recap.streak == 4
    week(6)  # missed week 5 without being away
    assert core.recaps.submit(ALICE, RecapDraft(progress="again")).recap.streak == 1


def test_away_and_back(core, repo, team, clock):
    away = core.recaps.away(ALICE, ["until", "2026-12-10", "NeurIPS"])
    assert (away.start.isoformat(), away.until.isoformat(), away.reason) == ("2026-11-18", "2026-12-10", "NeurIPS")
    part = core.upcoming_participation(team)
    assert list(part.away) == [repo.get_member(team.id, "alice").id]
    assert core.recaps.back(ALICE) == 1
    assert not core.upcoming_participation(team).away
    assert core.recaps.back(ALICE) == 0


@pytest.mark.parametrize(
    "words, message",
    [
        ([], "Say until when"),
        (["until"], "Say until which date"),
        (["until", "2026-13-40"], "Unknown date '2026-13-40'"),
        (["until", "2026-11-01"], "is in the past"),
        (["soon"], "Unknown away period 'soon'"),
        (["0d"], "at least one day"),
        (["500d"], "at most a year"),
        (["2w", "x" * 201], "the limit is 200"),
    ],
)
def test_bad_away_is_refused_and_stores_nothing(core, repo, team, words, message):
    with pytest.raises(UserError) as exc:
        core.recaps.away(ALICE, words)
    assert message in exc.value.message
    member = repo.get_member(team.id, "alice")
    assert repo.member_aways(member.id, datetime(2026, 1, 1).date()) == []


@pytest.mark.parametrize(
    "pairs, message",
    [
        ([("tz", "Mars/Olympus")], "Unknown timezone 'Mars/Olympus'"),
        ([("every", "0")], "every must be from 1 to 8"),
        ([("every", "two")], "every must be a whole number"),
        ([("meeting", "Moonday 10:00")], "Unknown weekday 'Moonday'"),
        ([("meeting", "Mon 25:00")], "Unknown time '25:00'"),
        ([("digest-lead", "soon")], "Unknown digest-lead 'soon'"),
        ([("first", "2026-12-08")], "not on the meeting's weekday"),
        ([("colour", "blue")], "Unknown setting 'colour'"),
        ([("every", "2"), ("tz", "Nowhere/Land")], "Unknown timezone"),
    ],
)
def test_bad_settings_are_refused_and_change_nothing(core, repo, team, pairs, message):
    with pytest.raises(UserError) as exc:
        core.teams.configure(ALICE, pairs)
    assert message in exc.value.message
    after = repo.get_team(team.id)
    assert after == team


def test_only_admins_change_settings(core, team):
    member = person("Mallory", admin=False)
    join(core, member)
    with pytest.raises(NotAllowed):
        core.teams.configure(member, [("every", "2")])
    core.teams.configure(ALICE, [("admins", "mallory")])
    assert core.teams.configure(member, [("every", "2")]).schedule.every_weeks == 2


def test_biweekly_setup_anchors_on_the_next_meeting(core, team, clock):
    team = core.teams.configure(ALICE, [("every", "2")])
    assert team.schedule.anchor.isoformat() == "2026-11-23"
    assert core.recaps.submit(ALICE, RecapDraft(progress="p")).cycle.meeting_at == MEETING
    clock.set(datetime(2026, 11, 24, 12, 0, tzinfo=UTC))
    assert core.recaps.submit(ALICE, RecapDraft(progress="p")).cycle.meeting_at.day == 7


def test_workspaces_never_see_each_others_teams(core, repo, team):
    other = person("Alice", workspace="slack:T2")
    core.recaps.submit(ALICE, RecapDraft(progress="mine"))
    with pytest.raises(UserError, match="no recap group in this workspace"):
        core.recaps.submit(other, RecapDraft(progress="theirs"))
    with pytest.raises(UserError, match="No group called"):  # naming a group of another workspace finds nothing
        core.recaps.submit(replace(other, group=str(team.id)), RecapDraft(progress="theirs"))
    assert core.groups.in_workspace(Workspace("slack", "T2")) == []
    core.teams.configure(other, [("meeting", "Tue 10:00")])  # their own group, alone in their workspace
    other_team = group_of(core, Workspace("slack", "T2"))
    assert other_team.id != team.id and [g.id for g in core.groups.in_workspace(ALICE.workspace)] == [team.id]
    assert repo.list_members(other_team.id)[0].user_ref == "alice"
    assert repo.recaps_for_meeting(other_team.id, MEETING) == []


def test_skipping_a_meeting_moves_its_recaps_to_the_next(core, repo, team):
    core.recaps.submit(ALICE, RecapDraft(progress="written for the 23rd"))
    core.skip_meeting(ALICE, datetime(2026, 11, 23).date())
    assert repo.recaps_for_meeting(team.id, MEETING) == []
    assert [r.progress for r in repo.recaps_for_meeting(team.id, NEXT_MEETING)] == ["written for the 23rd"]
    with pytest.raises(UserError):
        core.skip_meeting(ALICE, datetime(2026, 11, 24).date())  # not a meeting day


def test_submissions_around_the_spring_change_use_local_wall_time(core, clock):
    core.teams.configure(ALICE, [("meeting", "Mon 10:00"), ("tz", "Europe/Berlin")])
    # Sunday 2026-03-29 07:30 UTC is 09:30 CEST, just after the clocks jumped.
    clock.set(datetime(2026, 3, 29, 7, 30, tzinfo=UTC))
    result = core.recaps.submit(ALICE, RecapDraft(progress="weekend work"))
    assert result.cycle.meeting_at == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)  # Mon 10:00 CEST
    assert result.cycle.digest_at == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)
    clock.set(datetime(2026, 3, 30, 6, 30, tzinfo=UTC))  # 08:30 CEST: digest out, meeting ahead
    join(core, BOB)
    assert core.recaps.submit(BOB, RecapDraft(progress="late")).recap.late


def test_sunday_0230_new_york_team_across_both_changes(core, clock):
    ny = person("Nia", workspace="slack:TNY")
    core.teams.configure(ny, [("meeting", "Sun 02:30"), ("tz", "America/New_York"), ("digest-lead", "1h")])
    clock.set(datetime(2026, 3, 6, 12, 0, tzinfo=UTC))
    spring = core.recaps.submit(ny, RecapDraft(progress="p"))
    assert spring.cycle.meeting_at == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # gap: 03:00 EDT
    clock.set(datetime(2026, 10, 30, 12, 0, tzinfo=UTC))
    autumn = core.recaps.submit(ny, RecapDraft(progress="p"))
    assert autumn.cycle.meeting_at == datetime(2026, 11, 1, 7, 30, tzinfo=UTC)  # 02:30 EST
    assert autumn.cycle.digest_at == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)


def test_moving_the_meeting_keeps_the_recaps_written_for_it(core, team):
    core.recaps.submit(ALICE, RecapDraft(progress="written for Monday"))
    team = core.teams.configure(ALICE, [("meeting", "Tue 14:00")])
    digest = core.upcoming_digest(team)
    assert digest.meeting_local.strftime("%a %d %H:%M") == "Tue 24 14:00"
    assert [e.recap.progress for e in digest.entries] == ["written for Monday"]


def test_every_form_submits_through_one_call_that_confirms_in_the_members_zone(core, team):
    nia = person("Nia")
    join(core, nia)
    core.teams.set_member_timezone(nia, "America/New_York")
    reply = core.submit_recap(nia, RecapDraft(progress="Ran the assay"))
    assert isinstance(reply, TextReply) and reply.ok
    assert reply.text.startswith("Thanks! Your recap is in for the meeting on **Mon 23 Nov 2026, 04:00 EST**")
    again = core.submit_recap(nia, RecapDraft(progress="Ran it twice"))
    assert again.ok and again.text.startswith("Updated your recap")


def test_a_rejected_form_comes_back_as_errors_by_field_and_nothing_is_stored(core, repo, team):
    reply = core.submit_recap(ALICE, RecapDraft(progress="x" * (MAX_FIELD_CHARS + 1), failures="bad\x00byte"))
    assert isinstance(reply, FormErrors) and set(reply.errors) == {"progress", "failures"}
    assert "3,001 characters" in reply.errors["progress"] and "NUL character" in reply.errors["failures"]
    assert recap_count(repo, team) == 0
    elsewhere = core.submit_recap(person("Zoe", workspace="slack:TNEW"), RecapDraft(progress="hi"))
    assert isinstance(elsewhere, TextReply) and not elsewhere.ok and "no recap group in this workspace" in elsewhere.text
