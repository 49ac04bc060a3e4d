"""The recap form as data. Slack and Discord render it as a modal, the console as prompts.

Every platform takes a field's words from here: `label` on the form itself,
`title` wherever an answer is shown (digests, history, the App Home).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .model import MAX_FIELD_CHARS, DigestEntry, Feedback, Milestone, Recap, RecapDraft


@dataclass(frozen=True)
class FormField:
    key: str
    label: str
    placeholder: str
    title: str  # the heading above an answer once written
    max_chars: int = MAX_FIELD_CHARS
    multiline: bool = True


QUESTION = FormField("question", "Big-picture question", "The research question you are working toward",
                     "Big-picture question")
PROGRESS = FormField("progress", "Progress since the last meeting", "What moved forward?", "Progress")
FAILURES = FormField("failures", "What didn't work", "Dead ends and failed attempts count too", "What didn't work")
QUESTIONS = FormField("questions", "Questions for the group", "One per line; they go on the meeting's agenda",
                      "Questions for the group")
PLAN = FormField("plan", "Plan until the next meeting", "What you mean to do before the next meeting",
                 "Plan until the next meeting")
LAST_PLAN = "Last time you planned"  # shown above progress in the form, and beside it in the digest
PLANNED = "Planned last time"  # the digest's heading for the previous plan
MILESTONES_KEY = "milestones"  # the form's key for the milestones ticked (errors are reported under it)
MILESTONES_LABEL = "Milestones reached"
MILESTONES_HINT = "Tick the ones you reached since the last meeting."
FEEDBACK_ON_LAST = "Feedback on your last recap"
FIGURING_LABEL = "Still figuring it out"
FIGURING_PROMPT = "Not much to report?"
FIGURING_HINT = "Tick it when you have nothing to report yet; that counts as taking part."
CHANGED = "changed"  # marks a big-picture question that differs from the member's last recap

TEXT_FIELDS: tuple[FormField, ...] = (QUESTION, PROGRESS, FAILURES, QUESTIONS, PLAN)


def answers(recap: Recap | RecapDraft) -> list[tuple[FormField, str]]:
    """The fields someone filled in, in the form's order."""
    return [(spec, value) for spec in TEXT_FIELDS if (value := getattr(recap, spec.key))]


def changed(spec: FormField, recap: Recap) -> bool:
    """Whether to mark this answer as changed: a big-picture question that moved since last time."""
    return spec is QUESTION and recap.question_changed


def titled_answers(recap: Recap) -> list[tuple[str, str]]:
    """(heading, answer) for every field filled in, as a digest shows them."""
    return [(spec.title + (f" ({CHANGED})" if changed(spec, recap) else ""), value) for spec, value in answers(recap)]


def digest_answers(entry: DigestEntry) -> list[tuple[str, str, bool]]:
    """(heading, answer, changed) of one member's part of a digest: their answers in the form's
    order, with what they planned last time just before this meeting's progress, so the group
    reads plan against outcome."""
    out: list[tuple[str, str, bool]] = []
    for spec in TEXT_FIELDS:
        if spec is PROGRESS and entry.previous_plan:
            out.append((PLANNED, entry.previous_plan, False))
        value = getattr(entry.recap, spec.key)
        if value:
            out.append((spec.title, value, changed(spec, entry.recap)))
    return out


def titled_digest_answers(entry: DigestEntry) -> list[tuple[str, str]]:
    """digest_answers with the change marked in the heading (for text-only renderers)."""
    return [(title + (f" ({CHANGED})" if mark else ""), value) for title, value, mark in digest_answers(entry)]


@dataclass(frozen=True)
class OtherRecap:
    """The person's latest recap in another group they are in: the form offers to copy its text."""

    group_id: int
    group_name: str
    recap: Recap


@dataclass(frozen=True)
class RecapForm:
    """A form ready to show: the fields, what to pre-fill, and for which meeting of which group.

    `several` says the person is in more than one group (the form names the group);
    `others` are their latest recaps elsewhere, `copied` the one copied in, if any."""

    meeting_local: datetime
    digest_local: datetime
    question: str
    existing: Recap | None
    last_plan: str = ""  # the plan of the member's recap before this meeting's
    milestones: tuple[Milestone, ...] = ()  # open ones, to tick
    feedback: tuple[Feedback, ...] = ()  # on the member's last recap
    group_id: int = 0
    group_name: str = ""
    several: bool = False
    others: tuple[OtherRecap, ...] = ()
    copied: OtherRecap | None = None
    groups: tuple[tuple[int, str], ...] = ()  # (id, name) of every group the person is in, when several

    @property
    def replacing(self) -> bool:
        return self.existing is not None

    def prefill(self) -> dict[str, str]:
        """This membership's question; this cycle's answers when replacing; the copied text when asked."""
        values = {spec.key: "" for spec in TEXT_FIELDS}
        values["question"] = self.question
        if self.existing is not None:
            values.update({spec.key: getattr(self.existing, spec.key) for spec in TEXT_FIELDS})
            values["question"] = self.existing.question or self.question
        if self.copied is not None:
            source = self.copied.recap
            values.update({spec.key: getattr(source, spec.key) for spec in TEXT_FIELDS if spec is not QUESTION})
        return values

    @property
    def figuring_it_out(self) -> bool:
        if self.copied is not None:
            return self.copied.recap.figuring_it_out
        return bool(self.existing and self.existing.figuring_it_out)
