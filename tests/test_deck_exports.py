"""The deck as files: PowerPoint (read back with python-pptx), Marp Markdown, one HTML file, and the CLI."""
from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

from pptx import Presentation

from bot.core.model import RecapDraft
from bot.core.replies import FileReply
from bot.core.service import Core
from bot.render.deck import EXPORTERS, marp_text
from bot.store.files import DbFileStore
from tests.conftest import CONSOLE
from tests.deck_data import ALICE, BOB, HOSTILE, png, three_meetings

ROOT = Path(__file__).resolve().parents[1]


def export(core, fmt: str, mine: bool = False, who=ALICE):
    return core.deck.export_file(who, fmt, mine)


def slide_texts(prs) -> list[str]:
    return [slide.shapes.title.text if slide.shapes.title is not None else "" for slide in prs.slides]


def test_pptx_has_a_title_slide_then_an_agenda_and_a_slide_per_member_for_each_meeting(core, clock):
    three_meetings(core, clock)
    attachment = export(core, "pptx")
    assert attachment.filename == "Vision-lab-deck-20261207.pptx"
    prs = Presentation(io.BytesIO(attachment.content))
    titles = slide_texts(prs)
    assert len(prs.slides) == 1 + (1 + 3) + (1 + 2) + (1 + 2)
    assert titles[0] == "Vision lab" and "Can small models plan?" in prs.slides[0].placeholders[1].text
    assert titles[1] == "Meeting Mon 07 Dec 2026, 10:00"
    assert titles[2:5] == ["Can small models learn to plan?", "Where do errors come from?", "Carol"]
    assert titles[5] == "Meeting Mon 30 Nov 2026, 10:00"
    pictures = [[s.shape_type for s in slide.shapes].count(13) for slide in prs.slides]  # MSO_SHAPE_TYPE.PICTURE
    assert pictures[2] == 1 and sum(pictures) == 1  # Alice's figure, on her slide only
    bob_text = "\n".join(shape.text_frame.text for shape in prs.slides[3].shapes if shape.has_text_frame)
    assert "<script>window.__pwned=2</script>" in bob_text  # text stays text


def test_a_field_too_long_for_its_slide_is_shortened_there_and_whole_in_the_speaker_notes(core, clock):
    core.teams.configure(ALICE, [("meeting", "Mon 10:00")])
    long = " ".join(f"word{i}" for i in range(350))
    core.recaps.submit(ALICE, RecapDraft(progress=long, failures="short"))
    prs = Presentation(io.BytesIO(export(core, "pptx").content))
    member = prs.slides[2]
    shown = "\n".join(shape.text_frame.text for shape in member.shapes if shape.has_text_frame)
    assert "word349" not in shown and "\u2026" in shown
    notes = member.notes_slide.notes_text_frame.text
    assert long in notes and "short" in notes


def test_a_members_own_pptx_holds_only_their_slides(core, clock):
    three_meetings(core, clock)
    prs = Presentation(io.BytesIO(export(core, "pptx", mine=True, who=BOB).content))
    titles = slide_texts(prs)
    assert titles[0] == "Vision lab: Bob"
    assert titles[1:] == [f"Meeting Mon {day}, 10:00" if i % 2 == 0 else "Where do errors come from?"
                          for day in ("07 Dec 2026", "30 Nov 2026", "23 Nov 2026") for i in range(2)]
    reply = core.deck.export_file(BOB, "pptx", mine=True)
    assert reply.mime.endswith("presentationml.presentation")


