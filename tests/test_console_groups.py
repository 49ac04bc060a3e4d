"""Groups on the console: /channel and /group say where you are, the join offer and the copy prompt."""
from __future__ import annotations

import asyncio
import io

from bot.adapters.console import ConsoleAdapter


def run(core, lines: str, user: str = "ada") -> str:
    out = io.StringIO()
    console = ConsoleAdapter(core, stdin=io.StringIO(lines), stdout=out, user=user, interactive=True)
    asyncio.run(console.run())
    return out.getvalue()


SETUP = """\
/channel lab
/recap setup meeting="Mon 10:00" tz=Europe/Berlin
/recap group new "Reading group" channel=#papers meeting="Thu 16:00" tz=Europe/Berlin
"""


def test_channels_make_groups_and_the_channel_decides_which(core):
    out = run(core, SETUP + "/channel papers\n/recap schedule\n/channel lab\n/recap schedule\n/recap groups\n")
    assert "Created the group **lab** for #lab" in out
    assert "**Reading group** meets Thu 16:00 Europe/Berlin" in out and "**lab** meets Mon 10:00" in out
    assert "- **lab**: #lab, Mon 10:00 Europe/Berlin, every week, 1 member (you are in it)" in out


def test_a_stranger_in_a_groups_channel_is_told_to_join_and_group_picks_a_group(core):
    run(core, SETUP)
    out = run(core, "/channel papers\n/recap question\n/recap join\n/channel\n/recap join lab\n/recap question\n"
                    "/group lab\n/recap question\n", user="bob")
    assert "You are not a member of **Reading group** (#papers) yet. Join it with `/recap join \"Reading group\"`" in out
    assert "You are now a member of **Reading group**" in out and "You are now a member of **lab**" in out
    assert "You are in several groups" in out and "On the console, `/group NAME` picks one." in out
    assert "Commands now mean the group lab." in out and "_lab:_ You have no big-picture question yet" in out


def test_the_form_offers_to_copy_the_other_groups_recap(core):
    run(core, SETUP + "/channel lab\n/recap submit --progress \"qPCR works\" --failures \"gel\"\n")
    out = run(core, "/channel papers\n/recap\ny\nMy question\n\n\n\n\n", user="ada")
    assert "Copy my recap from lab? [y/N]" in out
    assert "Copied from your latest recap in lab" in out
    assert "[qPCR works]" in out  # pre-filled, Enter keeps it
    assert "_Reading group:_ Thanks! Your recap is in for the meeting on **Thu 19 Nov 2026, 16:00 CET**" in out
