"""What the core announces once a change is stored, for whoever the composition root subscribed.

Services publish typed events and never know who listens: the scheduler
re-plans on ScheduleChanged, threads late recaps on RecapSubmitted and sends
the direct message of a FeedbackGiven, the Slack adapter refreshes the App
Home on RecapSubmitted and FeedbackGiven; `bot/app.py` wires them. Handlers run in the publishing thread (core calls run in worker
threads), so a handler that touches an event loop must hop onto it.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

from .model import Feedback, Member, Recap, Team

log = logging.getLogger(__name__)

# The events published by the unit of work running in this context, delivered after its commit.
HELD: ContextVar[list[tuple["Events", "Event"]] | None] = ContextVar("recapbot_held_events", default=None)


@dataclass(frozen=True)
class RecapSubmitted:
    """A recap was stored (first version or a replacement), whichever way it was written."""

    team: Team
    member: Member
    recap: Recap


@dataclass(frozen=True)
class ScheduleChanged:
    """The team's meetings moved: settings changed, or a meeting was skipped."""

    team: Team


@dataclass(frozen=True)
class FeedbackGiven:
    """Someone gave feedback on `member`'s recap: they are told in a direct message."""

    team: Team
    member: Member
    feedback: Feedback


Event = RecapSubmitted | ScheduleChanged | FeedbackGiven
E = TypeVar("E", RecapSubmitted, ScheduleChanged, FeedbackGiven)


class Events:
    def __init__(self) -> None:
        self._handlers: dict[type, list[Callable]] = defaultdict(list)

    def subscribe(self, kind: type[E], handler: Callable[[E], None]) -> None:
        self._handlers[kind].append(handler)

    def publish(self, event: Event) -> None:
        """Tell every handler; one failing is logged and does not undo what the person did.
        Inside a unit of work (core/unit.py) the event waits until the unit has committed:
        handlers hand work to other threads, which must find the change stored."""
        held = HELD.get()
        if held is not None:
            held.append((self, event))
            return
        self.deliver(event)

    def deliver(self, event: Event) -> None:
        for handler in list(self._handlers.get(type(event), ())):
            try:
                handler(event)
            except Exception:  # noqa: BLE001 - the change is stored; a listener's trouble is its own
                log.exception("%s handler %r failed", type(event).__name__, handler)
