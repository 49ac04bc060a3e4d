"""The console adapter: the bot on standard input and output, no tokens needed.

It reads one command per line, so it works on a terminal and with piped
input alike. Console-only switches: `/as <name>` switches who is typing (in a
workspace with one group, a new name joins it); `/channel <name>` says which
channel the next commands are typed in (a group's channel means that group),
`/channel` alone leaves it; `/group <name>` picks a group as a picker would.
"""
from __future__ import annotations

import asyncio
import getpass
import os
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TextIO

from ..core.commands import CommandHandler
from ..core.delivery import PostParts
from ..core.errors import UserError
from ..core.forms import FIGURING_LABEL, MILESTONES_KEY, MILESTONES_LABEL, PROGRESS, TEXT_FIELDS, RecapForm
from ..core.guard import guard
from ..core.model import (
    MAX_FIGURE_BYTES,
    MAX_NAME_CHARS,
    Actor,
    Digest,
    DigestEntry,
    FigureUpload,
    Member,
    RecapDraft,
    Team,
    Workspace,
)
from ..core.parsing import shown, split_args
from ..core.replies import (
    ChooseGroupReply,
    ConfirmReply,
    DigestReply,
    FileAttachment,
    FileReply,
    FormErrors,
    FormReply,
    JoinReply,
    Reply,
    SettingsReply,
    TextReply,
)
from ..core.service import Core
from ..core.commands import parse_milestone_numbers
from ..core.texts import (
    FORM_REPLACING, NOT_VALID_TEXT, SUBMIT_USAGE, copy_label, form_feedback, form_intro, form_last_plan, milestone_line,
    reminder,
)
from ..core.validation import clean_text
from ..render.markdown import entry_lines, render_digest
from ..supervisor import Runner
from . import core_call

WORKSPACE = Workspace("console", "local")
BANNER = ("recapbot console. Type /recap help for commands, /as <name> to switch person, /channel <name> and "
          "/group <name> to say where you are, /quit to leave.")
CONSOLE_ONLY = "Console only: /as <name>, /channel [name], /group [name], /quit."
# Bytes that are not UTF-8 arrive as lone surrogates (stdin decodes with surrogateescape).
_UNDECODABLE = re.compile("[\ud800-\udfff]")


class ConsoleChat:
    """The Chat port on the console: digests, late updates and reminders are printed, each one part."""

    platform = WORKSPACE.platform
    needs_channel = False  # the digest is printed here, whatever the team's channel

    def __init__(self, write: Callable[[str], None]):
        self.write = write

    async def _write_part(self, parts: PostParts, text: str) -> list[str]:
        async def post(_index: int, message: str) -> str:
            self.write(message)
            return f"console:{parts.key}"
        return await parts.send([text], post)

    async def post_digest(self, team: Team, digest: Digest, parts: PostParts) -> list[str]:
        return await self._write_part(parts, f"[digest posted to {team.channel or 'the console'}]\n{render_digest(digest)}")

    async def post_late_update(self, team: Team, refs: list[str], entry: DigestEntry, parts: PostParts) -> list[str]:
        return await self._write_part(parts, "[late update, in the digest's thread]\n" + "\n".join(entry_lines(entry)))

    async def remind(self, team: Team, member: Member, meeting_local: datetime, parts: PostParts) -> list[str]:
        return await self._write_part(
            parts, f"[reminder to {member.display_name}] {reminder(team, member, meeting_local)} "
                   "Type /recap to write your recap.")

    async def tell(self, team: Team, user_ref: str, text: str) -> None:
        self.write(f"[message to {user_ref}] {text}")


