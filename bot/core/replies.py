"""What a command answers, before any platform renders it.

Text replies use a small Markdown subset (**bold**, _italic_, `code`, lists)
that every adapter can show or translate.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .forms import RecapForm
from .model import Digest, Team


@dataclass(frozen=True)
class TextReply:
    text: str
    ok: bool = True


@dataclass(frozen=True)
class FormReply:
    """Open the recap form (a modal, or prompts on the console)."""

    form: RecapForm


@dataclass(frozen=True)
class SettingsReply:
    """`/recap setup` without arguments: show or edit the team's settings."""

    team: Team
    text: str
    can_edit: bool
    admin_names: dict[str, str] = field(default_factory=dict)  # user id -> display name


@dataclass(frozen=True)
class DigestReply:
    """A digest shown only to the person who asked (a preview)."""

    digest: Digest
    note: str = ""


Reply = TextReply | FormReply | SettingsReply | DigestReply
