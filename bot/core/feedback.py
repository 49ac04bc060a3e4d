"""Feedback on a recap: from the "Give feedback" button under a member's part of a posted digest.

Anyone in the recap's group may give it (the button carries the recap's id: its
group is checked to be one of the workspace's, and the giver to be in it); it is stored with the recap and the giver,
sent to the member as a direct message (a FeedbackGiven event: the composition
root has it told through the member's platform), shown in their App Home and
at the top of their next recap form, and kept in their history.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from .errors import UserError
from .events import Events, FeedbackGiven
from .groups import Groups, Scope
from .model import MAX_FIELD_CHARS, Actor, Feedback, Recap
from .ports import Clock, Repository
from .validation import clean_text

GONE = "That recap is not there any more (its author may have deleted their data); nothing was saved."


@dataclass
class FeedbackService:
    _repo: Repository
    clock: Clock
    groups: Groups
    events: Events

    def recap_for(self, actor: Actor, recap_id: int) -> tuple[Recap, str, Scope]:
        """The recap a feedback button points at, its author's name, and the giver's place in its group."""
        recap = self._repo.get_recap_by_id(recap_id)
        if recap is None or not any(g.id == recap.team_id for g in self.groups.in_workspace(actor.workspace)):
            raise UserError(GONE)
        author = self._repo.get_member_by_id(recap.member_id)
        if author is None:
            raise UserError(GONE)
        if author.user_ref == actor.user_ref:
            raise UserError("That is your own recap: feedback is for the others' work.")
        scope = self.groups.scope(replace(actor, group=str(recap.team_id)))  # members only: a join offer else
        return recap, author.display_name, scope

    def give(self, actor: Actor, recap_id: int, text: str) -> Feedback:
        cleaned = clean_text(text, "Your feedback", MAX_FIELD_CHARS, multiline=True)
        if not cleaned:
            raise UserError("Write your feedback first; nothing was saved.")
        recap, _, scope = self.recap_for(actor, recap_id)
        feedback = self._repo.add_feedback(recap.id, scope.member.id, cleaned, self.clock.now())
        author = self._repo.get_member_by_id(recap.member_id)
        self.events.publish(FeedbackGiven(scope.team, author, feedback))
        return feedback