class ConsoleAdapter:
    def __init__(self, core: Core, stdin: TextIO | None = None, stdout: TextIO | None = None,
                 user: str | None = None, interactive: bool | None = None, export_dir: Path | None = None):
        self.core = core
        self.export_dir = export_dir  # where /recap export writes (default: the current directory)
        self.handler = CommandHandler(core)
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        try:  # invalid UTF-8 must not end the session: keep the bytes, then refuse the line
            self.stdin.reconfigure(errors="surrogateescape")
        except (AttributeError, ValueError, OSError):  # not a text file (a StringIO in tests)
            pass
        self.interactive = self.stdin.isatty() if interactive is None else interactive
        self.user = user or _default_user()
        self.channel: str | None = None  # "#papers" after /channel papers
        self.group: str | None = None  # after /group NAME
        self.chat = ConsoleChat(self.write)
        self.runner = Runner("console", self.run, ends_process=True)  # end of input ends the bot

    def actor(self) -> Actor:
        return Actor(workspace=WORKSPACE, user_ref=self.user.casefold(), display_name=self.user, is_admin=True,
                     channel=self.channel, channel_name=self.channel[1:] if self.channel else None, group=self.group)

    def write(self, text: str) -> None:
        self.stdout.write(text.rstrip("\n") + "\n")
        self.stdout.flush()

    # -- the loop --------------------------------------------------------------
    async def run(self) -> int:
        """Read commands until end of input or /quit."""
        if self.interactive:
            self.write(BANNER)
        while True:
            if self.interactive:
                self.stdout.write(f"{self.user}> ")
                self.stdout.flush()
            line = await self._next_line()
            if not line:
                break
            if await self.handle_line(line) is False:
                break
        return 0

    async def _next_line(self) -> str:
        return await self._read(self._readline)

    def _readline(self) -> str:
        try:
            return self.stdin.readline()
        except ValueError:  # undecodable input on a stream we could not reconfigure
            return "\udcff\n"

    async def _read(self, read: Callable[[], str]) -> str:
        """One blocking read, in a daemon thread started for it: the event loop (and the
        scheduler on it) keeps running meanwhile, a SIGTERM (which cancels this task) never
        waits for a blocked terminal read, and nothing reads ahead of the form's prompts."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()

        def deliver(result: str | BaseException) -> None:
            if future.done():
                return
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)

        def work() -> None:
            try:
                result: str | BaseException = read()
            except BaseException as exc:  # noqa: BLE001 - EOFError from input(), mostly: the caller decides
                result = exc
            try:
                loop.call_soon_threadsafe(deliver, result)
            except RuntimeError:  # the loop closed while we waited: shutting down
                pass

        threading.Thread(target=work, name="console-stdin", daemon=True).start()
        return await future

    async def handle_line(self, line: str) -> bool:
        """Handle one line; False means the person asked to quit. Nothing a line holds
        stops the console: an unexpected failure is logged and reported (core/guard.py)."""
        with guard("console line") as failure:
            return await self._handle_line(line)
        self.write(f"Error: {failure.message}")
        return True

    async def _handle_line(self, line: str) -> bool:
        if _UNDECODABLE.search(line):
            self.write(f"Error: {NOT_VALID_TEXT}")
            return True
        text = line.strip()
        if not text or text.startswith("#"):
            return True
        word = text.split()[0].lower()
        if word in ("/quit", "/exit"):
            return False
        if word == "/as":
            try:
                name = clean_text(text[3:], "The name", MAX_NAME_CHARS)
            except UserError as exc:
                self.write(f"Error: {exc.message}")
                return True
            if not name or len(name.casefold()) > MAX_NAME_CHARS:
                self.write(f"Use /as <name>, e.g. /as alice (at most {MAX_NAME_CHARS} characters).")
            else:
                self.user = name
                groups = await core_call(self.core.groups.in_workspace, WORKSPACE)
                if len(groups) == 1:  # the one-group console of before: everyone typing is in it
                    await core_call(self.core.teams.member_for, self.actor(), groups[0])
                if self.interactive:
                    self.write(f"You are now {name}.")
            return True
        if word in ("/channel", "/group"):
            value = _switch_value(text)
            if value is not None and word == "/channel":
                self.channel = "#" + value.lstrip("#") if value else None
                self.write(f"Now in {self.channel}." if self.channel else "Now outside any channel.")
            elif value is not None:
                self.group = value or None
                self.write(f"Commands now mean the group {value}." if value else "No group picked.")
            else:
                self.write(f"Use {word} <name> (at most {MAX_NAME_CHARS} characters), or {word} alone to clear it.")
            return True
        if word == "/help":
            text = "/recap help"
        elif word == "/recap" and "--figure" in text:
            await self._submit_with_figures(text)
            return True
        elif word != "/recap":
            self.write(f"Unknown command {shown(word)}. Commands start with /recap; try /recap help. " + CONSOLE_ONLY)
            return True
        await self.show(await core_call(self.handler.handle, self.actor(), text))
        return True

    async def _submit_with_figures(self, text: str) -> None:
        """`/recap [submit] --progress ... --figure PATH [--caption TEXT] ...`: the console's own flag,
        read here on the operator's machine (a chat user's `--figure` never reaches a file)."""
        try:
            words = split_args(text)[1:]
            if words and words[0].lower() == "submit":
                words = words[1:]
            rest, figures = read_figure_flags(words)
        except UserError as exc:
            self.write(f"Error: {exc.message}")
            return
        await self.show(await core_call(self.handler.run, self.actor(), "submit", rest, None, figures))

    async def show(self, reply: Reply) -> None:
        if isinstance(reply, TextReply):
            self.write(reply.text if reply.ok else f"Error: {reply.text}")
        elif isinstance(reply, DigestReply):
            self.write((f"{reply.note}\n\n" if reply.note else "") + render_digest(reply.digest))
        elif isinstance(reply, SettingsReply):
            self.write(reply.text)
        elif isinstance(reply, FormReply):
            await self.fill_form(reply.form)
        elif isinstance(reply, FileReply):
            paths = save_files(self.export_dir or Path.cwd(), reply.files)
            self.write(reply.text + "\nWritten to:\n" + "\n".join(f"  {path}" for path in paths))
        elif isinstance(reply, ConfirmReply):
            await self.confirm(reply)
        elif isinstance(reply, JoinReply):  # the text says how: `/recap join NAME`
            self.write(reply.text)
        elif isinstance(reply, ChooseGroupReply):
            self.write(reply.text + ("" if reply.joining else " On the console, `/group NAME` picks one."))

    async def confirm(self, reply: ConfirmReply) -> None:
        """The console's confirmation button: typing yes (the next line, on a terminal or piped)."""
        self.write(reply.text + "\nType yes to go ahead; anything else cancels.")
        if self.stdin is sys.stdin and self.interactive:
            try:
                answer = await self._read(lambda: input("> "))
            except EOFError:
                answer = ""
        else:
            answer = await self._next_line()
        if answer.strip().lower() != "yes":
            self.write(reply.cancelled_text)
            return
        await self.show(await core_call(self.handler.confirm, self.actor(), reply.action))

    # -- the form as prompts -----------------------------------------------------
    async def fill_form(self, form: RecapForm) -> None:
        if not self.interactive:
            self.write(f"Error: the form needs a terminal. In scripts use {SUBMIT_USAGE}")
            return
        actor = replace(self.actor(), group=str(form.group_id))  # the group the form is for
        for other in form.others:
            answer = await self._ask(f"{copy_label(other.group_name)}? [y/N]", "")
            if answer.strip().lower() in ("y", "yes"):
                form = await core_call(self.core.recaps.form, actor, str(other.group_id))
                break
        self.write(form_intro(form))
        for line in form_feedback(form.feedback):
            self.write(line)
        if form.replacing:
            self.write(FORM_REPLACING)
        values = form.prefill()
        for spec in TEXT_FIELDS:
            if spec is PROGRESS and form.last_plan:
                self.write(form_last_plan(form.last_plan))
            values[spec.key] = await self._ask(f"{spec.label} ({spec.placeholder})", values[spec.key])
        reached = ""
        if form.milestones:
            self.write("Your open milestones:\n" + "\n".join(f"- {milestone_line(m)}" for m in form.milestones))
            reached = await self._ask(f"{MILESTONES_LABEL} (their numbers, e.g. 1 3; empty for none)", "")
        answer = await self._ask(f"{FIGURING_LABEL}? [y/N]", "y" if form.figuring_it_out else "")
        figuring = answer.lower() in ("y", "yes")
        for _attempt in range(3):
            try:
                done = parse_milestone_numbers(reached)
            except UserError as exc:
                reply: Reply = FormErrors({MILESTONES_KEY: exc.message})
            else:
                draft = RecapDraft(figuring_it_out=figuring, milestones_done=done, **values)
                reply = await core_call(self.core.submit_recap, actor, draft)
            if isinstance(reply, FormErrors):
                for key, message in reply.errors.items():
                    self.write(f"Error: {message}")
                    if key == MILESTONES_KEY:
                        reached = await self._ask(MILESTONES_LABEL, reached)
                        continue
                    label = next(s.label for s in TEXT_FIELDS if s.key == key)
                    values[key] = await self._ask(label, values[key])
                continue
            self.write(reply.text if reply.ok else f"Error: {reply.text}")
            return
        self.write("Error: still not valid after three tries; nothing was saved.")

    async def _ask(self, label: str, prefill: str) -> str:
        """One answer, read without holding up the event loop. On the terminal the
        pre-filled text is editable (readline); elsewhere an empty answer keeps it."""
        terminal = self.stdin is sys.stdin
        self.write(label + (f" [{_preview(prefill)}]" if prefill and not terminal else ""))
        if not terminal:
            answer = (await self._next_line()).rstrip("\n")
            if _UNDECODABLE.search(answer):
                self.write(f"Error: {NOT_VALID_TEXT}")
                return prefill
            return answer or prefill
        try:
            return await self._read(lambda: _input_with(prefill))
        except EOFError:
            return prefill


