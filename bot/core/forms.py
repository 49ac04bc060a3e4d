"""The recap form as data. Slack and Discord render it as a modal, the console as prompts.

Every platform takes a field's words from here: `label` on the form itself,
`title` wherever an answer is shown (digests, history, the App Home).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .model import MAX_FIELD_CHARS, Recap, RecapDraft


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
FIGURING_LABEL = "Still figuring it out"
FIGURING_PROMPT = "Not much to report?"
FIGURING_HINT = "Tick it when you have nothing to report yet; that counts as taking part."
CHANGED = "changed"  # marks a big-picture question that differs from the member's last recap

TEXT_FIELDS: tuple[FormField, ...] = (QUESTION, PROGRESS, FAILURES, QUESTIONS)


def answers(recap: Recap | RecapDraft) -> list[tuple[FormField, str]]:
    """The fields someone filled in, in the form's order."""
    return [(spec, value) for spec in TEXT_FIELDS if (value := getattr(recap, spec.key))]


def changed(spec: FormField, recap: Recap) -> bool:
    """Whether to mark this answer as changed: a big-picture question that moved since last time."""
    return spec is QUESTION and recap.question_changed


def titled_answers(recap: Recap) -> list[tuple[str, str]]:
    """(heading, answer) for every field filled in, as a digest shows them."""
    return [(spec.title + (f" ({CHANGED})" if changed(spec, recap) else ""), value) for spec, value in answers(recap)]


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
        values = {"question": self.question, "progress": "", "failures": "", "questions": ""}
        if self.existing is not None:
            values.update(
                question=self.existing.question or self.question,
                progress=self.existing.progress,
                failures=self.existing.failures,
                questions=self.existing.questions,
            )
        if self.copied is not None:
            source = self.copied.recap
            values.update(progress=source.progress, failures=source.failures, questions=source.questions)
        return values

    @property
    def figuring_it_out(self) -> bool:
        if self.copied is not None:
            return self.copied.recap.figuring_it_out
        return bool(self.existing and self.existing.figuring_it_out)
