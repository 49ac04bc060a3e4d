"""Digest -> Slack Block Kit messages, split to Slack's limits and never truncated.

Slack rejects a message with more than 50 blocks, a section over 3,000
characters, or (``msg_blocks_too_long``) roughly 12,000+ characters of block
text in total. A digest of 40 members with 3,000-character answers is far
larger than one message, so everything here is built as a list of blocks that
is then packed into as many messages as needed; long text is split at
paragraph, line or word boundaries. Blocks are built with slack_sdk's own
models, whose ``to_dict()`` validates them against Block Kit's rules.

Also here: the core's Markdown subset -> Slack mrkdwn, and the escaping of
text people typed (so ``<!channel>`` in a recap pings nobody).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import regex
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    ImageBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from ..core.forms import CHANGED, FIGURING_LABEL, digest_answers
from ..core.model import WEEKDAYS, Digest, DigestEntry
from ..core.texts import ANSWERED, GIVE_FEEDBACK, figures_note, milestone_notes
from .markdown import agenda_parts, meeting_title, participation_lines
from .split import prefix_within, split, take, utf16_units

MAX_BLOCKS = 50
MAX_SECTION_CHARS = SectionBlock.text_max_length  # 3,000
MAX_HEADER_CHARS = HeaderBlock.text_max_length  # 150
# Total block text per message. Slack's documented figure is vague ("about
# 12,000"; bolt-js#2509 saw rejections near 13,000): stay clearly below it.
MAX_MESSAGE_CHARS = 11_000
MAX_FALLBACK_CHARS = 3_000
MAX_CONTEXT_CHARS = 2_000
# The buttons of a posted digest (the Slack adapter listens for these action ids).
FEEDBACK_ACTION = "recap_feedback"  # value: the recap's id
ANSWERED_ACTION = "question_answered"  # value: the group question's id
MAX_ALT_CHARS = ImageBlock.alt_text_max_length  # 2,000
MAX_IMAGE_TITLE_CHARS = ImageBlock.title_max_length  # 2,000


# --------------------------------------------------------------------------- text
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def escape(text: str) -> str:
    """Escape what Slack treats as control characters in mrkdwn (&, <, >)."""
    return text.translate(_ESCAPES)


_BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
_HEADING = re.compile(r"^#{1,6}\s+(.*)$", re.MULTILINE)
_BULLET = re.compile(r"^(\s*)[-*]\s+", re.MULTILINE)
_CODE = re.compile(r"(`[^`]*`)")


def to_mrkdwn(markdown: str) -> str:
    """The core's Markdown subset (**bold**, _italic_, `code`, "- " lists, # headings) as mrkdwn.

    Everything is escaped first, so names and answers people typed cannot
    form links or mentions. Code spans are left exactly as they are.
    """
    parts = _CODE.split(escape(markdown))
    out = []
    for i, part in enumerate(parts):
        if i % 2:  # a `code` span
            out.append(part)
            continue
        part = _HEADING.sub(lambda m: f"*{m[1].strip()}*", part)
        part = _BOLD.sub(lambda m: f"*{m[1]}*", part)
        part = _BULLET.sub(lambda m: f"{m[1]}\u2022 ", part)
        out.append(part)
    return "".join(out)


def to_plain(markdown: str) -> str:
    """The core's Markdown as plain text (notification fallbacks)."""
    text = _BOLD.sub(lambda m: m[1], markdown)
    return _HEADING.sub(lambda m: m[1].strip(), text)


# Slack's docs say "characters" and slack_sdk's models count code points (len);
# Slack's servers do not say how they count. UTF-16 units are never fewer than
# code points, so a piece measured in units fits whichever way Slack counts, at
# the cost of a little room in emoji-heavy text.
measure = utf16_units
# A hard cut never splits an escape (``&amp;``) or a grapheme.
_ATOMS = regex.compile(r"&(?:amp|lt|gt);|\X")


def split_text(text: str, limit: int) -> list[str]:
    """Split mrkdwn (already escaped) into pieces of at most `limit` units (render.split's contract)."""
    return split(text, limit, measure, _ATOMS)


