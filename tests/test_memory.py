"""Research memory through the core, on SQLite and PostgreSQL: plans, milestones, questions carried
until answered, and feedback (search has tests/test_search.py)."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.core.commands import CommandHandler
from bot.core.errors import FieldErrors, UserError
from bot.core.events import FeedbackGiven
from bot.core.model import RecapDraft
from bot.render.markdown import render_digest
from bot.store import tables
from tests.conftest import group_of, join, person

UTC = timezone.utc
MEETING = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Mon 10:00 Berlin; the clock starts Wed 18 Nov
ALICE, BOB, CAROL = person("alice"), person("Bob", admin=False), person("carol", admin=False)


@pytest.fixture
def handler(core):
    handler = CommandHandler(core)
    assert handler.handle(ALICE, '/recap setup meeting="Mon 10:00" tz=Europe/Berlin north-star="Cheap planning"').ok
    join(core, BOB, CAROL)  # alice made the group; membership is explicit
    return handler


def say(handler, who, text: str) -> str:
    reply = handler.handle(who, text)
    return reply.text


def next_cycle(clock, weeks: int = 1) -> None:
    clock.set(MEETING + timedelta(weeks=weeks - 1, hours=1))  # just after the meeting: the next one's cycle


# -- plan until the next meeting ---------------------------------------------------------
def test_the_plan_is_stored_shown_in_the_next_form_and_beside_progress_in_the_digest(handler, core, clock):
    assert say(handler, ALICE, '/recap submit --progress "Set up the cluster" --plan "Train on 3 seeds"').startswith(
        "Thanks! Your recap is in")
    assert core.recaps.form(ALICE).last_plan == ""  # this meeting's own plan is not "last time"
    next_cycle(clock)
    form = core.recaps.form(ALICE)
    assert form.last_plan == "Train on 3 seeds" and form.prefill()["plan"] == ""
    say(handler, ALICE, '/recap submit --progress "Only 2 seeds ran" --plan "Third seed"')
    team = group_of(core)
    [entry] = core.upcoming_digest(team).entries
    assert (entry.previous_plan, entry.recap.plan) == ("Train on 3 seeds", "Third seed")
    text = render_digest(core.upcoming_digest(team))
    assert text.index("**Planned last time:** Train on 3 seeds") < text.index("**Progress:** Only 2 seeds ran") \
        < text.index("**Plan until the next meeting:** Third seed")
    assert text.index("**North star:** Cheap planning") < text.index("## alice")  # the north star on top


def test_a_plan_alone_is_a_recap_and_over_3000_characters_is_refused(handler, core):
    assert "Thanks!" in say(handler, BOB, '/recap submit --plan "Read the two papers"')
    reply = handler.handle(BOB, "/recap submit --plan " + "x" * 3001)
    assert not reply.ok and "Plan until the next meeting is 3,001 characters" in reply.text


# -- milestones --------------------------------------------------------------------------
def test_milestones_are_numbered_per_member_listed_done_and_dropped(handler, core):
    assert say(handler, ALICE, '/recap milestone add "Reproduce the baseline on 3 seeds" by 2027-01-15') == (
        "Milestone #1 added: Reproduce the baseline on 3 seeds, due Fri 15 Jan 2027. Your recap form lists it "
        "until you tick it; the digest shows your next one due.")
    assert say(handler, ALICE, "/recap milestone add Draft the paper by 2027-03-01").startswith("Milestone #2")
    assert say(handler, BOB, "/recap milestone add Clean the data by 2026-12-01").startswith("Milestone #1")
    listing = say(handler, ALICE, "/recap milestones")
    assert "- #1 Reproduce the baseline on 3 seeds, due Fri 15 Jan 2027\n- #2 Draft the paper" in listing
    assert "Clean the data" not in listing and "Clean the data" in say(handler, ALICE, "/recap milestones Bob")
    assert "is reached" in say(handler, ALICE, "/recap milestone done 1")
    assert "already reached" in say(handler, ALICE, "/recap milestone done #1")
    assert "dropped" in say(handler, ALICE, "/recap milestone drop 2")
    assert "You have no milestone #7" in say(handler, ALICE, "/recap milestone done 7")
    listing = say(handler, ALICE, "/recap milestones")
    assert "none open" in listing and "#1 Reproduce the baseline on 3 seeds (reached Wed 18 Nov 2026)" in listing
    assert "Draft the paper" not in listing  # dropped: gone from the list
    assert say(handler, ALICE, "/recap milestone add Next step by 2027-02-01").startswith("Milestone #3")  # never reused


@pytest.mark.parametrize("text, message", [
    ('/recap milestone add "" by 2027-01-15', "Name the milestone"),
    ("/recap milestone add Something", "Give the milestone and its date"),
    ("/recap milestone add Something by 15/01/2027", "Write dates as YYYY-MM-DD"),
    ("/recap milestone add Something by 2027-02-30", "Unknown date"),
    ("/recap milestone add Something by 2026-11-17", "is in the past"),
    ("/recap milestone add Something by 9999-01-01", "out of range"),
    ("/recap milestone add " + "x" * 201 + " by 2027-01-15", "201 characters; the limit is 200"),
    ("/recap milestone add bad\x1b[2J by 2027-01-15", "terminal escape"),
    ("/recap milestone done", "Use `/recap milestone done N`"),
    ("/recap milestone done " + "9" * 40, "must be from 1 to"),
    ("/recap milestone finish 1", "Unknown 'finish'"),
])
def test_bad_milestones_say_what_is_wrong_and_store_nothing(handler, core, text, message):
    reply = handler.handle(ALICE, text)
    assert not reply.ok and message in reply.text
    assert "none yet" in say(handler, ALICE, "/recap milestones")


def test_at_most_twenty_open_milestones_per_member_and_group(handler, core):
    for i in range(20):
        assert handler.handle(ALICE, f"/recap milestone add Step {i} by 2027-01-{i + 1:02d}").ok
    refused = handler.handle(ALICE, "/recap milestone add One more by 2027-02-01")
    assert not refused.ok and "20 open milestones" in refused.text
    assert handler.handle(BOB, "/recap milestone add Bob's own by 2027-02-01").ok  # per member
    assert handler.handle(ALICE, "/recap milestone done 5").ok
    assert handler.handle(ALICE, "/recap milestone add One more by 2027-02-01").ok  # room again
    elsewhere = person("alice", "slack:T9")
    assert handler.handle(elsewhere, '/recap setup meeting="Mon 10:00"').ok
    assert handler.handle(elsewhere, "/recap milestone add In another group by 2027-02-01").text.startswith(
        "Milestone #1")


def test_the_form_lists_open_milestones_and_ticking_one_marks_it_reached(handler, core, clock):
    say(handler, ALICE, "/recap milestone add Baseline by 2026-12-20")
    say(handler, ALICE, "/recap milestone add Paper by 2027-03-01")
    assert [m.number for m in core.recaps.form(ALICE).milestones] == [1, 2]
    with pytest.raises(FieldErrors) as wrong:
        core.recaps.submit(ALICE, RecapDraft(progress="x", milestones_done=(3,)))
    assert "no open milestone #3" in wrong.value.errors["milestones"]
    assert core.recaps.form(ALICE).existing is None  # nothing was saved
    assert "Thanks!" in say(handler, ALICE, '/recap submit --progress "Baseline runs" --done 1')
    assert [m.number for m in core.recaps.form(ALICE).milestones] == [2]
    [entry] = core.upcoming_digest(group_of(core)).entries
    assert [m.title for m in entry.reached] == ["Baseline"] and entry.next_due.title == "Paper"
    text = render_digest(core.upcoming_digest(group_of(core)))
    assert "_Milestone reached: Baseline._" in text and "_Next milestone: Paper (due Mon 01 Mar 2027)._" in text
    next_cycle(clock)  # reached before the last meeting: not said again
    say(handler, ALICE, '/recap submit --progress "Writing"')
    [entry] = core.upcoming_digest(group_of(core)).entries
    assert entry.reached == ()


def test_an_overdue_milestone_is_said_gently(handler, core, clock):
    say(handler, ALICE, "/recap milestone add Baseline by 2026-11-20")
    say(handler, ALICE, '/recap submit --progress "Still on it"')
    text = render_digest(core.upcoming_digest(group_of(core)))
    assert "Next milestone: Baseline (was due Fri 20 Nov 2026, past its date)" in text
    assert "overdue" not in text.lower() and "!" not in text  # said, never shouted
    assert "#1 Baseline, due Fri 20 Nov 2026" in say(handler, ALICE, "/recap milestones")
    clock.set(datetime(2026, 11, 21, 12, tzinfo=UTC))
    assert "#1 Baseline, was due Fri 20 Nov 2026 (past its date)" in say(handler, ALICE, "/recap milestones")


# -- questions carried until answered ------------------------------------------------------
def test_agenda_questions_are_numbered_and_a_recap_edit_keeps_their_numbers(handler, core):
    say(handler, ALICE, '/recap submit --progress x --questions "Is 3 seeds enough?\n- Which eval?"')
    say(handler, BOB, '/recap submit --progress y --questions "Spare GPU hours?"')
    say(handler, ALICE, '/recap submit --progress x --questions "- Which eval?\nWho reviews?"')
    agenda = core.upcoming_digest(group_of(core)).agenda
    assert [(a.number, a.text, a.asker) for a in agenda] == [
        (2, "Which eval?", "alice"), (4, "Who reviews?", "alice"), (3, "Spare GPU hours?", "Bob")]
    assert "#1" not in say(handler, ALICE, "/recap questions")  # its line is gone, so is the question


def test_answered_closes_a_question_with_the_name_and_note_recorded(handler, core, engine):
    say(handler, BOB, '/recap submit --progress y --questions "Spare GPU hours?\nWho has the Zeiss?"')
    listing = say(handler, CAROL, "/recap questions")
    assert "- #1 Spare GPU hours? (Bob, for the meeting on Mon 23 Nov 2026)" in listing
    assert say(handler, CAROL, "/recap answered 1 ask the HPC desk") == (
        "Question #1 (Spare GPU hours?) is marked answered; it will not be carried into the next agenda. "
        "Note: ask the HPC desk")
    assert "already marked answered by carol" in say(handler, BOB, "/recap answered 1")
    assert "no question #9" in say(handler, BOB, "/recap answered 9")
    assert "#1" not in say(handler, ALICE, "/recap questions") and "#2 Who has the Zeiss?" in say(
        handler, ALICE, "/recap questions")
    [answered, still] = core.upcoming_digest(group_of(core)).agenda
    assert answered.answered and not still.answered  # this meeting's own questions stay on its agenda
    assert "#1 Spare GPU hours? (Bob, answered)" in render_digest(core.upcoming_digest(group_of(core)))
    with engine.connect() as conn:
        row = conn.execute(select(tables.members.c.display_name, tables.question_answers.c.note)
                           .join(tables.members, tables.members.c.id == tables.question_answers.c.member_id)).one()
    assert tuple(row) == ("carol", "ask the HPC desk")


def test_an_open_question_is_carried_three_meetings_then_only_listed_as_still_open(handler, core, clock):
    say(handler, BOB, '/recap submit --progress y --questions "Spare GPU hours?\nWho has the Zeiss?"')
    say(handler, ALICE, "/recap answered 2")
    team = group_of(core)
    for week in (1, 2, 3):
        next_cycle(clock, week)
        agenda = core.upcoming_digest(team).agenda
        assert [(a.number, a.carried_from.isoformat() if a.carried_from else None) for a in agenda] == [
            (1, "2026-11-23")], week
        text = render_digest(core.upcoming_digest(team))
        assert "#1 Spare GPU hours? (Bob, carried over from Mon 23 Nov 2026)" in text
        assert "on the coming agenda" in say(handler, ALICE, "/recap questions")
    next_cycle(clock, 4)
    assert core.upcoming_digest(team).agenda == ()
    listing = say(handler, ALICE, "/recap questions")
    assert "none on the coming agenda" in listing and "**Still open**" in listing and "#1 Spare GPU hours?" in listing
    assert "is marked answered" in say(handler, ALICE, "/recap answered 1")  # still closable
    assert "no open questions" in say(handler, ALICE, "/recap questions")


def test_a_skipped_meeting_does_not_count_as_a_carry(handler, core, clock):
    say(handler, BOB, '/recap submit --progress y --questions "Spare GPU hours?"')
    next_cycle(clock)
    assert handler.handle(ALICE, "/recap skip-meeting 2026-12-07").ok
    team = group_of(core)
    for week in (1, 3, 4):  # the meetings of 30 Nov, 14 Dec, 21 Dec
        next_cycle(clock, week)
        assert [a.number for a in core.upcoming_digest(team).agenda] == [1], week
    next_cycle(clock, 5)
    assert core.upcoming_digest(team).agenda == ()


def test_a_question_of_another_workspace_cannot_be_closed(handler, core):
    say(handler, BOB, '/recap submit --progress y --questions "Spare GPU hours?"')
    [item] = core.upcoming_digest(group_of(core)).agenda
    stranger = person("mallory", "slack:T9")
    assert CommandHandler(core).handle(stranger, '/recap setup meeting="Mon 10:00"').ok
    with pytest.raises(UserError, match="not one of this group's"):
        core.questions.answer(stranger, question_id=item.question_id)
    assert not core.upcoming_digest(group_of(core)).agenda[0].answered


# -- feedback ------------------------------------------------------------------------------
def test_feedback_is_stored_told_and_shown_in_the_next_form_the_home_and_history(handler, core, clock):
    say(handler, BOB, '/recap submit --progress "Counted cells"')
    heard = []
    core.events.subscribe(FeedbackGiven, heard.append)
    [entry] = core.upcoming_digest(group_of(core)).entries
    feedback = core.feedback.give(CAROL, entry.recap.id, "Try the other stain.\nIt worked for me.")
    assert (feedback.giver, feedback.text) == ("carol", "Try the other stain.\nIt worked for me.")
    [event] = heard
    assert event.member.display_name == "Bob" and event.feedback == feedback
    assert [f.text for f in core.overviews(BOB)[0].feedback] == ["Try the other stain.\nIt worked for me."]
    assert "- Feedback from carol: Try the other stain." in say(handler, BOB, "/recap history")
    assert core.recaps.form(BOB).feedback == ()  # feedback on this meeting's recap: not "your last"
    next_cycle(clock)
    assert [f.giver for f in core.recaps.form(BOB).feedback] == ["carol"]


def test_feedback_is_refused_on_ones_own_recap_elsewhere_empty_or_too_long(handler, core):
    say(handler, BOB, '/recap submit --progress "Counted cells"')
    [entry] = core.upcoming_digest(group_of(core)).entries
    for who, text, message in [(BOB, "Great work, me", "your own recap"),
                               (person("mallory", "slack:T9"), "hi", "not there any more"),
                               (CAROL, "   \u200b ", "Write your feedback first"),
                               (CAROL, "x" * 3001, "3,001 characters")]:
        with pytest.raises(UserError, match=message):
            core.feedback.give(who, entry.recap.id, text)
    assert core.overviews(BOB)[0].feedback == ()


async def test_the_member_gets_a_direct_message_with_the_feedback(core, engine, clock):
    from bot.app import subscribe_scheduler
    from tests.test_scheduler import FakeChat, scheduler

    CommandHandler(core).handle(ALICE, '/recap setup meeting="Mon 10:00" tz=Europe/Berlin')
    join(core, BOB, CAROL)
    chat = FakeChat()
    s = scheduler(core, engine, chat, clock)
    subscribe_scheduler(core.events, s)
    await s.start(aps=False)
    try:
        recap = core.recaps.submit(BOB, RecapDraft(progress="Counted cells")).recap
        core.feedback.give(CAROL, recap.id, "Try the other stain.")
        await asyncio.sleep(0)  # the event's hop onto the loop (call_soon_threadsafe) runs
    finally:
        await s.stop()  # waits for the scheduler's tasks: the direct message among them
    [(user, text)] = chat.told
    assert user == "bob" and text.startswith("**carol** gave feedback on your recap for **Research group**'s "
                                              "meeting on Mon 23 Nov 2026, 10:00 CET:\nTry the other stain.")



# -- groups ----------------------------------------------------------------------------------
def test_milestones_questions_and_search_are_of_the_group_the_command_means(handler, core):
    assert handler.handle(ALICE, '/recap group new "Reading group" meeting="Thu 16:00"').ok  # alice is in both
    assert "Milestone #1" in say(handler, ALICE, '/recap milestone add Lab step by 2027-01-01 --group "Research group"')
    assert "Milestone #1" in say(handler, ALICE, '/recap milestone add Read 3 papers by 2027-01-01 --group "Reading group"')
    listing = say(handler, ALICE, '/recap milestones --group "Research group"')
    assert listing.startswith("_Research group:_") and "Lab step" in listing and "Read 3 papers" not in listing
    assert "You are in several groups" in say(handler, ALICE, "/recap milestones")
    say(handler, ALICE, '/recap submit --progress x --questions "Which lab microscope?" --group "Research group"')
    say(handler, ALICE, '/recap submit --progress y --questions "Which paper first?" --group "Reading group"')
    reading = say(handler, ALICE, '/recap questions --group "Reading group"')
    assert "#1 Which paper first?" in reading and "microscope" not in reading  # numbered per group
    assert "Which paper first?" in say(handler, ALICE, '/recap answered 1 --group "Reading group"')
    assert "#1 Which lab microscope?" in say(handler, ALICE, '/recap questions --group "Research group"')
    assert "Nothing found" in say(handler, ALICE, '/recap search microscope --group "Reading group"')
    assert "microscope" in say(handler, ALICE, '/recap search microscope --group "Research group"')
    # Bob is in the lab only: the reading group's questions are not his to see or close.
    assert "not a member" in say(handler, BOB, '/recap questions --group "Reading group"')
