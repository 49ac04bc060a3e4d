"""Questions carried until answered.

Every line of a recap's "questions for the group" is a question of the group
(stored with the recap, numbered per group). Until someone closes it, it is
carried into the agenda of the next CARRY_MEETINGS meetings ("carried over
from <date>"), then listed under "Still open" by `/recap questions` only.
Anyone in the group (and its admins) may close one, from the digest's
"Answered" control or with `/recap answered N [note]`; the name of who closed
it (a member) and their note are recorded.
"""
from __future__ import annotations

from dataclasses import dataclass

from dataclasses import replace

from .digest import carry_start
from .errors import UserError
from .groups import Groups, Scope
from .model import MAX_FIELD_CHARS, Actor, GroupQuestion, Team
from .parsing import parse_positive_int
from .ports import Clock, Repository
from .teams import upcoming_cycle
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
    groups: Groups

    def _scope(self, who: Actor | Scope) -> Scope:
        return who if isinstance(who, Scope) else self.groups.scope(who, admins_too=True)

    def open_questions(self, who: Actor | Scope) -> OpenQuestions:
        team = self._scope(who).team
        questions = self._repo.group_questions(team.id, open_only=True)
        if team.schedule is None:
            return OpenQuestions(team, questions, [])
        start = carry_start(team, upcoming_cycle(team, self.clock.now()).meeting_at)
        return OpenQuestions(team, [q for q in questions if q.meeting_at >= start],
                             [q for q in questions if q.meeting_at < start])

    def answer(self, who: Actor | Scope, *, number: int | None = None, question_id: int | None = None,
               note: str = "") -> GroupQuestion:
        """Close one of the group's questions for good: by the number shown (in the group the command
        means), or by a button's id (in the question's own group, if the person may act there)."""
        note = clean_text(note, "The note", MAX_FIELD_CHARS)
        if question_id is not None and isinstance(who, Actor):
            team_id = self._repo.question_team(question_id)
            if team_id is None or not any(g.id == team_id for g in self.groups.in_workspace(who.workspace)):
                raise UserError("That question is not one of this group's any more; nothing changed.")
            who = replace(who, group=str(team_id))
        scope = self._scope(who)
        team = scope.team
        found = self._repo.group_questions(team.id, number=number, question_id=question_id)
        if not found:
            if number is None:  # a button of another group or workspace, or a question gone with its recap
                raise UserError("That question is not one of this group's any more; nothing changed.")
            raise UserError(f"This group has no question #{number}. `/recap questions` lists the open ones.")
        question = found[0]
        if question.closed_at is not None:
            by = f" by {question.answered_by}" if question.answered_by else ""
            raise UserError(f"Question #{question.number} was already marked answered{by}; nothing changed.")
        member_id = scope.member.id if scope.member else None  # an admin outside the group: no name kept
        if not self._repo.close_group_question(question.id, member_id, note, self.clock.now()):
            raise UserError(f"Question #{question.number} was marked answered a moment ago; nothing changed.")
        return self._repo.group_questions(team.id, question_id=question.id)[0]


def question_number(text: str) -> int:
    return parse_positive_int(text.strip().removeprefix("#"), "A question's number", 1, MAX_NUMBER)
