"""The console's field-by-field form, as a person at a terminal uses it."""
import io

import pytest

from bot.adapters.console import ConsoleAdapter
from tests.conftest import person


@pytest.fixture
def team(core):
    return core.teams.configure(person("alice"), [("meeting", "Mon 10:00")])


def run(core, lines: str) -> str:
    out = io.StringIO()
    console = ConsoleAdapter(core, stdin=io.StringIO(lines), stdout=out, user="alice", interactive=True)
    while (line := console.stdin.readline()):
        if console.handle_line(line) is False:
            break
    return out.getvalue()


def test_form_asks_each_field_with_the_question_prefilled(core, team):
    core.recaps.set_question(person("alice"), "Can small models plan?")
    out = run(core, "/recap\n\nTrained it\nOOM again\nAny A100s?\nn\n")
    assert "Big-picture question (The research question you are working toward) [Can small models plan?]" in out
    assert "Thanks! Your recap is in" in out
    recap = core.repo.recent_recaps(core.repo.get_member(team.id, "alice").id, 1)[0]
    assert (recap.question, recap.progress, recap.failures, recap.questions) == (
        "Can small models plan?", "Trained it", "OOM again", "Any A100s?")


def test_second_form_is_prefilled_and_says_it_replaces(core, team):
    run(core, "/recap\nQ\nfirst\n\n\nn\n")
    out = run(core, "/recap\n\n\nmore failures\n\ny\n")
    assert "your answers are pre-filled and will be replaced" in out
    assert "Updated your recap" in out
    recap = core.repo.recent_recaps(core.repo.get_member(team.id, "alice").id, 5)
    assert len(recap) == 1 and recap[0].progress == "first" and recap[0].failures == "more failures"
    assert recap[0].figuring_it_out


def test_invalid_form_asks_again_for_the_broken_field(core, team):
    out = run(core, "/recap\nQ\n\n\n\nn\nfinally progress\n")
    assert "Error: Bring something" in out
    assert "Thanks! Your recap is in" in out