def labelled_sections(label: str, body: str, limit: int = MAX_SECTION_CHARS) -> list[SectionBlock]:
    """`label` (mrkdwn) over `body` (mrkdwn, already escaped), as sections within the limit."""
    head, rest = take(body.strip(), limit - measure(label) - 1, measure, _ATOMS)
    out = [section(f"{label}\n{head}" if head else label)]
    out += [section(chunk) for chunk in split_text(rest, limit)]
    return out


def section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text))


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text[:prefix_within(text, MAX_CONTEXT_CHARS, measure)])])


# ----------------------------------------------------------------------- packing
@dataclass
class SlackMessage:
    """One chat.postMessage worth: a notification fallback and validated block dicts."""

    text: str
    blocks: list[dict] = field(default_factory=list)

    def block_chars(self) -> int:
        return sum(block_text_length(b) for b in self.blocks)


def block_text_length(block: dict) -> int:
    """Text in one block dict, by `measure` (what Slack's per-message limit counts)."""
    total = 0
    stack: list = [block]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("type") in ("mrkdwn", "plain_text") and isinstance(item.get("text"), str):
                total += measure(item["text"])
            else:
                stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return total


def _fallback(text: str) -> str:
    text = escape(text)
    return text if len(text) <= MAX_FALLBACK_CHARS else text[: MAX_FALLBACK_CHARS - 1] + "\u2026"


def pack(blocks: list[Block], fallback: str, continued: str | None = None,
         max_blocks: int = MAX_BLOCKS, max_chars: int = MAX_MESSAGE_CHARS) -> list[SlackMessage]:
    """Pack blocks, in order, into messages within the block-count and text limits.

    Each message after the first starts with a small "continued" context line
    when `continued` is given, so a reader of the thread knows whose it is.
    """
    dicts = [b.to_dict() for b in blocks]  # to_dict() runs slack_sdk's validation
    messages: list[SlackMessage] = []
    current: list[dict] = []
    chars = 0
    for block in dicts:
        size = block_text_length(block)
        if current and (len(current) + 1 > max_blocks or chars + size > max_chars):
            messages.append(SlackMessage(_fallback(fallback if not messages else f"{fallback} (continued)"), current))
            current, chars = [], 0
            if continued:
                lead = context(f"_{continued}_").to_dict()
                current.append(lead)
                chars += block_text_length(lead)
        current.append(block)
        chars += size
    if current:
        messages.append(SlackMessage(_fallback(fallback if not messages else f"{fallback} (continued)"), current))
    return messages


# ------------------------------------------------------------------------ digest
def _when(moment) -> str:
    return f"{WEEKDAYS[moment.weekday()]} {moment:%d %b %Y, %H:%M}"


def entry_blocks(entry: DigestEntry, actions: bool = False) -> list[Block]:
    """One member's recap: name, streak, then each answer in full (last time's plan before
    progress), their milestones, and in a posted digest (`actions`) the "Give feedback" button."""
    recap = entry.recap
    name = escape(entry.member.display_name)
    head = f"*{name}*" + (" _(late update)_" if recap.late else "")
    blocks: list[Block] = [section(head)]
    if entry.recap.streak > 1:
        blocks.append(context(f":fire: {entry.recap.streak} meetings in a row"))
    for title, value, mark in digest_answers(entry):
        blocks += labelled_sections(f"*{escape(title)}*" + (f" _({CHANGED})_" if mark else ""), escape(value))
    if recap.figuring_it_out:
        blocks.append(context(f"_{FIGURING_LABEL}._"))
    unlinked = sum(1 for f in entry.figures if not f.url)
    if unlinked:
        blocks.append(context(f"_{figures_note(unlinked)}_"))
    for figure in (f for f in entry.figures if f.url):  # Slack fetches each from the bot's signed URL
        caption = figure.caption or f"Figure {figure.position}"
        blocks.append(ImageBlock(image_url=figure.url, alt_text=caption[:MAX_ALT_CHARS],
                                 title=PlainTextObject(text=caption[:MAX_IMAGE_TITLE_CHARS])))
    notes = milestone_notes(entry)
    if notes:
        blocks.append(context(":triangular_flag_on_post: " + " \u00b7 ".join(escape(n) for n in notes)))
    if actions:
        blocks.append(ActionsBlock(elements=[ButtonElement(text=GIVE_FEEDBACK, action_id=FEEDBACK_ACTION,
                                                           value=str(recap.id))]))
    return blocks


