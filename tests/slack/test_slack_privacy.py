"""/recap export and /recap forget-me over real HTTP: files_upload_v2 into the DM, a confirm button."""
from __future__ import annotations

import json

import pytest
from fake_slack import interaction_body, message_action
from slack_harness import ANN, BOB, T1, TOKEN1, slack_actor
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.privacy import CANCEL_ACTION, CONFIRM_ACTION, EXPORT_SENT, NO_FILES_SCOPE
from bot.core.model import RecapDraft, Workspace
from tests.conftest import group_of, submit_as


def _texts(message: dict) -> str:
    return json.dumps(message.get("blocks") or []) + (message.get("text") or "")


def _button(message: dict, action_id: str) -> dict:
    return next(e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == action_id)


async def test_export_is_uploaded_to_the_persons_dm_as_two_files(slack, core):
    submit_as(core, slack_actor(ANN), RecapDraft(progress="Counted cells"))
    submit_as(core, slack_actor(BOB), RecapDraft(progress="Bob's secret"))
    await slack.command(ANN, "export")
    (note,) = await slack.fake.wait_responses(1)
    assert note["response_type"] == "ephemeral" and EXPORT_SENT in _texts(note)
    [opened] = slack.fake.called("conversations.open")
    assert opened.args["users"] == ANN and opened.token == TOKEN1
    assert len(slack.fake.called("files.getUploadURLExternal")) == 2
    assert not slack.fake.called("files.upload")  # retired: v2 only
    data, markdown = slack.fake.files
    assert (data["channel"], markdown["channel"]) == ("D0ANN", "D0ANN")
    assert data["filename"].endswith(".json") and markdown["filename"].endswith(".md")
    document = json.loads(data["content"])
    assert document["user"] == ANN and document["records"]["recaps"][0]["progress"] == "Counted cells"
    assert "Counted cells" in markdown["content"].decode() and b"Bob's secret" not in data["content"]
    assert "JSON" in data["comment"]


async def test_an_install_without_files_write_is_told_what_to_do(slack, core):
    submit_as(core, slack_actor(ANN), RecapDraft(progress="Counted cells"))
    slack.fake.fail("files.getUploadURLExternal", status=200,
                    body={"ok": False, "error": "missing_scope", "needed": "files:write", "provided": "commands"})
    await slack.command(ANN, "export")
    (note,) = await slack.fake.wait_responses(1)
    assert NO_FILES_SCOPE.split(":")[0] in _texts(note) and slack.fake.files == []


async def test_forget_me_asks_with_a_button_and_the_press_deletes_everything(slack, core, repo):
    submit_as(core, slack_actor(ANN), RecapDraft(progress="Counted cells"))
    team = group_of(core, Workspace("slack", T1))
    await slack.command(ANN, "forget-me")
    (question,) = await slack.fake.wait_responses(1)
    assert "Delete everything recapbot stores about you" in _texts(question)
    confirm = _button(question, CONFIRM_ACTION)
    assert confirm["style"] == "danger" and confirm["text"]["text"] == "Delete my data"
    assert repo.get_member(team.id, ANN) is not None  # asking deleted nothing

    press = message_action(T1, ANN, CONFIRM_ACTION, confirm["value"], slack.fake.response_url("press"))
    status, _ = await slack.post(interaction_body(press))
    assert status == 200
    answers = await slack.fake.wait_responses(2)
    done = answers[-1]
    assert done["_id"] == "press" and done["replace_original"] is True
    assert "Done: deleted 1 membership and 1 recap." in _texts(done)
    assert repo.get_member(team.id, ANN) is None
    assert repo.user_records(Workspace("slack", T1), ANN) == {}


async def test_cancel_deletes_nothing_and_a_forged_press_is_refused(slack, core, repo):
    submit_as(core, slack_actor(ANN), RecapDraft(progress="Counted cells"))
    team = group_of(core, Workspace("slack", T1))
    await slack.command(ANN, "forget-me")
    (question,) = await slack.fake.wait_responses(1)
    cancel = _button(question, CANCEL_ACTION)
    await slack.post(interaction_body(message_action(T1, ANN, CANCEL_ACTION, cancel["value"],
                                                     slack.fake.response_url("cancel"))))
    await slack.post(interaction_body(message_action(T1, ANN, CONFIRM_ACTION, "forget-me:1",
                                                     slack.fake.response_url("forged"))))
    answers = {r["_id"]: r for r in await slack.fake.wait_responses(3)}
    assert "Nothing was deleted." in _texts(answers["cancel"])
    assert "expired" in _texts(answers["forged"])
    assert repo.get_member(team.id, ANN) is not None


async def test_the_fake_holds_files_upload_v2_to_slacks_rules(slack):
    client = AsyncWebClient(token=TOKEN1, base_url=slack.fake.api_url)
    with pytest.raises(SlackApiError, match="channel_not_found"):  # channel_id takes a conversation, not a user
        await client.files_upload_v2(channel=ANN, content=b"x", filename="x.txt")
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        await client.files_getUploadURLExternal(filename="x.txt", length=0)
    with pytest.raises(SlackApiError, match="file_not_found"):  # never uploaded
        ticket = await client.files_getUploadURLExternal(filename="x.txt", length=3)
        await client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}], channel_id="D0ANN")
    sent = await client.files_upload_v2(channel="D0ANN", content="héllo", filename="h.md", title="Hello")
    assert sent["file"]["size"] == len("héllo".encode()) and slack.fake.files[-1]["content"] == "héllo".encode()
