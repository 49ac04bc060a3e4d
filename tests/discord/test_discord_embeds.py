"""The Discord renderer at Discord's limits: nothing rejected, nothing lost."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
import regex

from bot.core.model import AgendaItem, Digest
from bot.render.embeds import (
    CONTENT_MAX,
    DESCRIPTION_MAX,
    EMBED_TOTAL_MAX,
    EMBEDS_PER_MESSAGE,
    Message,
    embed_units,
    render_digest,
    render_entry,
    show_links,
    split_text,
    units,
)
from discord_fakes import entry

from bot.core.model import DigestEntry, Member
from tests.split_contract import assert_contract, separators


def assert_within_limits(message: Message) -> None:
    assert units(message.content) <= CONTENT_MAX
    assert 1 <= len(message.embeds) <= EMBEDS_PER_MESSAGE or message.content
    assert sum(embed_units(e) for e in message.embeds) <= EMBED_TOTAL_MAX
    for embed in message.embeds:
        data = embed.to_dict()
        assert units(data.get("description")) <= DESCRIPTION_MAX
        assert units(data.get("title")) <= 256
        assert units(data.get("author", {}).get("name")) <= 256
        assert len(data.get("fields", [])) <= 25
        assert all(units(f["value"]) <= 1024 and units(f["name"]) <= 256 for f in data.get("fields", []))


def pieces_of(messages: list[Message], label: str) -> list[str]:
    """The descriptions of `label` and its continuations, in posting order."""
    out = []
    for message in messages:
        for embed in message.embeds:
            if embed.title in (label, f"{label} (continued)"):
                out.append(embed.description or "")
    return out


def whole(messages: list[Message], label: str, text: str) -> bool:
    """`text` arrives under `label` in order, nothing lost but whitespace at the cuts (render.split)."""
    return separators(text, pieces_of(messages, label)) is not None


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def long_text(n: int, seed: str) -> str:
    words = []
    while sum(len(w) + 1 for w in words) < n:
        words.append(f"{seed}{len(words)}")
    text = " ".join(words)
    # paragraphs and a word longer than any limit, so every split rule is exercised
    text = text[: n // 3] + "\n\n" + text[n // 3:]
    return text[:n]


def forty_member_digest() -> Digest:
    entries = []
    for i in range(40):
        e = entry(f"Member {i:02d}", i + 1, long_text(3000, f"m{i}w"))
        entries.append(e)
    agenda = tuple(AgendaItem(f"Member {i:02d}", long_text(3000, f"q{i}")) for i in range(40))
    return Digest(
        team_name="Reading group", timezone="Europe/Berlin",
        meeting_local=datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Europe/Berlin")),
        north_star=long_text(3000, "ns"), entries=tuple(entries), agenda=agenda,
        missing=tuple(f"Latecomer {i}" for i in range(40)), away=(), streaks=tuple((f"Member {i:02d}", 3) for i in range(40)),
        submitted=40, expected=80, generated_at=datetime(2026, 11, 23, 8, tzinfo=timezone.utc),
    )


def test_forty_members_with_3000_char_fields_fit_every_limit_and_lose_nothing():
    digest = forty_member_digest()
    rendered = render_digest(digest)
    for message in rendered.all:
        assert_within_limits(message)
    assert rendered.root.content.startswith("**Reading group: meeting Mon 23 Nov 2026, 10:00")
    assert len(rendered.members) == 40
    for e, messages in zip(digest.entries, rendered.members):
        assert messages[0].embeds[0].author.name.startswith(e.member.display_name)
        # every continuation message still says whose recap it is
        assert all(m.embeds[0].author.name.startswith(e.member.display_name) for m in messages)
        assert whole(messages, "Big-picture question", e.recap.question)
        assert whole(messages, "Progress", e.recap.progress)
        assert whole(messages, "What didn't work", e.recap.failures)
        assert whole(messages, "Questions for the group", e.recap.questions)
    header = [rendered.root, *rendered.header_rest]
    assert whole(header, "North star", digest.north_star)
    agenda = squash(" ".join(pieces_of(header, "Questions for the meeting")))
    for i, item in enumerate(digest.agenda, 1):
        assert squash(f"{i}. {item.text} ({item.asker})") in agenda


def test_a_short_recap_is_one_message_and_a_long_one_is_split_not_cut():
    short = render_entry(entry("Ada", 1, "Tried the new optimiser."))
    assert len(short) == 1 and len(short[0].embeds) == 4
    long = render_entry(entry("Ada", 1, "x" * 3000))  # no break anywhere: hard split
    assert len(long) >= 2
    assert "".join(pieces_of(long, "Progress")) == "x" * 3000


def test_emoji_and_joined_emoji_arrive_whole_within_every_limit():
    family = "\U0001F468\u200d\U0001F469\u200d\U0001F467"  # one grapheme of 5 code points
    text = (family + "\U0001F9EA") * 500  # 3,000 code points, no whitespace: only hard cuts
    messages = render_entry(entry("Ada", 1, text))
    for message in messages:
        assert_within_limits(message)
    pieces = pieces_of(messages, "Progress")
    assert len(pieces) > 1 and "".join(pieces) == text
    assert all(set(regex.findall(r"\X", p)) <= {family, "\U0001F9EA"} for p in pieces)  # no family torn apart


def test_late_updates_are_marked_and_streaks_shown():
    [message] = render_entry(entry("Ada", 1, "ok", late=True, streak=4))
    assert message.embeds[0].author.name == "Ada \u00b7 late update \u00b7 streak 4"


def test_an_empty_digest_still_has_a_header():
    digest = Digest("Lab", "UTC", datetime(2026, 11, 23, 10, tzinfo=timezone.utc), None, (), (), ("Bo",), (), (), 0, 1)
    rendered = render_digest(digest)
    assert rendered.thread == []
    assert "No recaps yet" in rendered.root.content
    assert "No questions this time." in pieces_of([rendered.root], "Questions for the meeting")


@pytest.mark.parametrize("text", ["", "a", "word " * 900, "line\n" * 1000, "\U0001F600" * 2500])
def test_split_text_keeps_the_contract_at_discords_content_limit(text):
    pieces = split_text(text, CONTENT_MAX)
    assert_contract(text, pieces, CONTENT_MAX, units)
    assert len(pieces) == -(-len(text.strip()) // CONTENT_MAX)  # as few pieces as the limit allows


# An unescaped "[" that opens a masked link [text](url), as Discord's markdown reads it.
MASKED_LINK = re.compile(r"(?<!\\)(?:\\\\)*\[[^\]]*\]\(")
SPOOF = "[the slides](https://evil.example/login)"


def test_masked_links_typed_by_people_are_shown_as_typed_with_the_address():
    spoof_member = Member(9, 1, "9", f"Eve {SPOOF}", None, datetime(2026, 11, 23, tzinfo=timezone.utc))
    e = entry("Ada", 1, f"See {SPOOF} and \\\\{SPOOF} and \\[kept](escaped)")
    digest = Digest(
        team_name=f"Lab {SPOOF}", timezone="UTC", meeting_local=datetime(2026, 11, 23, 10, tzinfo=timezone.utc),
        north_star=SPOOF, entries=(e, DigestEntry(spoof_member, e.recap)),
        agenda=(AgendaItem(f"Eve {SPOOF}", f"Why {SPOOF}?"),), missing=(f"Mal {SPOOF}",), away=(),
        streaks=(), submitted=2, expected=3, generated_at=datetime(2026, 11, 23, 8, tzinfo=timezone.utc),
    )
    rendered = render_digest(digest)
    shown = [m.content or "" for m in rendered.all]
    shown += [e.description or "" for m in rendered.all for e in m.embeds]
    assert not any(MASKED_LINK.search(text) for text in shown), shown
    everything = "\n".join(shown)
    # the address stays in plain sight; an escaped backslash does not un-escape the link
    assert everything.count("\\[the slides](https://evil.example/login)") >= 9
    assert "\\\\\\[the slides]" in everything
    assert show_links("\\[kept](escaped)") == "\\[kept](escaped)"  # already escaped: as it was
    assert show_links("a [b] c") == "a [b] c"  # brackets that are no link are left alone
