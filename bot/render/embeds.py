"""Digest -> Discord messages (content + embeds), split to Discord's limits.

Discord rejects a whole message when one limit is crossed (2,000 chars of
content, 10 embeds, 6,000 chars across them, 4,096 per description, 256 per
title or author), so every piece is measured before it is placed and long
text is split, never cut (render.split: only whitespace at the cuts is left
out). Lengths are counted in code points, as Discord's API counts them.

Text people typed is shown, not interpreted as a hidden link (`show_links`);
pings are the adapter's business (allowed_mentions), and mentions inside
embeds never notify anyone anyway.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import discord
import regex

from ..core.forms import FIGURING_LABEL, titled_digest_answers
from ..core.model import WEEKDAYS, Digest, DigestEntry
from ..core.texts import milestone_notes
from .markdown import agenda_line, meeting_title, participation_lines
from .split import characters, prefix_within, split
from .split import take as split_head

CONTENT_MAX = 2000
EMBEDS_PER_MESSAGE = 10
EMBED_TOTAL_MAX = 6000
DESCRIPTION_MAX = 4096
TITLE_MAX = 256
AUTHOR_MAX = 256
THREAD_NAME_MAX = 100
# Components of a message: 5 action rows; a select holds 25 options of at most 100 characters.
ACTION_ROWS = 5
SELECT_OPTIONS = 25
OPTION_MAX = 100
# Below this much room a piece starts a new message rather than leave a sliver.
MIN_PIECE = 400

COLOUR = discord.Colour.blurple()
LATE_COLOUR = discord.Colour.orange()


# Discord's API is written in Python and counts code points (a Discord engineer
# in discord-api-docs#1315): Python's len.
units = characters
# A hard cut keeps graphemes whole, and a backslash with the character it escapes.
_ATOMS = regex.compile(r"\\\X|\X")


def take(text: str, limit: int) -> tuple[str, str]:
    """Split off a head of at most `limit` characters (render.split's contract)."""
    return split_head(text, limit, units, _ATOMS)


def split_text(text: str, limit: int = CONTENT_MAX) -> list[str]:
    """Split text into pieces of at most `limit` characters (render.split's contract)."""
    return split(text, limit, units, _ATOMS)


# Someone's recap text could say [my slides](https://evil.example): Discord would
# show "my slides" and hide where it leads. Escaping the bracket shows the
# text as typed, with the address in plain sight (and still clickable).
_UNESCAPED_BRACKET = re.compile(r"(?<!\\)((?:\\\\)*)\[")


def show_links(text: str) -> str:
    """Text people typed, with masked links ``[text](url)`` shown as typed instead of hidden."""
    last = text.rfind("](")
    if last == -1:
        return text
    return _UNESCAPED_BRACKET.sub(r"\1\\[", text[:last]) + text[last:]


def embed_units(embed: discord.Embed) -> int:
    """What Discord counts toward the 6,000-character budget of one message."""
    total = units(embed.title) + units(embed.description)
    total += sum(units(f.name) + units(f.value) for f in embed.fields)
    total += units(embed.footer.text) + units(embed.author.name)
    return total


@dataclass
class Message:
    """One message to send: `content` (may be None) and up to 10 embeds."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)
    # The controls of a posted digest, as data; the adapter turns them into its buttons and selects.
    feedback_for: int | None = None  # a recap's id: "Give feedback" under this message
    answerable: list[list[tuple[int, str]]] = field(default_factory=list)  # selects of (question id, label)

    @property
    def embed_units(self) -> int:
        return sum(embed_units(e) for e in self.embeds)


@dataclass
class DigestMessages:
    """A digest as messages: `root` is posted to the channel, the rest into its thread."""

    root: Message
    thread_name: str
    header_rest: list[Message]
    members: list[list[Message]]

    @property
    def thread(self) -> list[Message]:
        return [*self.header_rest, *(m for entry in self.members for m in entry)]

    @property
    def all(self) -> list[Message]:
        return [self.root, *self.thread]


def _pack(sections: list[tuple[str, str]], author: str | None, colour: discord.Colour) -> list[Message]:
    """Place (title, text) sections into embeds and messages within every limit.

    Each section gets its own embed (title = label, description = text); a
    section too big for the room left is split across embeds titled
    "label (continued)". `author` heads the first embed of every message so a
    continuation still says whose it is.
    """
    author = fit(author, AUTHOR_MAX) if author else None
    messages: list[Message] = []
    current = Message()

    def flush() -> None:
        nonlocal current
        if current.embeds:
            messages.append(current)
        current = Message()

    for label, text in sections:
        first = True
        rest = show_links(text).strip()
        while first or rest:
            title = fit(label if first else f"{label} (continued)", TITLE_MAX)
            head_author = author if not current.embeds else None
            room = EMBED_TOTAL_MAX - current.embed_units - units(title) - units(head_author)
            budget = min(DESCRIPTION_MAX, room)
            if current.embeds and (len(current.embeds) >= EMBEDS_PER_MESSAGE or budget < min(units(rest), MIN_PIECE)):
                flush()
                continue
            piece, rest = take(rest, budget)
            embed = discord.Embed(title=title, description=piece or None, colour=colour)
            if head_author:
                embed.set_author(name=head_author)
            current.embeds.append(embed)
            first = False
    flush()
    return messages


def fit(text: str, limit: int) -> str:
    """Short labels (names, titles): an ellipsis rather than a rejected message."""
    if units(text) <= limit:
        return text
    return text[: prefix_within(text, limit - 1, units)] + "\u2026"


def entry_sections(entry: DigestEntry) -> list[tuple[str, str]]:
    sections = titled_digest_answers(entry)
    if not sections:
        sections.append((FIGURING_LABEL, ""))
    notes = milestone_notes(entry)
    if notes:
        sections.append(("Milestones", "\n".join(notes)))
    return sections


def entry_author(entry: DigestEntry) -> str:
    notes = []
    if entry.recap.late:
        notes.append("late update")
    if entry.recap.figuring_it_out:
        notes.append(FIGURING_LABEL.lower())
    if entry.recap.streak > 1:
        notes.append(f"streak {entry.recap.streak}")
    unlinked = sum(1 for f in entry.figures if not f.url)
    if unlinked:
        notes.append(f"{unlinked} figure{'s' if unlinked > 1 else ''} in the deck")
    return entry.member.display_name + "".join(f" \u00b7 {n}" for n in notes)


def render_entry(entry: DigestEntry, actions: bool = False) -> list[Message]:
    """One member's recap: one message when it fits, more when it does not; then its figures,
    one embed each (an embed shows one image), fetched by Discord from the figure's signed URL.
    In a posted digest (`actions`) its last message carries the "Give feedback" button."""
    colour = LATE_COLOUR if entry.recap.late else COLOUR
    messages = _pack(entry_sections(entry), entry_author(entry), colour)
    for figure in (f for f in entry.figures if f.url):
        title = fit(figure.caption or f"Figure {figure.position}", TITLE_MAX)
        embed = discord.Embed(title=title, colour=colour).set_image(url=figure.url)
        last = messages[-1]
        if len(last.embeds) >= EMBEDS_PER_MESSAGE or last.embed_units + units(title) > EMBED_TOTAL_MAX:
            last = Message()
            messages.append(last)
        last.embeds.append(embed)
    if actions:
        messages[-1].feedback_for = entry.recap.id
    return messages


def _answerable(digest: Digest, header: list[Message]) -> None:
    """The open questions as selects ("Answered"), 25 to a select and 5 selects to a message,
    on the header's messages in order (more messages when they do not fit)."""
    options = [(item.question_id, fit(f"#{item.number} {item.text}", OPTION_MAX))
               for item in digest.agenda if item.question_id and not item.answered]
    selects = [options[i:i + SELECT_OPTIONS] for i in range(0, len(options), SELECT_OPTIONS)]
    at = 0
    while selects:
        if at == len(header):
            header.append(Message(content="Questions for the meeting, continued: mark those answered."))
        header[at].answerable, selects = selects[:ACTION_ROWS], selects[ACTION_ROWS:]
        at += 1


def render_digest(digest: Digest, actions: bool = False) -> DigestMessages:
    title = fit(show_links(meeting_title(digest)), CONTENT_MAX - 200)
    count = len(digest.entries)
    lead = f"**{title}**\n" + (
        f"{count} recap{'s' if count != 1 else ''} in the thread below." if count else "No recaps yet for this meeting."
    )
    sections = []
    if digest.north_star:
        sections.append(("North star", digest.north_star))
    sections.append(("Participation", "\n".join(participation_lines(digest))))
    agenda = "\n".join(agenda_line(item, i) for i, item in enumerate(digest.agenda, 1))
    sections.append(("Questions for the meeting", agenda or "No questions this time."))
    header = _pack(sections, None, COLOUR)
    header[0].content = lead
    if actions:
        _answerable(digest, header)
    m = digest.meeting_local
    thread_name = fit(f"Recaps for {WEEKDAYS[m.weekday()]} {m:%d %b %Y}: {digest.team_name}", THREAD_NAME_MAX)
    return DigestMessages(
        root=header[0],
        thread_name=thread_name,
        header_rest=header[1:],
        members=[render_entry(entry, actions) for entry in digest.entries],
    )
