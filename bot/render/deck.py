"""The deck document (core/deck.py) as files: PowerPoint, Marp Markdown, one HTML file.

Each exporter takes the deck and a way to read a figure's bytes and returns a
FileAttachment, so `/recap deck pptx`, the console and `recapbot deck` share
them (the core holds them as `DeckService.exporters`). Every format has the
same slides in the same order: a title slide (the group and its north star),
then per meeting, newest first, an agenda slide and one slide per member.
python-pptx is imported when a PowerPoint file is made, not with the bot.
"""
from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable

from ..core.deck import Deck, DeckMeeting, Slide
from ..core.figures import EXTENSIONS
from ..core.forms import FIGURING_LABEL
from ..core.model import Figure
from ..core.replies import FileAttachment
from . import html as html_render

FigureBytes = Callable[[Figure], bytes]
PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:60] or "deck"


def filename(deck: Deck, extension: str) -> str:
    who = f"-{deck.member.display_name}" if deck.member else ""
    stamp = f"{deck.generated_at:%Y%m%d}" if deck.generated_at else "deck"
    return f"{_slug(deck.team.name + who)}-deck-{stamp}.{extension}"


def meeting_heading(meeting: DeckMeeting) -> str:
    return f"Meeting {html_render.when(meeting.meeting_local)}"


def byline(slide: Slide, meeting: DeckMeeting) -> str:
    return f"{slide.member.display_name} \u00b7 {html_render.day(meeting.meeting_local)}" + \
        (" \u00b7 late update" if slide.recap.late else "")


# ------------------------------------------------------------------- Marp Markdown
# A line that Markdown reads as a horizontal rule would end a Marp slide early.
_RULE = re.compile(r"^( {0,3})([-*_])((?:[ \t]*\2){2,}[ \t]*)$", re.MULTILINE)


def marp_text(text: str) -> str:
    """Recap text as it is, but a typed `---` line stays text instead of splitting the slide."""
    return _RULE.sub(lambda m: f"{m[1]}\\{m[2]}{m[3]}", text)


def to_markdown(deck: Deck, figure_bytes: FigureBytes) -> FileAttachment:
    title = deck.team.name + (f": {deck.member.display_name}" if deck.member else "")
    slides = [[f"# {marp_text(deck.team.name)}"]]
    if deck.member:
        slides[0].append(f"Slides of {marp_text(deck.member.display_name)}")
    if deck.team.north_star:
        slides[0].append(f"**North star:** {marp_text(deck.team.north_star)}")
    for meeting in deck.meetings:
        agenda = [f"# {meeting_heading(meeting)}", "", "## Agenda", ""]
        agenda += [f"{i}. {marp_text(item.text)} ({marp_text(item.asker)})" for i, item in enumerate(meeting.agenda, 1)]
        if not meeting.agenda:
            agenda.append("No questions for this meeting.")
        slides.append(agenda)
        for slide in meeting.slides:
            lines = [f"# {marp_text(html_render.slide_title(slide))}", "", f"_{marp_text(byline(slide, meeting))}_"]
            for heading, text in html_render.slide_fields(slide):
                lines += ["", f"### {heading}", "", marp_text(text)]
            if slide.recap.figuring_it_out:
                lines += ["", f"_{FIGURING_LABEL}._"]
            for figure in slide.figures:
                data = base64.b64encode(figure_bytes(figure)).decode("ascii")
                alt = (figure.caption or f"Figure {figure.position}").replace("]", ")").replace("[", "(")
                lines += ["", f"![h:300]({f'data:{figure.mime};base64,{data}'})", f"_{marp_text(alt)}_"]
            slides.append(lines)
    front = ["---", "marp: true", "paginate: true", f"title: {_yaml(title)}", "---", ""]
    body = "\n\n---\n\n".join("\n".join(lines).strip() for lines in slides)
    return FileAttachment(filename(deck, "md"), ("\n".join(front) + body + "\n").encode("utf-8"), "text/markdown")


def _yaml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --------------------------------------------------------------------- one HTML file
def to_html(deck: Deck, figure_bytes: FigureBytes) -> FileAttachment:
    page = html_render.deck_page(deck, lambda f: html_render.data_uri(f, figure_bytes(f)), html_render.nonce(),
                                 standalone=True)
    return FileAttachment(filename(deck, "html"), page.encode("utf-8"), "text/html")


# ------------------------------------------------------------------------ PowerPoint
# How much text fits on a member's slide before the rest goes to the speaker notes.
SLIDE_CHARS = 1100
SLIDE_CHARS_WITH_FIGURES = 700
TITLE_CHARS = 160


def budgets(lengths: list[int], total: int) -> list[int]:
    """Room per field: short fields take what they need, the long ones share the rest."""
    room = [0] * len(lengths)
    left, pending = total, sorted(range(len(lengths)), key=lambda i: lengths[i])
    while pending:
        share = left // len(pending)
        i = pending.pop(0)
        room[i] = min(lengths[i], share) if pending else max(share, 0)
        left -= room[i]
    return room