def test_marp_markdown_keeps_every_recap_text_and_one_slide_per_separator(core, clock):
    three_meetings(core, clock)
    core.recaps.submit(ALICE, RecapDraft(progress="Line one\n---\nafter a typed rule\n* * *\n  ___"))
    text = export(core, "md").content.decode()
    assert text.startswith("---\nmarp: true\n")
    body = text.split("---\n", 2)[2]
    slides = body.split("\n\n---\n\n")
    assert len(slides) == 1 + (1 + 1) + (1 + 3) + (1 + 2) + (1 + 2)
    assert "Line one\n\\---\nafter a typed rule\n\\* * *\n  \\___" in text  # typed rules stay text
    for expected in ("Alice progress week 1", "Bob **progress** week 3", HOSTILE, "Can small models plan?"):
        assert marp_text(expected) in text
    assert re.search(r"!\[h:300\]\(data:image/png;base64,[A-Za-z0-9+/=]+\)\n_Loss curve_", text)


def test_the_html_file_stands_alone(core, clock):
    three_meetings(core, clock)
    page = export(core, "html").content.decode()
    assert 'http-equiv="Content-Security-Policy"' in page and "img-src data:" in page
    assert re.search(r'<img src="data:image/png;base64,', page)
    assert not re.search(r'(src|href)="(https?:)?/', page)  # nothing to fetch, no link back to the server
    assert "&lt;script&gt;window.__pwned=2&lt;/script&gt;" in page


def test_recapbot_deck_writes_each_format_from_the_command_line(sqlite_url, tmp_path):
    from bot.app import repository
    from bot.store.db import make_engine
    from tests.conftest import FakeClock
    from datetime import datetime, timezone

    engine = make_engine(sqlite_url)
    clock = FakeClock(datetime(2026, 11, 18, 12, tzinfo=timezone.utc))
    core = Core.build(repository(engine), clock, default_timezone="Europe/Berlin", files=DbFileStore(engine),
                      exporters=EXPORTERS)
    three_meetings(core, clock)
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "RECAPBOT_"))}
    env["DATABASE_URL"] = sqlite_url
    for fmt in ("pptx", "md", "html"):
        out = tmp_path / f"deck.{fmt}"
        result = subprocess.run([sys.executable, "-m", "bot", "deck", "--format", fmt, "-o", str(out),
                                 "--since", "2026-11-30", "--member", "Bob"],
                                capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
        assert result.returncode == 0, result.stderr
        assert out.stat().st_mode & 0o077 == 0
    prs = Presentation(str(tmp_path / "deck.pptx"))
    assert slide_texts(prs)[1:] == ["Meeting Mon 07 Dec 2026, 10:00", "Where do errors come from?",
                                    "Meeting Mon 30 Nov 2026, 10:00", "Where do errors come from?"]
    bad = subprocess.run([sys.executable, "-m", "bot", "deck", "--format", "md", "-o", "x.md", "--group", "Nope"],
                         capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert bad.returncode == 1 and "no group 'Nope'" in bad.stderr


def test_the_console_takes_figures_from_files_and_writes_the_pptx(core, clock, tmp_path):
    import asyncio

    from bot.adapters.console import ConsoleAdapter

    (tmp_path / "plot.png").write_bytes(png(64, 48))
    (tmp_path / "notes.txt").write_text("not an image")
    core.teams.configure(ALICE, [("meeting", "Mon 10:00")])
    lines = (f'/recap submit --progress "Fitted it" --figure {tmp_path / "plot.png"} --caption "The fit"\n'
             f'/recap submit --progress "Again" --figure {tmp_path / "notes.txt"}\n'
             "/recap deck pptx\n/recap deck\n")
    out = io.StringIO()
    console = ConsoleAdapter(core, stdin=io.StringIO(lines), stdout=out, user="alice", interactive=False,
                             export_dir=tmp_path)
    asyncio.run(console.run())
    text = out.getvalue()
    assert "1 figure attached." in text
    assert "Figure 1 (notes.txt) is not an image recapbot can read" in text
    written = list(tmp_path.glob("*.pptx"))
    assert len(written) == 1
    prs = Presentation(str(written[0]))
    assert [s.shape_type for s in prs.slides[2].shapes].count(13) == 1
    assert "http://localhost:3000/deck/deck." in text
    assert CONSOLE.platform == "console"
    assert isinstance(core.deck.export_file(ALICE, "md"), object) and FileReply
