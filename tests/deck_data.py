"""A small group with a few meetings of recaps, shared by the deck's tests."""
from __future__ import annotations

import io
from datetime import timedelta

from bot.core.model import FigureUpload, RecapDraft
from tests.conftest import join, person

ALICE, BOB, CAROL = person("Alice"), person("Bob"), person("Carol")
HOSTILE = ('<img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script> '
           '[click](javascript:window.__pwned=3)')


def png(width: int = 40, height: int = 30, colour=(200, 30, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def three_meetings(core, clock, figures: bool = True):
    """Mon 23 Nov, 30 Nov and 7 Dec 2026 (Europe/Berlin, 10:00): recaps from Alice and Bob each
    week, Carol only in the last; Bob's last recap holds hostile markup. Returns the clock's
    meetings, oldest first."""
    core.teams.configure(ALICE, [("meeting", "Mon 10:00"), ("tz", "Europe/Berlin"), ("name", "Vision lab"),
                                 ("north-star", "Can small models plan?")])
    join(core, ALICE, BOB)
    core.recaps.set_question(ALICE, "Can small models learn to plan?")
    meetings = []
    for week in range(3):
        alice = RecapDraft(progress=f"Alice progress week {week + 1}", failures=f"Alice failed {week + 1}",
                           questions=f"Alice asks {week + 1}?")
        if figures and week == 2:
            alice = RecapDraft(progress=alice.progress, figures=(FigureUpload(png(), "Loss curve", "loss.png"),))
        result = core.recaps.submit(ALICE, alice)
        meetings.append(result.cycle.meeting_at)
        bob = f"Bob **progress** week {week + 1}" + (f"\n\n{HOSTILE}" if week == 2 else "")
        core.recaps.submit(BOB, RecapDraft(question="Where do errors come from?", progress=bob))
        if week == 2:
            join(core, CAROL)
            core.recaps.submit(CAROL, RecapDraft(figuring_it_out=True))
        clock.advance(days=7)
    clock.set(meetings[-1] + timedelta(hours=1))
    return meetings