def shorten(text: str, limit: int) -> tuple[str, bool]:
    """`text` cut at a word boundary to `limit` characters (with an ellipsis); whether it was cut."""
    if len(text) <= limit:
        return text, False
    cut = text[:limit].rsplit(None, 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip() + " \u2026", True


def to_pptx(deck: Deck, figure_bytes: FigureBytes) -> FileAttachment:
    from pptx import Presentation
    from pptx.util import Emu, Inches, Pt

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    title_layout, content_layout, title_only = prs.slide_layouts[0], prs.slide_layouts[1], prs.slide_layouts[5]

    def fit_title(slide, text: str) -> None:
        shape = slide.shapes.title
        shape.left, shape.top, shape.width, shape.height = Inches(0.6), Inches(0.3), Inches(12.1), Inches(1.3)
        shape.text = shorten(text, TITLE_CHARS)[0]
        for paragraph in shape.text_frame.paragraphs:
            paragraph.font.size = Pt(30 if len(text) < 70 else 22)

    first = prs.slides.add_slide(title_layout)
    first.shapes.title.text = deck.team.name + (f": {deck.member.display_name}" if deck.member else "")
    star, cut = shorten(deck.team.north_star or "", 400)
    first.placeholders[1].text = f"North star: {star}" if star else "Rolling deck"
    if cut:
        first.notes_slide.notes_text_frame.text = f"North star: {deck.team.north_star}"

    for meeting in deck.meetings:
        agenda = prs.slides.add_slide(content_layout)
        fit_title(agenda, meeting_heading(meeting))
        body = agenda.placeholders[1]
        body.left, body.top, body.width, body.height = Inches(0.6), Inches(1.7), Inches(12.1), Inches(5.4)
        items = [f"{item.text} ({item.asker})" for item in meeting.agenda] or ["No questions for this meeting."]
        frame = body.text_frame
        full = []
        for i, item in enumerate(items):
            shown, was_cut = shorten(item, 220)
            paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            paragraph.text = shown
            paragraph.font.size = Pt(18 if len(items) < 8 else 12)
            if was_cut:
                full.append(item)
        if full:
            agenda.notes_slide.notes_text_frame.text = "\n\n".join(full)
        for member_slide in meeting.slides:
            _member_slide(prs, title_only, fit_title, member_slide, meeting, figure_bytes, Emu, Inches, Pt)

    out = io.BytesIO()
    prs.save(out)
    return FileAttachment(filename(deck, "pptx"), out.getvalue(), PPTX_MIME)


def _member_slide(prs, layout, fit_title, slide: Slide, meeting: DeckMeeting, figure_bytes: FigureBytes,
                  Emu, Inches, Pt) -> None:
    page = prs.slides.add_slide(layout)
    fit_title(page, html_render.slide_title(slide))
    figures = slide.figures
    text_width = Inches(7.4) if figures else Inches(12.1)
    box = page.shapes.add_textbox(Inches(0.6), Inches(1.6), text_width, Inches(5.6))
    frame = box.text_frame
    frame.word_wrap = True
    frame.paragraphs[0].text = byline(slide, meeting)
    frame.paragraphs[0].font.size = Pt(14)
    fields = html_render.slide_fields(slide)
    rooms = budgets([len(text) for _, text in fields], SLIDE_CHARS_WITH_FIGURES if figures else SLIDE_CHARS)
    cut_any = len(html_render.slide_title(slide)) > TITLE_CHARS
    for (heading, text), room in zip(fields, rooms):
        head = frame.add_paragraph()
        head.text = heading
        head.font.bold, head.font.size = True, Pt(16)
        shown, cut = shorten(text, max(room, 40))
        cut_any = cut_any or cut
        for line in shown.splitlines() or [""]:
            paragraph = frame.add_paragraph()
            paragraph.text = line
            paragraph.font.size = Pt(14)
    if slide.recap.figuring_it_out:
        paragraph = frame.add_paragraph()
        paragraph.text = FIGURING_LABEL + "."
        paragraph.font.italic, paragraph.font.size = True, Pt(14)
    if cut_any:
        notes = [f"Big-picture question: {slide.recap.question}"] if slide.recap.question else []
        notes += [f"{heading}:\n{text}" for heading, text in fields]
        page.notes_slide.notes_text_frame.text = "\n\n".join(notes)
    _place_figures(page, figures, figure_bytes, Emu, Inches, Pt)


def _place_figures(page, figures, figure_bytes: FigureBytes, Emu, Inches, Pt) -> None:
    """Figures stacked in the right-hand column, each scaled to fit its share, captions below."""
    if not figures:
        return
    left, top, width, height = Inches(8.3), Inches(1.6), Inches(4.5), Inches(5.6)
    share = height // len(figures)
    y = top
    for figure in figures:
        caption_room = Inches(0.35) if figure.caption else 0
        room_h = share - caption_room - Inches(0.1)
        scale = min(width / figure.width, room_h / figure.height)
        w, h = int(figure.width * scale), int(figure.height * scale)
        page.shapes.add_picture(io.BytesIO(_pptx_image(figure, figure_bytes(figure))), left + (width - w) // 2, y,
                                Emu(w), Emu(h))
        if figure.caption:
            label = page.shapes.add_textbox(left, y + h, width, caption_room)
            label.text_frame.text = figure.caption
            label.text_frame.paragraphs[0].font.size = Pt(11)
        y += share


def _pptx_image(figure: Figure, data: bytes) -> bytes:
    """PowerPoint takes PNG, JPEG and GIF; a WebP figure goes in as PNG."""
    if EXTENSIONS.get(figure.mime) != "webp":
        return data
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        out = io.BytesIO()
        image.save(out, format="PNG")
        return out.getvalue()


EXPORTERS = {"pptx": to_pptx, "md": to_markdown, "html": to_html}
__all__ = ["EXPORTERS", "marp_text", "shorten", "to_html", "to_markdown", "to_pptx"]
