"""Groups: several per workspace, explicit membership, and which group a command means."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from bot.core import texts
from bot.core.commands import CommandHandler
from bot.core.errors import NotAllowed, UserError
from bot.core.groups import ChooseGroup, NotMember, channel_key
from bot.core.model import Actor, RecapDraft, Workspace
from bot.core.replies import ChooseGroupReply, ConfirmReply, DigestReply, FormReply, JoinReply, TextReply

UTC = timezone.utc
WS = Workspace("slack", "T1")
MEETING = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Mon 10:00 Berlin
THURSDAY = datetime(2026, 11, 19, 15, 0, tzinfo=UTC)  # Thu 16:00 Berlin


def who(user: str, channel: str | None = None, admin: bool = False, **extra) -> Actor:
    return Actor(WS, user, user.title(), is_admin=admin, channel=channel,
                 channel_name={"C0LAB": "lab", "C0PAPERS": "papers", "C0RANDOM": "random"}.get(channel), **extra)


ADA = who("ada", admin=True)


@pytest.fixture
def handler(core):
    return CommandHandler(core)


@pytest.fixture
def two(core, handler):
    """The lab meeting (#lab, Mondays) and a reading group (#papers, Thursdays); Ann is in both,
    Bob only in the lab, Ada (a workspace admin) created both."""
    assert handler.handle(who("ada", "C0LAB", admin=True), '/recap setup meeting="Mon 10:00" tz=Europe/Berlin').ok
    reply = handler.handle(ADA, '/recap group new "Reading group" channel=C0PAPERS meeting="Thu 16:00" '
                                "tz=Europe/Berlin")
    assert reply.ok, reply.text
    assert handler.handle(who("ann", "C0LAB"), "/recap join").ok
    assert handler.handle(who("ann"), '/recap join "Reading group"').ok
    assert handler.handle(who("bob", "C0LAB"), "/recap join").ok
    lab, reading = core.groups.in_workspace(WS)
    return lab, reading


def text(reply) -> str:
    return reply.text


# -- creating, listing, renaming, deleting ------------------------------------------------
def test_setup_in_a_channel_without_a_group_creates_one_named_after_it(core, handler):
    reply = handler.handle(who("ada", "C0LAB", admin=True), '/recap setup meeting="Mon 10:00"')
    assert reply.ok and "Created the group **lab** for C0LAB" in reply.text
    [lab] = core.groups.in_workspace(WS)
    assert (lab.name, lab.channel) == ("lab", "C0LAB")
    assert core.groups.known_member(WS, "ada", lab.id) is not None  # its creator is its first member


def test_a_workspace_holds_several_groups_and_lists_them(core, handler, two):
    listing = handler.handle(who("bob"), "/recap groups").text
    assert "**Groups in this workspace (2)**" in listing
    assert "**lab**: C0LAB, Mon 10:00 Europe/Berlin, every week, 3 members (you are in it)" in listing
    assert "**Reading group**: C0PAPERS, Thu 16:00 Europe/Berlin, every week, 2 members" in listing
    assert "**Reading group**: C0PAPERS, Thu 16:00 Europe/Berlin, every week, 2 members (you" not in listing


def test_a_group_name_and_a_channel_belong_to_one_group_only(handler, two):
    again = handler.handle(ADA, '/recap group new "reading GROUP"')
    assert not again.ok and "already has a group called" in again.text
    taken = handler.handle(ADA, '/recap group new Journal channel=C0LAB')
    assert not taken.ok and "already the channel of **lab**" in taken.text
    moved = handler.handle(who("ada", "C0PAPERS", admin=True), "/recap setup channel=<#C0LAB|lab>")
    assert not moved.ok and "already the channel of **lab**" in moved.text


def test_a_refused_setting_makes_no_group(core, handler):
    reply = handler.handle(who("ada", "C0LAB", admin=True), "/recap setup tz=Mars/Olympus")
    assert not reply.ok and core.groups.in_workspace(WS) == []
    reply = handler.handle(ADA, '/recap group new "Journal club" meeting="Someday"')
    assert not reply.ok and core.groups.in_workspace(WS) == []


def test_only_workspace_admins_create_groups(core, handler, two):
    assert not handler.handle(who("bob"), '/recap group new "Bob club"').ok
    assert not handler.handle(who("bob", "C0RANDOM"), "/recap setup meeting=\"Mon 10:00\"").ok
    assert len(core.groups.in_workspace(WS)) == 2


def test_rename_from_anywhere_and_delete_after_a_confirmation_that_counts(core, handler, two, clock):
    lab, reading = two
    core.recaps.submit(who("ann", "C0PAPERS"), RecapDraft(progress="read two papers"))
    renamed = handler.handle(ADA, '/recap group rename "Reading group" "Journal club"')
    assert renamed.ok and "**Journal club**" in renamed.text
    assert not handler.handle(who("bob"), "/recap group delete \"Journal club\"").ok  # not an admin
    ask = handler.handle(ADA, '/recap group delete "Journal club"')
    assert isinstance(ask, ConfirmReply)
    assert "1 recap" in ask.text and "2 memberships" in ask.text
    assert len(core.groups.in_workspace(WS)) == 2  # asking deletes nothing
    done = handler.confirm(ADA, ask.action)
    assert done.ok and "Deleted the group **Journal club**:" in done.text and "1 recap" in done.text
    assert [g.id for g in core.groups.in_workspace(WS)] == [lab.id]
    assert "You are now" not in handler.confirm(ADA, ask.action).text  # a second press finds nothing
    assert not handler.confirm(ADA, ask.action).ok


# -- which group a command means ---------------------------------------------------------
def test_the_channel_decides_then_the_only_group_then_a_choice(core, handler, two):
    lab, reading = two
    assert core.groups.scope(who("ann", "C0PAPERS")).team.id == reading.id
    assert core.groups.scope(who("ann", "C0LAB")).team.id == lab.id
    assert core.groups.scope(who("bob")).team.id == lab.id  # his only group, from a DM
    with pytest.raises(ChooseGroup) as several:
        core.groups.scope(who("ann"))
    assert [g.id for g in several.value.groups] == [lab.id, reading.id]
    assert core.groups.scope(who("ann", group="reading group")).team.id == reading.id
    assert core.groups.scope(who("ann", "C0LAB", group=str(reading.id))).team.id == reading.id  # a choice wins


def test_several_groups_get_a_picker_or_a_hint_and_group_option_chooses(handler, two):
    form = handler.handle(who("ann"), "/recap")
    assert isinstance(form, ChooseGroupReply) and form.command == "submit"
    assert [name for _, name in form.groups] == ["lab", "Reading group"]
    status = handler.handle(who("ann"), "/recap status")
    assert isinstance(status, ChooseGroupReply) and '--group "NAME"' in status.text
    chosen = handler.handle(who("ann"), '/recap status --group "Reading group"')
    assert isinstance(chosen, TextReply) and chosen.text.startswith("_Reading group:_ ")


def test_every_reply_names_the_group_for_someone_in_several(core, handler, two):
    ann = handler.handle(who("ann", "C0LAB"), '/recap submit --progress "pcr"')
    assert ann.text.startswith("_lab:_ Thanks! Your recap is in")
    bob = handler.handle(who("bob", "C0LAB"), '/recap submit --progress "gels"')
    assert bob.text.startswith("Thanks! Your recap is in")  # one group: no need to say which


def test_the_channel_of_a_group_offers_to_join_it(core, handler, two):
    reply = handler.handle(who("bob", "C0PAPERS"), "/recap")
    assert isinstance(reply, JoinReply) and reply.group_name == "Reading group" and reply.then == "submit"
    assert "/recap join \"Reading group\"" in reply.text
    joined = handler.join(who("bob", "C0PAPERS"), reply.group_id)
    assert joined.ok and "now a member of **Reading group**" in joined.text
    assert isinstance(handler.handle(who("bob", "C0PAPERS"), "/recap"), FormReply)


def test_no_group_yet_and_no_membership_yet_say_what_to_do(core, handler):
    assert "no recap group in this workspace" in handler.handle(who("ann"), "/recap status").text
    handler.handle(who("ada", "C0LAB", admin=True), "/recap setup meeting=\"Mon 10:00\"")
    handler.handle(ADA, '/recap group new "Reading group" channel=C0PAPERS')
    reply = handler.handle(who("ann"), "/recap")
    assert isinstance(reply, ChooseGroupReply) and reply.joining and "/recap join NAME" in reply.text


def test_one_group_and_no_membership_gets_the_join_offer_from_anywhere(core, handler):
    handler.handle(who("ada", "C0LAB", admin=True), "/recap setup meeting=\"Mon 10:00\"")
    reply = handler.handle(who("cleo"), "/recap question")
    assert isinstance(reply, JoinReply) and reply.group_name == "lab"


# -- membership ----------------------------------------------------------------------------
def test_join_leave_and_come_back(core, handler, two, clock):
    lab, _ = two
    assert "already a member" in handler.handle(who("bob", "C0LAB"), "/recap join").text
    left = handler.handle(who("bob"), "/recap leave lab")
    assert left.ok and "You left **lab**" in left.text
    assert isinstance(handler.handle(who("bob", "C0LAB"), "/recap status"), JoinReply)
    part = core.upcoming_participation(lab)
    assert "bob" not in [m.user_ref for m in part.expected]  # no reminder, not "not yet submitted"
    clock.advance(hours=1)
    assert "now a member of **lab**" in handler.handle(who("bob", "C0LAB"), "/recap join").text
    assert "bob" in [m.user_ref for m in core.upcoming_participation(lab).expected]


def test_admins_add_and_remove_people_by_mention(core, handler, two):
    lab, reading = two
    lead = replace(who("ada", "C0PAPERS", admin=True), mentioned=(("U0CAT", "Cat"),))
    added = handler.handle(lead, "/recap group add <@U0CAT> ann")
    assert added.ok and "Added to **Reading group**: Cat." in added.text and "Already members: Ann" in added.text
    assert core.groups.known_member(WS, "U0CAT", reading.id).display_name == "Cat"
    assert not handler.handle(who("bob", "C0PAPERS"), "/recap group add <@U0DAN>").ok  # not an admin
    removed = handler.handle(who("ada", "C0PAPERS", admin=True), "/recap group remove Cat")
    assert removed.ok and "Removed from **Reading group**: Cat" in removed.text
    assert core.groups.known_member(WS, "U0CAT", reading.id) is None


def test_members_equals_adds_people_and_a_discord_role_joins_its_holders_on_first_use(core, handler):
    guild = Workspace("discord", "900")
    prof = Actor(guild, "1", "Prof", is_admin=True, channel="<#55>", channel_name="lab")
    reply = handler.handle(prof, '/recap setup meeting="Mon 10:00" members=<@&777>,<@42>')
    assert reply.ok and "everyone with the role <@&777>" in reply.text
    [lab] = core.groups.in_workspace(guild)
    assert core.groups.known_member(guild, "42", lab.id) is not None
    holder = Actor(guild, "43", "Hana", channel="<#99>", roles=("777",))
    first = handler.handle(holder, "/recap status")
    assert first.ok and first.text.startswith("You hold the role <@&777>, so you are now a member of **lab**")
    assert "You hold the role" not in handler.handle(holder, "/recap status").text  # only the first time
    handler.handle(holder, "/recap leave")
    assert isinstance(handler.handle(holder, "/recap status"), JoinReply)  # leaving was their choice
    assert isinstance(handler.handle(Actor(guild, "44", "Ivo", roles=("1",)), "/recap status"), JoinReply)


# -- one person, two groups ---------------------------------------------------------------
def test_a_person_in_two_groups_writes_one_recap_per_group_with_that_groups_question(core, handler, two):
    lab, reading = two
    core.recaps.submit(who("ann", "C0LAB"), RecapDraft(question="Why do cells count?", progress="qPCR", failures="gel"))
    core.recaps.submit(who("ann", "C0PAPERS"), RecapDraft(question="Is attention all we need?", progress="read"))
    form = core.recaps.form(who("ann", "C0LAB"))
    assert (form.group_name, form.question, form.prefill()["progress"]) == ("lab", "Why do cells count?", "qPCR")
    assert form.several and form.groups == ((lab.id, "lab"), (reading.id, "Reading group"))
    other = core.recaps.form(who("ann", "C0PAPERS"))
    assert other.question == "Is attention all we need?" and other.prefill()["progress"] == "read"
    assert [(o.group_name, o.recap.progress) for o in other.others] == [("lab", "qPCR")]
    copied = core.recaps.form(who("ann", "C0PAPERS"), str(lab.id))
    values = copied.prefill()
    assert values["question"] == "Is attention all we need?"  # this membership's question stays
    assert (values["progress"], values["failures"]) == ("qPCR", "gel")
    assert "Copied from your latest recap in lab" in texts.form_intro(copied)
    with pytest.raises(UserError):
        core.recaps.form(who("bob", "C0LAB"), str(reading.id))  # nothing of his there to copy
    lab_digest = core.upcoming_digest(lab)
    assert [(e.member.user_ref, e.recap.progress) for e in lab_digest.entries] == [("ann", "qPCR")]
    assert [e.recap.progress for e in core.digests.build(reading, THURSDAY).entries] == ["read"]


def test_app_home_has_one_overview_per_group(core, two):
    lab, reading = two
    core.recaps.submit(who("ann", "C0LAB"), RecapDraft(progress="qPCR"))
    pages = core.overviews(who("ann"))
    assert [(p.team_name, p.team_id, p.submitted) for p in pages] == [("lab", lab.id, True),
                                                                       ("Reading group", reading.id, False)]
    assert core.overviews(who("zed")) == []


# -- who sees what ------------------------------------------------------------------------
def test_a_groups_preview_and_history_are_for_its_members_and_admins(core, handler, two):
    core.recaps.submit(who("ann", "C0PAPERS"), RecapDraft(progress="read a secret draft"))
    assert isinstance(handler.handle(who("bob", "C0PAPERS"), "/recap digest"), JoinReply)
    assert isinstance(handler.handle(who("bob", "C0PAPERS"), "/recap history ann"), JoinReply)
    assert isinstance(handler.handle(who("ann", "C0PAPERS"), "/recap digest"), DigestReply)
    admin = handler.handle(who("root", "C0PAPERS", admin=True), "/recap history ann")
    assert admin.ok and "read a secret draft" in admin.text
    lead = handler.handle(who("ada", "C0PAPERS", admin=True), "/recap status")
    assert lead.ok and "ann" in lead.text.lower()


def test_nothing_of_a_group_is_found_from_another_workspace(core, handler, two):
    lab, reading = two
    core.recaps.submit(who("ann", "C0PAPERS"), RecapDraft(progress="read a secret draft"))
    stranger = Actor(Workspace("slack", "T2"), "eve", "Eve", is_admin=True, channel="C0PAPERS")
    assert "no recap group yet" in handler.handle(stranger, "/recap groups").text
    for command in (f"/recap status --group {reading.id}", '/recap join "Reading group"',
                    '/recap group delete "Reading group"', "/recap history ann --group lab", "/recap digest"):
        reply = handler.handle(stranger, command)
        assert not reply.ok and ("No group called" in reply.text or "no recap group" in reply.text), command
        assert "secret" not in reply.text and "C0LAB" not in reply.text
    with pytest.raises(UserError):
        core.groups.delete(stranger, reading.id)
    assert len(core.groups.in_workspace(WS)) == 2


def test_channel_keys_match_however_the_channel_was_written():
    assert channel_key("<#C0LAB|lab>") == channel_key("C0LAB") == channel_key("#c0lab")
    assert channel_key("<#800000000000000100>") == channel_key("800000000000000100")
    assert channel_key(None) == ""


def test_digests_and_reminders_cover_members_only(core, handler, two, clock):
    lab, reading = two
    part = core.upcoming_participation(reading)
    assert sorted(m.user_ref for m in part.expected) == ["ada", "ann"]  # not bob: he is only in the lab
    assert "bob" not in core.upcoming_digest(reading).missing