def read_figure_flags(words: list[str]) -> tuple[list[str], tuple[FigureUpload, ...]]:
    """Take `--figure PATH` (each optionally followed by `--caption TEXT`) out of the words."""
    rest: list[str] = []
    figures: list[FigureUpload] = []
    i = 0
    while i < len(words):
        flag, eq, inline = words[i].partition("=")
        if flag in ("--figure", "--caption"):
            if eq:
                value, i = inline, i + 1
            elif i + 1 < len(words):
                value, i = words[i + 1], i + 2
            else:
                raise UserError(f"{flag} needs a value, e.g. {flag} plot.png.")
            if flag == "--figure":
                figures.append(FigureUpload(_read_figure(value), name=Path(value).name))
            elif not figures:
                raise UserError("--caption goes after the --figure it describes.")
            else:
                figures[-1] = FigureUpload(figures[-1].data, value, figures[-1].name)
            continue
        rest.append(words[i])
        i += 1
    return rest, tuple(figures)


def _read_figure(path: str) -> bytes:
    """A figure file's bytes; one over the limit is read just past it, so the core refuses it by size."""
    try:
        with open(Path(path).expanduser(), "rb") as file:
            return file.read(MAX_FIGURE_BYTES + 1)
    except OSError as exc:
        raise UserError(f"Cannot read the figure {shown(path)}: {exc.strerror or exc}. Nothing was saved.") from None


def _input_with(prefill: str) -> str:
    """input() with `prefill` already typed in, editable (readline's startup hook)."""
    try:
        import readline
    except ImportError:  # pragma: no cover - platforms without readline
        return input("> ")
    readline.set_startup_hook(lambda: readline.insert_text(prefill))
    try:
        return input("> ")
    finally:
        readline.set_startup_hook(None)


def save_files(directory: Path, files: tuple[FileAttachment, ...]) -> list[Path]:
    """Write exported files readable by their owner only (they hold personal data)."""
    directory = Path(directory).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for attachment in files:
        path = directory / Path(attachment.filename).name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(attachment.content)
        os.chmod(path, 0o600)  # O_CREAT's mode does not apply to a file that already existed
        paths.append(path)
    return paths


def _switch_value(line: str) -> str | None:
    """The name after /channel or /group ("" clears it); None when it is not a usable name."""
    try:
        value = clean_text(line.split(maxsplit=1)[1] if len(line.split(maxsplit=1)) > 1 else "", "The name",
                           MAX_NAME_CHARS)
    except UserError:
        return None
    return value.strip().strip('"').strip()


def _preview(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "\u2026"


def _default_user() -> str:
    try:
        return getpass.getuser() or "you"
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "you"

