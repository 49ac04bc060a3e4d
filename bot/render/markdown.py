"""Digest -> Markdown, for the console, `recapbot digest` and anything text-only."""
from __future__ import annotations

from ..core.forms import FIGURING_LABEL, titled_digest_answers
from ..core.model import WEEKDAYS, AgendaItem, Digest, DigestEntry
from ..core.texts import carried_note, milestone_notes


def meeting_title(digest: Digest) -> str:
    m = digest.meeting_local
    return f"{digest.team_name}: meeting {WEEKDAYS[m.weekday()]} {m:%d %b %Y, %H:%M} ({digest.timezone})"


def _block(label: str, text: str) -> list[str]:
    lines = text.splitlines() or [""]
    if len(lines) == 1:
        return [f"**{label}:** {lines[0]}"]
    return [f"**{label}:**", *(f"> {line}" if line else ">" for line in lines)]


def entry_lines(entry: DigestEntry) -> list[str]:
    recap = entry.recap
    head = f"## {entry.member.display_name}"
    if recap.late:
        head += " _(late update)_"
    lines = [head]
    for title, value in titled_digest_answers(entry):
        lines += _block(title, value)
    if recap.figuring_it_out:
        lines.append(f"_{FIGURING_LABEL}._")
    lines += [f"_{note}._" for note in milestone_notes(entry)]
    return lines


def agenda_parts(item: AgendaItem, index: int) -> tuple[str, str, str]:
    """(lead, question, notes) of an agenda line: the lead is the group question's number, the
    one `/recap answered` takes (a line stored before numbers has its place instead)."""
    notes = [item.asker]
    if item.carried_from:
        notes.append(carried_note(item.carried_from))
    if item.answered:
        notes.append("answered")
    return (f"#{item.number}" if item.number else f"{index}."), item.text, ", ".join(notes)


def agenda_line(item: AgendaItem, index: int) -> str:
    """'#4 Is 3 seeds enough? (alice, carried over from Mon 16 Nov 2026)'."""
    lead, text, notes = agenda_parts(item, index)
    return f"{lead} {text} ({notes})"


def participation_lines(digest: Digest) -> list[str]:
    lines = [f"Submitted {digest.submitted} of {digest.expected}."]
    lines.append("Not yet submitted: " + (", ".join(digest.missing) if digest.missing else "nobody"))
    if digest.away:
        lines.append("Away: " + ", ".join(
            f"{a.name} (until {a.until:%a %d %b %Y}" + (f", {a.reason})" if a.reason else ")") for a in digest.away
        ))
    if digest.streaks:
        lines.append("Streaks: " + ", ".join(f"{name} {count}" for name, count in digest.streaks))
    return lines


def render_digest(digest: Digest) -> str:
    lines = [f"# {meeting_title(digest)}"]
    if digest.north_star:
        lines += ["", f"**North star:** {digest.north_star}"]
    if not digest.entries:
        lines += ["", "_No recaps yet for this meeting._"]
    for entry in digest.entries:
        lines += ["", *entry_lines(entry)]
    lines += ["", "## Questions for the meeting"]
    if digest.agenda:
        lines += [agenda_line(item, i) for i, item in enumerate(digest.agenda, 1)]
    else:
        lines.append("No questions this time.")
    lines += ["", "## Participation", *participation_lines(digest)]
    return "\n".join(lines) + "\n"
