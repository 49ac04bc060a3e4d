"""The console adapter: the bot on standard input and output, no tokens needed.

It reads one command per line, so it works on a terminal and with piped
input alike. `/as <name>` switches who is typing; a new name joins the team.
"""
from __future__ import annotations

import asyncio
import getpass
import os
import re
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import TextIO

from ..core.commands import CommandHandler
from ..core.delivery import PostParts
from ..core.errors import FieldErrors, UserError
from ..core.forms import FIGURING_LABEL, TEXT_FIELDS, RecapForm
from ..core.guard import guard
from ..core.model import MAX_NAME_CHARS, Actor, Digest, DigestEntry, Member, RecapDraft, Team
from ..core.parsing import shown
from ..core.replies import (
    ConfirmReply,
    DigestReply,
    FileAttachment,
    FileReply,
    FormReply,
    Reply,
    SettingsReply,
    TextReply,
)
from ..core.service import Core
from ..core.texts import NOT_VALID_TEXT, submitted, when
from ..core.validation import clean_text
from ..render.markdown import entry_lines, render_digest

WORKSPACE = "console:local"
BANNER = "recapbot console. Type /recap help for commands, /as <name> to switch person, /quit to leave."
# Bytes that are not UTF-8 arrive as lone surrogates (stdin decodes with surrogateescape).
_UNDECODABLE = re.compile("[\ud800-\udfff]")


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
        self._stopping = False

    # -- the Chat port (used by the scheduler): each post is one part ----------
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
            parts,
            f"[reminder to {member.display_name}] The digest for the meeting on {when(meeting_local)} "
            "goes out soon and you have not written yet. Type /recap to write your recap."
        )

    async def tell(self, team: Team, user_ref: str, text: str) -> None:
        self.write(f"[message to {user_ref}] {text}")

    # -- the loop --------------------------------------------------------------
    def actor(self) -> Actor:
        return Actor(workspace=WORKSPACE, user_ref=self.user.casefold(), display_name=self.user, is_admin=True)

    def write(self, text: str) -> None:
        self.stdout.write(text.rstrip("\n") + "\n")
        self.stdout.flush()

    async def run(self) -> int:
        """Read commands until end of input or /quit."""
        if self.interactive:
            self.write(BANNER)
        while not self._stopping:
            if self.interactive:
                self.stdout.write(f"{self.user}> ")
                self.stdout.flush()
            line = await self._next_line()
            if not line:
                break
            if self.handle_line(line) is False:
                break
        return 0

    async def _next_line(self) -> str:
        """One line, read by a daemon thread started for it: a SIGTERM (which cancels
        this task) never waits for a blocked terminal read, and nothing reads ahead
        of the form's own prompts."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()

        def deliver(line: str) -> None:
            if not future.done():
                future.set_result(line)

        def read() -> None:
            try:
                line = self.stdin.readline()
            except ValueError:  # undecodable input on a stream we could not reconfigure
                line = "\udcff\n"
            try:
                loop.call_soon_threadsafe(deliver, line)
            except RuntimeError:  # the loop closed while we waited: shutting down
                pass

        threading.Thread(target=read, name="console-stdin", daemon=True).start()
        return await future

    def stop(self) -> None:
        self._stopping = True

    def handle_line(self, line: str) -> bool:
        """Handle one line; False means the person asked to quit. Nothing a line holds
        stops the console: an unexpected failure is logged and reported (core/guard.py)."""
        with guard("console line") as failure:
            return self._handle_line(line)
        self.write(f"Error: {failure.message}")
        return True

    def _handle_line(self, line: str) -> bool:
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
                self.core.teams.member_for(self.actor())
                if self.interactive:
                    self.write(f"You are now {name}.")
            return True
        if word == "/help":
            text = "/recap help"
        elif word != "/recap":
            self.write(f"Unknown command {shown(word)}. Commands start with /recap; try /recap help. "
                       "Console only: /as <name>, /quit.")
            return True
        self.show(self.handler.handle(self.actor(), text))
        return True

    def show(self, reply: Reply) -> None:
        if isinstance(reply, TextReply):
            self.write(reply.text if reply.ok else f"Error: {reply.text}")
        elif isinstance(reply, DigestReply):
            self.write((f"_{reply.note}_\n\n" if reply.note else "") + render_digest(reply.digest))
        elif isinstance(reply, SettingsReply):
            self.write(reply.text)
        elif isinstance(reply, FormReply):
            self.fill_form(reply.form)
        elif isinstance(reply, FileReply):
            paths = save_files(self.export_dir or Path.cwd(), reply.files)
            self.write(reply.text + "\nWritten to:\n" + "\n".join(f"  {path}" for path in paths))
        elif isinstance(reply, ConfirmReply):
            self.confirm(reply)

    def confirm(self, reply: ConfirmReply) -> None:
        """The console's confirmation button: typing yes (the next line, on a terminal or piped)."""
        self.write(reply.text + "\nType yes to go ahead; anything else cancels.")
        if self.stdin is sys.stdin and self.interactive:
            try:
                answer = input("> ")
            except EOFError:
                answer = ""
        else:
            answer = self.stdin.readline()
        if answer.strip().lower() != "yes":
            self.write(reply.cancelled_text)
            return
        self.show(self.handler.confirm(self.actor(), reply.action))

    # -- the form as prompts -----------------------------------------------------
    def fill_form(self, form: RecapForm) -> None:
        if not self.interactive:
            self.write(
                "Error: the form needs a terminal. In scripts use "
                '/recap submit --question "..." --progress "..." --failures "..." --questions "..." [--figuring-it-out]'
            )
            return
        self.write(f"Recap for the meeting on {when(form.meeting_local)}; "
                   f"the digest goes out {when(form.digest_local)}.")
        if form.replacing:
            self.write("You already submitted for this meeting: your answers are pre-filled and will be replaced.")
        values = form.prefill()
        for spec in TEXT_FIELDS:
            values[spec.key] = self._ask(f"{spec.label} ({spec.placeholder})", values[spec.key])
        figuring = self._ask(f"{FIGURING_LABEL}? [y/N]", "y" if form.figuring_it_out else "").lower() in ("y", "yes")
        for _attempt in range(3):
            draft = RecapDraft(figuring_it_out=figuring, **values)
            try:
                result = self.core.recaps.submit(self.actor(), draft)
            except FieldErrors as exc:
                for key, message in exc.errors.items():
                    self.write(f"Error: {message}")
                    label = next(s.label for s in TEXT_FIELDS if s.key == key)
                    values[key] = self._ask(label, values[key])
                continue
            except UserError as exc:
                self.write(f"Error: {exc.message}")
                return
            self.write(submitted(result, self.core.clock.now(), form.meeting_local.tzinfo))
            return
        self.write("Error: still not valid after three tries; nothing was saved.")

    def _ask(self, label: str, prefill: str) -> str:
        """One answer. On a terminal the pre-filled text is editable (readline);
        elsewhere an empty answer keeps it."""
        self.write(label + (f" [{_preview(prefill)}]" if prefill and self.stdin is not sys.stdin else ""))
        if self.stdin is not sys.stdin:
            answer = self.stdin.readline().rstrip("\n")
            if _UNDECODABLE.search(answer):
                self.write(f"Error: {NOT_VALID_TEXT}")
                return prefill
            return answer or prefill
        try:
            import readline
        except ImportError:  # pragma: no cover - platforms without readline
            readline = None
        if readline is not None:
            readline.set_startup_hook(lambda: readline.insert_text(prefill))
        try:
            return input("> ")
        except EOFError:
            return prefill
        finally:
            if readline is not None:
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


def _preview(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "\u2026"


def _default_user() -> str:
    try:
        return getpass.getuser() or "you"
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "you"