def entry_messages(entry: DigestEntry, actions: bool = False) -> list[SlackMessage]:
    name = entry.member.display_name
    suffix = " (late update)" if entry.recap.late else ""
    return pack(entry_blocks(entry, actions), f"Recap from {name}{suffix}", continued=f"{escape(name)}, continued")


def _header(digest: Digest) -> Block:
    title = meeting_title(digest)
    if measure(title) <= MAX_HEADER_CHARS:
        return HeaderBlock(text=PlainTextObject(text=title, emoji=True))
    return section(f"*{escape(title)}*")  # a long team name: a bold section keeps it whole


def agenda_blocks(digest: Digest, actions: bool) -> list[Block]:
    """The questions for the meeting; in a posted digest each open one has its own "Answered" button
    (a section with the button beside it: one block per question, packed into as many messages as needed)."""
    if not digest.agenda:
        return [section("*Questions for the meeting*\nNo questions this time.")]
    lines = []
    for i, item in enumerate(digest.agenda, 1):
        lead, question, notes = agenda_parts(item, i)
        lines.append(f"{lead} {escape(question)} _({escape(notes)})_")
    if not actions:
        return labelled_sections("*Questions for the meeting*", "\n".join(lines))
    blocks: list[Block] = [section("*Questions for the meeting*")]
    for item, line in zip(digest.agenda, lines):
        first, *rest = split_text(line, MAX_SECTION_CHARS)
        if item.question_id and not item.answered:
            blocks.append(SectionBlock(text=MarkdownTextObject(text=first), accessory=ButtonElement(
                text=ANSWERED, action_id=ANSWERED_ACTION, value=str(item.question_id))))
        else:
            blocks.append(section(first))
        blocks += [section(chunk) for chunk in rest]
    return blocks


def header_blocks(digest: Digest, actions: bool = False) -> list[Block]:
    """The channel message: meeting, north star, agenda of questions, participation."""
    blocks: list[Block] = [_header(digest)]
    blocks.append(context(
        f"{digest.submitted} of {digest.expected} recaps in \u00b7 meeting {_when(digest.meeting_local)} "
        f"({escape(digest.timezone)}) \u00b7 each recap is in this thread"
    ))
    if digest.north_star:
        blocks += labelled_sections("*North star*", escape(digest.north_star))
    if not digest.entries:
        blocks.append(context("_No recaps yet for this meeting._"))
    blocks.append(DividerBlock())
    blocks += agenda_blocks(digest, actions)
    blocks += labelled_sections("*Participation*", "\n".join(escape(line) for line in participation_lines(digest)))
    return blocks


def digest_fallback(digest: Digest) -> str:
    return f"{meeting_title(digest)}: {digest.submitted} of {digest.expected} recaps"


def digest_messages(digest: Digest, actions: bool = False) -> tuple[list[SlackMessage], list[list[SlackMessage]]]:
    """(header messages, one list of messages per member). The first header message is the thread root.
    `actions`: the buttons of a posted digest (a preview has none)."""
    title = meeting_title(digest)
    header = pack(header_blocks(digest, actions), digest_fallback(digest), continued=f"{escape(title)}, continued")
    return header, [entry_messages(entry, actions) for entry in digest.entries]


def all_digest_messages(digest: Digest, actions: bool = False) -> list[SlackMessage]:
    header, entries = digest_messages(digest, actions)
    return header + [m for messages in entries for m in messages]


def text_messages(markdown: str, fallback: str | None = None) -> list[SlackMessage]:
    """A core text reply as mrkdwn section messages (split, never cut)."""
    body = to_mrkdwn(markdown)
    blocks = [section(chunk) for chunk in split_text(body, MAX_SECTION_CHARS)] or [section("(nothing to show)")]
    return pack(blocks, fallback or to_plain(markdown))
