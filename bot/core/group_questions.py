"""Questions carried until answered.

Every line of a recap's "questions for the group" is a question of the group
(stored with the recap, numbered per group). Until someone closes it, it is
carried into the agenda of the next CARRY_MEETINGS meetings ("carried over
from <date>"), then listed under "Still open" by `/recap questions` only.
Anyone in the group may close one, from the digest's "Answered" control or
with `/recap answered N [note]`; their name (and note) is recorded.
"""
from __future__ import annotations

from dataclasses import dataclass

from .digest import carry_start
from .errors import UserError
from .model import MAX_FIELD_CHARS, Actor, GroupQuestion, Team
from .parsing import parse_positive_int
from .ports import Clock, Repository
from .teams import TeamService, upcoming_cycle
from .validation import clean_text

MAX_NUMBER = 1_000_000


@dataclass(frozen=True)
class OpenQuestions:
    team: Team
    carried: list[GroupQuestion]  # on the coming meeting's agenda
    still_open: list[GroupQuestion]  # carried as often as they are, open still


@dataclass
class GroupQuestionService:
    _repo: Repository
    clock: Clock
    teams: TeamService

    def open_questions(self, actor: Actor) -> OpenQuestions:
        team = self.teams.team_for(actor.workspace)
        self.teams.member_for(actor, team)
        questions = self._repo.group_questions(team.id, open_only=True)
        if team.schedule is None:
            return OpenQuestions(team, questions, [])
        start = carry_start(team, upcoming_cycle(team, self.clock.now()).meeting_at)
        return OpenQuestions(team, [q for q in questions if q.meeting_at >= start],
                             [q for q in questions if q.meeting_at < start])

    def answer(self, actor: Actor, *, number: int | None = None, question_id: int | None = None,
               note: str = "") -> GroupQuestion:
        """Close one of the group's questions (by the number shown, or a button's id) for good."""
        note = clean_text(note, "The note", MAX_FIELD_CHARS)
        team = self.teams.team_for(actor.workspace)
        found = self._repo.group_questions(team.id, number=number, question_id=question_id)
        if not found:
            if number is None:  # a button of another group or workspace, or a question gone with its recap
                raise UserError("That question is not one of this group's any more; nothing changed.")
            raise UserError(f"This group has no question #{number}. `/recap questions` lists the open ones.")
        question = found[0]
        if question.closed_at is not None:
            by = f" by {question.answered_by}" if question.answered_by else ""
            raise UserError(f"Question #{question.number} was already marked answered{by}; nothing changed.")
        member = self.teams.member_for(actor, team)
        if not self._repo.close_group_question(question.id, member.id, note, self.clock.now()):
            raise UserError(f"Question #{question.number} was marked answered a moment ago; nothing changed.")
        return self._repo.group_questions(team.id, question_id=question.id)[0]


def question_number(text: str) -> int:
    return parse_positive_int(text.strip().removeprefix("#"), "A question's number", 1, MAX_NUMBER)
