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
class FormErrors:
    """A filled-in form that was not saved: what is wrong, by field key (forms.TEXT_FIELDS),
    so a form can show each message beside its field and keep what was typed."""

    errors: dict[str, str]

    @property
    def text(self) -> str:
        return " ".join(self.errors.values())


@dataclass(frozen=True)
class SettingsReply:
    """`/recap setup` without arguments: show or edit the team's settings."""

    team: Team
    text: str
    can_edit: bool
    admin_names: dict[str, str] = field(default_factory=dict)  # user id -> display name
    note: str = ""  # said before the settings (a group was just created for this channel)


@dataclass(frozen=True)
class DigestReply:
    """A digest shown only to the person who asked (a preview)."""

    digest: Digest
    note: str = ""


@dataclass(frozen=True)
class FileAttachment:
    filename: str
    content: bytes
    mime: str


@dataclass(frozen=True)
class FileReply:
    """Files for the person alone (their data export, a deck), with a short note.

    `sent` is what to say where the files went when a platform delivers them
    elsewhere (Slack puts them in a direct message); empty: the export's words."""

    text: str
    files: tuple[FileAttachment, ...]
    sent: str = ""


@dataclass(frozen=True)
class ConfirmReply:
    """Ask before doing something that cannot be undone.

    `action` goes back to `CommandHandler.confirm` when the person confirms
    (a button; on the console, typing yes); cancelling needs no core call.
    """

    text: str
    action: str
    confirm_label: str
    cancelled_text: str


@dataclass(frozen=True)
class JoinReply:
    """The command meant a group the person is not in: offer to join it (a Join button;
    the console's text says `/recap join`). `then` is the command to carry on with once
    joined ("submit" opens the form)."""

    text: str
    group_id: int
    group_name: str
    then: str = ""


@dataclass(frozen=True)
class ChooseGroupReply:
    """The command could mean several groups. The form's picker (Slack's modal select,
    Discord's select) offers `groups` (id, name); elsewhere the text says how to choose.
    `joining`: the person is in none of them (picking one joins it)."""

    text: str
    groups: tuple[tuple[int, str], ...]
    command: str
    joining: bool = False


Reply = (TextReply | FormReply | FormErrors | SettingsReply | DigestReply | FileReply | ConfirmReply
         | JoinReply | ChooseGroupReply)
