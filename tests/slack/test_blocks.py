"""Digest -> Block Kit: within Slack's limits, valid for slack_sdk, nothing lost."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from fake_slack import check_blocks
from slack_sdk.models.blocks import Block

from bot.core.model import AgendaItem, AwayNote, Digest, DigestEntry, Member, Recap
from bot.render.blocks import (
    MAX_BLOCKS,
    MAX_MESSAGE_CHARS,
    MAX_SECTION_CHARS,
    all_digest_messages,
    digest_messages,
    split_text,
    text_messages,
    to_mrkdwn,
)
from bot.render.split import utf16_units
from tests.split_contract import separators

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=timezone.utc)
MEETING = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))


def entry(i: int, size: int = 3000, text: str | None = None) -> DigestEntry:
    member = Member(i, 1, f"U{i:04d}", f"Member {i:02d}", None, NOW)
    body = text if text is not None else (f"m{i} " + "lorem ipsum & <dolor> " * 200)[:size]
    recap = Recap(i, 1, i, NOW, question=body, question_changed=i % 2 == 0, progress=body, failures=body,
                  questions=body, figuring_it_out=i % 3 == 0, late=False, streak=i % 5, submitted_at=NOW,
                  updated_at=NOW)
    return DigestEntry(member, recap)


def digest(entries, agenda=(), north_star="Why do cells count?") -> Digest:
    return Digest(team_name="Cell lab", timezone="Europe/Berlin", meeting_local=MEETING, north_star=north_star,
                  entries=tuple(entries), agenda=tuple(agenda), missing=("Zed",),
                  away=(AwayNote("Yan", date(2026, 12, 1), "field work"),),
                  streaks=(("Member 01", 4),), submitted=len(entries), expected=len(entries) + 1, generated_at=NOW)


def _visible(messages) -> str:
    out = []
    for m in messages:
        for b in m.blocks:
            for part in (b.get("text") or {}, *(b.get("elements") or [])):
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    out.append(part["text"])
    return "\n".join(out)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_forty_members_with_3000_character_fields_fit_slack_and_lose_nothing():
    entries = [entry(i) for i in range(40)]
    agenda = [AgendaItem(e.member.display_name, e.recap.questions) for e in entries]
    d = digest(entries, agenda)
    header, per_member = digest_messages(d)
    messages = all_digest_messages(d)
    assert len(per_member) == 40
    for message in messages:
        assert check_blocks(message.blocks) is None  # what the fake Slack (and Slack) would reject
        assert len(message.blocks) <= MAX_BLOCKS
        assert message.block_chars() <= MAX_MESSAGE_CHARS
        assert message.text  # a notification fallback
        for block in message.blocks:
            Block.parse(block).validate_json()  # slack_sdk's own Block Kit validation
    for e, member_messages in zip(entries, per_member):
        shown = _squash(_visible(member_messages))
        escaped = _squash(e.recap.progress.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
        assert shown.count(escaped) == 4  # question, progress, failures, questions: all whole
    # The agenda lists every question, across as many header messages as it needs.
    assert _squash(_visible(header)).count("_(Member39)_") == 1


def test_splitting_prefers_line_breaks_and_never_cuts_an_escape():
    text = ("a" * 50 + "\n") * 100
    chunks = split_text(text, 300)
    assert separators(text, chunks) == ["\n"] * (len(chunks) - 1)  # cut at line breaks, nothing else lost
    assert all(len(c) <= 300 for c in chunks)
    amps = "&amp;" * 1000
    for chunk in split_text(amps, 2999):
        assert chunk.startswith("&amp;") and chunk.endswith(";")
    assert "".join(split_text(amps, 2999)) == amps


def test_markdown_subset_becomes_mrkdwn_and_typed_mentions_are_defused():
    md = "**Next meeting:** Mon\n- `a **b**` item\n## Heading\n<!channel> & _it_"
    out = to_mrkdwn(md)
    assert out.startswith("*Next meeting:* Mon")
    assert "\u2022 `a **b**` item" in out  # code spans untouched
    assert "*Heading*" in out
    assert "&lt;!channel&gt; &amp; _it_" in out


def test_empty_digest_and_long_text_replies_are_valid():
    (message,) = all_digest_messages(digest([], north_star=None))
    assert "No recaps yet" in _visible([message])
    assert check_blocks(message.blocks) is None
    long_reply = "\n".join(f"- item {i} " + "w" * 200 for i in range(300))
    messages = text_messages(long_reply)
    assert len(messages) > 1
    assert all(check_blocks(m.blocks) is None for m in messages)
    assert _squash(_visible(messages)).count("\u2022item") == 300


def test_mentions_typed_anywhere_in_a_digest_ping_nobody():
    hostile = "<!channel> <!here> <@U0001> <#C0001> <https://evil.example|the slides> & co"
    e = entry(1, text=hostile)
    e = DigestEntry(Member(1, 1, "U0001", f"Eve {hostile}", None, NOW), e.recap)
    d = Digest(team_name=f"Lab {hostile}", timezone="Europe/Berlin", meeting_local=MEETING, north_star=hostile,
               entries=(e,), agenda=(AgendaItem(f"Eve {hostile}", hostile),), missing=(hostile,),
               away=(AwayNote(hostile, date(2026, 12, 1), hostile),), streaks=((hostile, 4),),
               submitted=1, expected=2, generated_at=NOW)
    messages = all_digest_messages(d)
    mrkdwn = [part["text"] for m in messages for b in m.blocks
              for part in (b.get("text") or {}, *(b.get("elements") or [])) if part.get("type") == "mrkdwn"]
    # Slack reads <...> in mrkdwn and the fallback text as mentions and links: none of ours survive.
    assert mrkdwn and not any("<" in t or ">" in t for t in mrkdwn)
    assert not any("<" in m.text for m in messages)
    assert _visible(messages).count("&lt;!channel&gt; &lt;!here&gt; &lt;@U0001&gt;") >= 10
    # the header is plain_text, which Slack never turns into a mention
    assert all(b["text"]["type"] == "plain_text" for m in messages for b in m.blocks if b["type"] == "header")


def test_sections_are_measured_in_utf16_units():
    text = "\U0001F9EA" * 2000  # 2,000 characters, 4,000 UTF-16 units
    messages = text_messages(text)
    sections = [b["text"]["text"] for m in messages for b in m.blocks if b["type"] == "section"]
    assert len(sections) == 2 and all(utf16_units(t) <= MAX_SECTION_CHARS for t in sections)
    assert "".join(sections) == text
