"""The command set as every adapter sees it: parsing, replies, friendly refusals."""
from dataclasses import replace

import pytest

from bot.core.commands import COMMANDS, CommandHandler, parse
from bot.core.replies import ConfirmReply, DigestReply, FileReply, FormReply, SettingsReply, TextReply
from tests.conftest import CONSOLE, person, group_of

ALICE = person("alice")


@pytest.fixture
def handler(core):
    handler = CommandHandler(core)
    assert handler.handle(ALICE, '/recap setup meeting="Mon 10:00" tz=Europe/Berlin').ok
    return handler


@pytest.mark.parametrize("text, name", [("", "submit"), ("/recap", "submit"), ("submit", "submit"),
                                        ("/recap STATUS", "status"), ("--progress x", "submit")])
def test_parse_finds_the_command(text, name):
    assert parse(text).name == name


def test_curly_quotes_from_chat_apps_are_understood(handler, core):
    reply = handler.handle(ALICE, "/recap setup north-star=\u201cMake planning cheap\u201d")
    assert reply.ok and group_of(core, CONSOLE).north_star == "Make planning cheap"


def test_reply_types(handler):
    assert isinstance(handler.handle(ALICE, "/recap"), FormReply)
    assert isinstance(handler.handle(ALICE, "/recap digest"), DigestReply)
    assert isinstance(handler.handle(ALICE, "/recap setup"), SettingsReply)
    assert isinstance(handler.handle(ALICE, "/recap help"), TextReply)


@pytest.mark.parametrize("text, message", [
    ("/recap status now", "`/recap status` takes no arguments"),
    ("/recap history a b c", "Use `/recap history [member] [n]`"),
    ("/recap history 99", "n must be from 1 to 20"),
    ("/recap history nobody", "No member called 'nobody'"),
    ("/recap skip-meeting", "Use `/recap skip-meeting YYYY-MM-DD`"),
    ("/recap setup every", "'every' is not key=value"),
    ("/recap timezone Mars/Base", "Unknown timezone 'Mars/Base'"),
    ("/recap question", "no big-picture question yet"),
])
def test_bad_arguments_say_what_was_wrong_and_show_the_right_form(handler, text, message):
    reply = handler.handle(ALICE, text)
    assert message in reply.text


def test_member_timezone_defaults_to_the_team_and_can_be_set(handler):
    assert "Europe/Berlin (the group's)" in handler.handle(ALICE, "/recap timezone").text
    assert handler.handle(ALICE, "/recap timezone America/New_York").text == "Your timezone is now America/New_York."
    assert "EST" in handler.handle(ALICE, "/recap schedule").text


def test_platform_supplied_timezone_is_not_overridden_by_command(handler, core):
    slack_user = replace(ALICE, timezone="Asia/Tokyo")
    reply = handler.handle(slack_user, "/recap timezone Europe/Paris")
    assert not reply.ok and "follows your profile" in reply.text and "Asia/Tokyo" in reply.text
    member = core.teams.member_for(slack_user)
    assert member.timezone == "Asia/Tokyo"


def test_non_admin_sees_settings_but_cannot_change_them(handler):
    bob = person("bob", admin=False)
    settings = handler.handle(bob, "/recap setup")
    assert isinstance(settings, SettingsReply) and not settings.can_edit
    refused = handler.handle(bob, "/recap setup every=2")
    assert not refused.ok and "Only workspace admins" in refused.text


def test_user_errors_never_escape_as_exceptions(handler):
    for text in ["/recap away", "/recap setup tz=", '/recap submit --progress "x', "/recap ??"]:
        assert not handler.handle(ALICE, text).ok  # an answer, not an exception


@pytest.mark.parametrize("name", [spec.name for spec in COMMANDS])
def test_every_command_in_the_help_is_answered(handler, name):
    """The help lists exactly the commands that have a handler; each answers, none crashes."""
    assert set(handler.handlers) == {spec.name for spec in COMMANDS}
    reply = handler.handle(ALICE, f"/recap {name}")
    assert isinstance(reply, (TextReply, FormReply, DigestReply, SettingsReply, FileReply, ConfirmReply))
    assert "Unknown command" not in getattr(reply, "text", "")
