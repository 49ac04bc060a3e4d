"""Discord digest rendering: time and number of messages for 40 members.

Two cases: every field at the core's 3,000-character limit (the worst case
the issue asks for), and a typical recap (about 300 characters a field).
Target: worst case rendered in under 100 ms, every message within Discord's limits.
"""
from __future__ import annotations

import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core.model import AgendaItem, Digest, DigestEntry, Member, Recap  # noqa: E402
from bot.render.embeds import CONTENT_MAX, EMBED_TOTAL_MAX, EMBEDS_PER_MESSAGE, render_digest, units  # noqa: E402

TARGET_MS = 100.0


def text(n: int, seed: str) -> str:
    words, size = [], 0
    while size < n:
        word = f"{seed}{len(words)}"
        words.append(word)
        size += len(word) + 1
    return " ".join(words)[:n]


def digest(chars: int, members: int = 40) -> Digest:
    at = datetime(2026, 11, 23, 9, tzinfo=timezone.utc)
    entries = []
    for i in range(members):
        member = Member(i + 1, 1, str(i + 1), f"Member {i:02d}", None, at)
        body = text(chars, f"m{i}w")
        recap = Recap(i + 1, 1, i + 1, at, body, False, body, body, body, False, False, 3, at, at)
        entries.append(DigestEntry(member, recap))
    agenda = tuple(AgendaItem(e.member.display_name, e.recap.questions) for e in entries)
    return Digest("Reading group", "Europe/Berlin", datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Europe/Berlin")),
                  text(chars, "ns"), tuple(entries), agenda, (), (), (), members, members, at)


def measure(chars: int) -> tuple[float, int, int, bool]:
    d = digest(chars)
    times = []
    for _ in range(15):
        start = time.perf_counter()
        rendered = render_digest(d)
        times.append((time.perf_counter() - start) * 1000)
    messages = rendered.all
    ok = all(units(m.content) <= CONTENT_MAX and len(m.embeds) <= EMBEDS_PER_MESSAGE
             and sum(len(e) for e in m.embeds) <= EMBED_TOTAL_MAX for m in messages)
    return statistics.median(times), len(messages), len(rendered.header_rest) + 1, ok


def main() -> int:
    failed = False
    print(f"{'case':<34} {'median ms':>9} {'messages':>9} {'header':>7}  limits")
    for label, chars in (("40 members, 3,000-char fields", 3000), ("40 members, 300-char fields", 300)):
        ms, count, header, ok = measure(chars)
        print(f"{label:<34} {ms:9.1f} {count:9d} {header:7d}  {'ok' if ok else 'BROKEN'}")
        failed |= not ok or (chars == 3000 and ms > TARGET_MS)
    print("target met" if not failed else "TARGET MISSED")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
