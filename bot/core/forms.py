"""The recap form as data. Slack and Discord render it as a modal, the console as prompts."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .model import MAX_FIELD_CHARS, Recap


@dataclass(frozen=True)
class FormField:
    key: str
    label: str
    placeholder: str
    max_chars: int = MAX_FIELD_CHARS
    multiline: bool = True


QUESTION = FormField(
    "question", "Big-picture question",
    "The research question you are working toward", multiline=True,
)
PROGRESS = FormField("progress", "Progress since the last meeting", "What moved forward?")
FAILURES = FormField("failures", "What didn't work", "Dead ends and failed attempts count too")
QUESTIONS = FormField("questions", "Questions for the group", "One per line; they go on the meeting's agenda")
FIGURING_LABEL = "Still figuring it out"

TEXT_FIELDS: tuple[FormField, ...] = (QUESTION, PROGRESS, FAILURES, QUESTIONS)


@dataclass(frozen=True)
class RecapForm:
    """A form ready to show: the fields, what to pre-fill, and for which meeting."""

    meeting_local: datetime
    digest_local: datetime
    question: str
    existing: Recap | None

    @property
    def replacing(self) -> bool:
        return self.existing is not None

    def prefill(self) -> dict[str, str]:
        values = {"question": self.question, "progress": "", "failures": "", "questions": ""}
        if self.existing is not None:
            values.update(
                question=self.existing.question or self.question,
                progress=self.existing.progress,
                failures=self.existing.failures,
                questions=self.existing.questions,
            )
        return values

    @property
    def figuring_it_out(self) -> bool:
        return bool(self.existing and self.existing.figuring_it_out)
