"""The console's field-by-field form, as a person at a terminal uses it."""
import asyncio
import io
import os
import threading

import pytest

from bot.adapters.console import ConsoleAdapter
from bot.scheduling import Scheduler
from bot.store.ledger import Ledger
from tests.conftest import person
from tests.test_scheduler import REMINDER_AT, run_at


@pytest.fixture
def team(core):
    return core.teams.configure(person("alice"), [("meeting", "Mon 10:00")])


def run(core, lines: str) -> str:
    out = io.StringIO()
    console = ConsoleAdapter(core, stdin=io.StringIO(lines), stdout=out, user="alice", interactive=True)
    asyncio.run(console.run())
    return out.getvalue()


def test_form_asks_each_field_with_the_question_prefilled(core, repo, team):
    core.recaps.set_question(person("alice"), "Can small models plan?")
    out = run(core, "/recap\n\nTrained it\nOOM again\nAny A100s?\nTry bf16\nn\n")
    assert "Big-picture question (The research question you are working toward) [Can small models plan?]" in out
    assert "Thanks! Your recap is in" in out
    recap = repo.recent_recaps(repo.get_member(team.id, "alice").id, 1)[0]
    assert (recap.question, recap.progress, recap.failures, recap.questions, recap.plan) == (
        "Can small models plan?", "Trained it", "OOM again", "Any A100s?", "Try bf16")


def test_second_form_is_prefilled_and_says_it_replaces(core, repo, team):
    run(core, "/recap\nQ\nfirst\n\n\n\nn\n")
    out = run(core, "/recap\n\n\nmore failures\n\n\ny\n")
    assert "your answers are pre-filled and will be replaced" in out
    assert "Updated your recap" in out
    recap = repo.recent_recaps(repo.get_member(team.id, "alice").id, 5)
    assert len(recap) == 1 and recap[0].progress == "first" and recap[0].failures == "more failures"
    assert recap[0].figuring_it_out


def test_invalid_form_asks_again_for_the_broken_field(core, team):
    out = run(core, "/recap\nQ\n\n\n\n\nn\nfinally progress\n")
    assert "Error: Bring something" in out
    assert "Thanks! Your recap is in" in out


async def test_reminders_go_out_while_someone_is_typing_into_the_form(core, engine, clock, team):
    """The form's prompts wait without holding up the event loop: the scheduler keeps running."""
    read_end, write_end = os.pipe()
    with os.fdopen(read_end) as stdin, os.fdopen(write_end, "w") as feed:
        prompted = asyncio.Event()

        class Screen(io.StringIO):
            def write(self, text: str) -> int:
                if "Big-picture question" in text:
                    prompted.set()
                return super().write(text)

        screen = Screen()
        console = ConsoleAdapter(core, stdin=stdin, stdout=screen, user="alice", interactive=True)
        s = Scheduler(core, {"console": console.chat}, Ledger(engine), clock=clock, replica="t")
        reminded = threading.Event()

        def type_the_answers() -> None:
            reminded.wait(10)  # a console that blocked the loop would get them anyway, only late
            feed.write("Q\nwrote the loader\n\n\n\nn\n/quit\n")
            feed.flush()

        threading.Thread(target=type_the_answers, daemon=True).start()
        feed.write("/recap\n")
        feed.flush()
        session = asyncio.create_task(console.run())
        await asyncio.wait_for(prompted.wait(), 10)  # the form is open, waiting for the first answer
        await run_at(s, clock, REMINDER_AT)
        reminded.set()
        await asyncio.wait_for(session, 10)
    shown = screen.getvalue()
    assert shown.index("Big-picture question") < shown.index("[reminder to alice]") < shown.index("Thanks!")
