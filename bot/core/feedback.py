"""Feedback on a recap: from the "Give feedback" button under a member's part of a posted digest.

Anyone in the group may give it; it is stored with the recap and the giver,
sent to the member as a direct message (a FeedbackGiven event: the composition
root has it told through the member's platform), shown in their App Home and
at the top of their next recap form, and kept in their history.
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import UserError
from .events import Events, FeedbackGiven
from .model import MAX_FIELD_CHARS, Actor, Feedback, Recap
from .ports import Clock, Repository
from .teams import TeamService
from .validation import clean_text

GONE = "That recap is not there any more (its author may have deleted their data); nothing was saved."


@dataclass
class FeedbackService:
    _repo: Repository
    clock: Clock
    teams: TeamService
    events: Events

    def recap_for(self, actor: Actor, recap_id: int) -> tuple[Recap, str]:
        """The recap a feedback button points at, and its author's name; only within the actor's group."""
        team = self.teams.team_for(actor.workspace)
        recap = self._repo.get_recap_by_id(recap_id)
        if recap is None or recap.team_id != team.id:
            raise UserError(GONE)
        author = self._repo.get_member_by_id(recap.member_id)
        if author is None:
            raise UserError(GONE)
        if author.user_ref == actor.user_ref:
            raise UserError("That is your own recap: feedback is for the others' work.")
        return recap, author.display_name

    def give(self, actor: Actor, recap_id: int, text: str) -> Feedback:
        cleaned = clean_text(text, "Your feedback", MAX_FIELD_CHARS, multiline=True)
        if not cleaned:
            raise UserError("Write your feedback first; nothing was saved.")
        recap, _ = self.recap_for(actor, recap_id)
        team = self.teams.get_team(recap.team_id)
        giver = self.teams.member_for(actor, team)
        feedback = self._repo.add_feedback(recap.id, giver.id, cleaned, self.clock.now())
        author = self._repo.get_member_by_id(recap.member_id)
        self.events.publish(FeedbackGiven(team, author, feedback))
        return feedback
