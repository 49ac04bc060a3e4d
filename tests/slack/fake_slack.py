"""A fake Slack for tests and benchmarks: the Web API on loopback, over real HTTP.

It records every call (method, arguments, token) and answers like Slack:
`auth.test`, `users.info`, `usergroups.users.list`, `views.open` (including `expired_trigger_id`),
`views.publish`, `chat.postMessage` (rejecting messages that break Slack's
block limits, as Slack does), `conversations.join`, `conversations.open`,
`oauth.v2.access`, and the file upload flow of `files_upload_v2`
(`files.getUploadURLExternal`, the POST to the upload URL,
`files.completeUploadExternal`, each checked as Slack checks it), `files.info` for a
file put into a form (`add_file`) and its private download URL (bot token only); any
method can be made to fail with a status (429 + Retry-After, 500, or a
405 with an HTML page) for a number of calls, and a channel can answer every post with an error for
good (`not_in_channel`, `is_archived`...). For fault tests it can SIGKILL a bot
process right after it accepted a number of posts (`kill_after`), and leave every post
made with a token unanswered (`hold`: a process stuck on the network, killed later). It also takes posts to response_urls (/response/<id>), and
`signed()` builds requests the way Slack signs them.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

SIGNING_SECRET = "test-signing-secret"
MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_BLOCK_TEXT = 12000  # what we treat as Slack's msg_blocks_too_long threshold


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str | None
    status: int = 200
    response: dict = field(default_factory=dict)


def _text_length(node: Any) -> int:
    total = 0
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
            return len(node["text"])
        for value in node.values():
            total += _text_length(value)
    elif isinstance(node, list):
        for item in node:
            total += _text_length(item)
    return total


def check_blocks(blocks: list[dict], max_blocks: int = MAX_BLOCKS) -> str | None:
    """Slack's own verdict on a message's blocks: None if fine, else its error code."""
    if len(blocks) > max_blocks:
        return "invalid_blocks"
    for block in blocks:
        kind = block.get("type")
        text = (block.get("text") or {}).get("text", "")
        if kind == "section" and (not text.strip() or len(text) > MAX_SECTION):
            return "invalid_blocks"
        if kind == "header" and len(text) > MAX_HEADER:
            return "invalid_blocks"
    if _text_length(blocks) > MAX_BLOCK_TEXT:
        return "msg_blocks_too_long"
    return None


@dataclass
class KillSwitch:
    """SIGKILL the process `victim()` names once `posts` chat.postMessage calls were accepted.

    `before_next` (the default) kills when the next post arrives, which is then not
    accepted: the bot had everything it needed to record the accepted ones. Otherwise
    it kills right after the answer to the last accepted post is written, before the
    bot can record it (the window a crash can repeat one part in).
    """

    posts: int
    victim: Callable[[], int | None]
    before_next: bool = True
    killed: list[int] = field(default_factory=list)

    def fire(self, pid: int | None = None) -> bool:
        pid = pid if pid is not None else self.victim()
        if pid is None:
            return False
        os.kill(pid, signal.SIGKILL)
        self.killed.append(pid)
        return True


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.responses: list[dict] = []  # posts to response_urls, with "_id"
        self.rejected: list[Call] = []
        self.tokens: dict[str, str] = {}  # token -> team_id
        self.token_users: dict[str, str] = {}  # user token -> its user
        self.users: dict[tuple[str, str], dict] = {}  # (team_id, user_id) -> users.info "user"
        self.expired_triggers: set[str] = set()
        self.usergroups: dict[tuple[str, str], list[str]] = {}  # (team_id, usergroup id) -> user ids
        self.scopes: dict[str, set[str]] = {}  # team_id -> scopes granted, when a test narrows them
        self.failures: dict[str, list[tuple[int, dict, dict]]] = {}
        self.channel_errors: dict[str, str] = {}  # channel -> the error every post to it gets
        self.kill: KillSwitch | None = None
        self.held: set[str] = set()  # tokens whose posts get no answer until stop()
        self._release = asyncio.Event()
        self.oauth_codes: dict[str, dict] = {}  # code -> oauth.v2.access answer
        self.app_tokens: set[str] = set()  # xapp- tokens for Socket Mode
        self.sockets: list[web.WebSocketResponse] = []
        self.socket_acks: list[dict] = []
        self.uploads: dict[str, dict] = {}  # file id -> filename, length, team, content (once POSTed)
        self.files: list[dict] = []  # completed uploads: id, filename, title, content, channel, comment
        self.shared: dict[str, dict] = {}  # files people put into a form: id -> team, name, content
        self.downloads: list[tuple[str, str | None]] = []  # (file id, bearer token) per download
        self._ts = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- set-up -----------------------------------------------------------------
    def add_team(self, team_id: str, token: str) -> None:
        self.tokens[token] = team_id

    def add_file(self, team_id: str, file_id: str, name: str, content: bytes) -> dict:
        """A file someone uploaded into a form's file field; returns the file_input value Slack sends."""
        self.shared[file_id] = {"team": team_id, "name": name, "content": content}
        return {"id": file_id, "name": name}

    def add_user(self, team_id: str, user_id: str, name: str, tz: str = "Europe/Berlin",
                 admin: bool = False, owner: bool = False) -> None:
        self.users[(team_id, user_id)] = {
            "id": user_id, "team_id": team_id, "name": name.lower(), "real_name": name,
            "tz": tz, "tz_offset": 3600, "is_admin": admin, "is_owner": owner,
            "profile": {"display_name": name, "real_name": name},
        }

    def add_usergroup(self, team_id: str, usergroup: str, users: list[str]) -> None:
        self.usergroups[(team_id, usergroup)] = list(users)

    def fail(self, method: str, times: int = 1, status: int = 429, headers: dict | None = None,
             body: dict | str | None = None) -> None:
        """Make the next `times` calls of `method` fail with this status.

        A str body is sent as it is (a proxy's HTML page, say), with the
        Content-Type given in `headers` (JSON when none is given, as a
        misconfigured proxy labels it)."""
        self.failures.setdefault(method, []).extend(
            [(status, headers or {}, body or {"ok": False, "error": "ratelimited"})] * times)

    def kill_after(self, posts: int, victim: Callable[[], int | None], before_next: bool = True) -> KillSwitch:
        """Arm a one-shot SIGKILL (see KillSwitch); returns it to read `killed` later."""
        self.kill = KillSwitch(posts, victim, before_next)
        return self.kill

    def hold(self, token: str) -> None:
        """From now on, chat.postMessage with `token` is never answered (nor accepted) until stop()."""
        self.held.add(token)

    def accepted_posts(self) -> list[Call]:
        """The chat.postMessage calls Slack accepted: what people see, in order."""
        return [c for c in self.called("chat.postMessage") if c.response.get("ok")]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, n: int | str) -> str:
        return f"{self.url}/response/{n}"

    # -- queries ----------------------------------------------------------------
    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.status == 200]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until `method` was answered `count` times (an event, not a guess at time)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.called(method)) >= count), timeout)
        return self.called(method)

    async def wait_responses(self, count: int = 1, timeout: float = 5.0) -> list[dict]:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.responses) >= count), timeout)
        return self.responses

    async def wait_response(self, text: str, timeout: float = 5.0) -> dict:
        """The latest response_url post holding `text`, once there is one."""
        def found():
            return [r for r in self.responses if text in str(r)]
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: bool(found())), timeout)
        return found()[-1]

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- server -------------------------------------------------------------------
    async def start(self) -> "FakeSlack":
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{id}", self._response)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/files-pri/{file_id}", self._download)
        app.router.add_get("/link", self._socket)
        async def close_sockets(_app):
            for ws in self.sockets:
                await ws.close()

        app.on_shutdown.append(close_sockets)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        self._release.set()  # held requests end (with a 503) so the server can shut down
        if self._runner is not None:
            await self._runner.cleanup()

    # -- Socket Mode: apps.connections.open hands out ws://.../link ------------------
    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        await self._notify()
        await ws.send_json({"type": "hello", "num_connections": 1,
                            "connection_info": {"app_id": "A0RECAP"}, "debug_info": {"host": "fake"}})
        async for message in ws:
            if message.type == web.WSMsgType.TEXT:
                self.socket_acks.append(json.loads(message.data))
                await self._notify()
        return ws

    async def wait_socket(self, timeout: float = 5.0) -> web.WebSocketResponse:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: bool(self.sockets)), timeout)
        return self.sockets[-1]

    async def wait_socket_ack(self, envelope_id: str, timeout: float = 5.0) -> dict:
        def found():
            return next((a for a in self.socket_acks if a.get("envelope_id") == envelope_id), None)

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: found() is not None), timeout)
        return found()

    async def _response(self, request: web.Request) -> web.Response:
        body = await request.json()
        body["_id"] = request.match_info["id"]
        self.responses.append(body)
        await self._notify()
        return web.Response(text="ok")

    async def _download(self, request: web.Request) -> web.Response:
        """url_private_download: only with a bot token of the file's own workspace (as Slack)."""
        file_id = request.match_info["file_id"]
        auth = request.headers.get("Authorization", "")
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else None
        self.downloads.append((file_id, token))
        shared = self.shared.get(file_id)
        if shared is None or self.tokens.get(token or "") != shared["team"]:
            return web.Response(text="<html>sign in</html>", content_type="text/html", status=403)
        return web.Response(body=shared["content"], content_type="application/octet-stream")

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL from files.getUploadURLExternal: the bytes, exactly `length` of them."""
        pending = self.uploads.get(request.match_info["file_id"])
        body = await request.read()
        if pending is None or "content" in pending:
            return web.Response(status=404, text="unknown or used upload url")
        if len(body) != pending["length"]:
            return web.Response(status=400, text=f"expected {pending['length']} bytes, got {len(body)}")
        pending["content"] = body
        await self._notify()
        return web.Response(text=f"OK - {len(body)}")

    def _get_upload_url(self, team: str, args: dict) -> dict:
        length = str(args.get("length") or "")
        if not args.get("filename") or not length.isdigit() or int(length) < 1:
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._file_ids):08d}"
        self.uploads[file_id] = {"filename": args["filename"], "length": int(length), "team": team}
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _complete_upload(self, team: str, args: dict) -> dict:
        try:
            files = json.loads(args.get("files") or "")
        except ValueError:
            return {"ok": False, "error": "invalid_arguments"}
        if not isinstance(files, list) or not files or not all(isinstance(f, dict) and f.get("id") for f in files):
            return {"ok": False, "error": "invalid_arguments"}
        channel = args.get("channel_id")
        if channel is not None and not channel.startswith(("C", "D", "G")):
            return {"ok": False, "error": "channel_not_found"}  # channel_id takes conversation ids only
        if args.get("thread_ts") and not channel:
            return {"ok": False, "error": "invalid_arguments"}
        done = []
        for item in files:
            pending = self.uploads.get(item["id"])
            if pending is None or pending["team"] != team or "content" not in pending or pending.get("completed"):
                return {"ok": False, "error": "file_not_found"}
            done.append((item, pending))
        answer = []
        for item, pending in done:
            pending["completed"] = True
            self.files.append({"id": item["id"], "filename": pending["filename"], "title": item.get("title"),
                               "content": pending["content"], "channel": channel,
                               "comment": args.get("initial_comment")})
            answer.append({"id": item["id"], "title": item.get("title") or pending["filename"],
                           "name": pending["filename"], "size": pending["length"]})
        return {"ok": True, "files": answer}

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        raw = await request.read()
        if raw:
            if request.content_type == "application/json":
                args.update(json.loads(raw))
            else:
                args.update(dict(parse_qsl(raw.decode())))
        for key in ("blocks", "view"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        auth = request.headers.get("Authorization", "")
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else args.get("token")
        call = Call(method, args, token)
        self.calls.append(call)
        if method == "chat.postMessage" and token in self.held:
            call.status = 0  # never answered: neither accepted nor refused
            await self._release.wait()
            return web.json_response({"ok": False, "error": "fatal_error"}, status=503)
        kill = self.kill if method == "chat.postMessage" else None
        if kill is not None and kill.before_next and len(self.accepted_posts()) >= kill.posts and kill.fire():
            self.kill = None
            call.status = 503
            await self._notify()
            return web.json_response({"ok": False, "error": "fatal_error"}, status=503)
        queued = self.failures.get(method)
        if queued:
            status, headers, body = queued.pop(0)
            call.status, call.response = status, body if isinstance(body, dict) else {"raw": body}
            await self._notify()
            if isinstance(body, str):
                return web.Response(body=body.encode(), status=status,
                                    headers={"Content-Type": "application/json", **headers})
            return web.json_response(body, status=status, headers=headers)
        answer = self._answer(method, args, token)
        call.response = answer
        if not answer.get("ok"):
            self.rejected.append(call)
        await self._notify()
        if kill is not None and not kill.before_next and len(self.accepted_posts()) >= kill.posts:
            victim = kill.victim()  # named before the bot has the answer (and could finish)
            response = web.json_response(answer)
            await response.prepare(request)
            await response.write_eof()  # the bot has the answer; it dies before it can record it
            if kill.fire(victim):
                self.kill = None
            return response
        return web.json_response(answer)

    def _answer(self, method: str, args: dict, token: str | None) -> dict:
        if method == "oauth.v2.access":
            answer = self.oauth_codes.get(args.get("code", ""), {"ok": False, "error": "invalid_code"})
            authed = answer.get("authed_user") or {}
            if authed.get("access_token"):  # a user token: auth.test answers with that user, as Slack does
                self.token_users[authed["access_token"]] = authed["id"]
            return answer
        if method == "apps.connections.open":
            if token not in self.app_tokens:
                return {"ok": False, "error": "invalid_auth"}
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link"}
        team = self.tokens.get(token or "")
        if team is None:
            return {"ok": False, "error": "invalid_auth"}
        if method == "auth.test":
            if token in self.token_users:
                return {"ok": True, "team_id": team, "team": team, "user_id": self.token_users[token],
                        "user": self.token_users[token].lower(), "url": f"https://{team.lower()}.slack.com/"}
            return {"ok": True, "team_id": team, "team": team, "user_id": f"B{team}", "bot_id": f"B{team}",
                    "user": "recapbot", "url": f"https://{team.lower()}.slack.com/"}
        if method == "users.info":
            user = self.users.get((team, args.get("user", "")))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "usergroups.users.list":
            if team in self.scopes and "usergroups:read" not in self.scopes[team]:
                return {"ok": False, "error": "missing_scope", "needed": "usergroups:read"}
            users = self.usergroups.get((team, args.get("usergroup", "")))
            return {"ok": True, "users": users} if users is not None else {"ok": False, "error": "no_such_subteam"}
        if method == "views.open":
            if args.get("trigger_id") in self.expired_triggers:
                return {"ok": False, "error": "expired_trigger_id"}
            return self._view_answer(args.get("view") or {}, 100)
        if method in ("views.publish", "views.update"):
            return self._view_answer(args.get("view") or {}, 100)
        if method in ("chat.postMessage", "chat.postEphemeral"):
            error = check_blocks(args.get("blocks") or [])
            if error:
                return {"ok": False, "error": error}
            if len(args.get("text") or "") > 40000:
                return {"ok": False, "error": "msg_too_long"}
            channel = args.get("channel", "")
            if channel in self.channel_errors:
                return {"ok": False, "error": self.channel_errors[channel]}
            if channel.startswith(("U", "W")):
                channel = "D" + channel[1:]
            return {"ok": True, "channel": channel, "ts": f"{int(time.time())}.{next(self._ts):06d}"}
        if method == "conversations.join":
            return {"ok": True, "channel": {"id": args.get("channel")}}
        if method == "conversations.open":
            users = args.get("users") or ""
            if not users.startswith(("U", "W")) or "," in users:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "channel": {"id": "D" + users[1:]}}
        if method == "files.info":
            shared = self.shared.get(args.get("file", ""))
            if shared is None or shared["team"] != team:
                return {"ok": False, "error": "file_not_found"}
            file_id = args["file"]
            return {"ok": True, "file": {"id": file_id, "name": shared["name"], "size": len(shared["content"]),
                                         "url_private_download": f"{self.url}/files-pri/{file_id}"}}
        if method == "files.getUploadURLExternal":
            return self._get_upload_url(team, args)
        if method == "files.completeUploadExternal":
            return self._complete_upload(team, args)
        return {"ok": False, "error": "unknown_method"}

    @staticmethod
    def _view_answer(view: dict, max_blocks: int) -> dict:
        if not view.get("blocks") or len(view["blocks"]) > max_blocks:
            return {"ok": False, "error": "invalid_arguments"}
        if view.get("type") == "modal" and len((view.get("title") or {}).get("text", "")) > 24:
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "view": {"id": "V" + str(abs(hash(json.dumps(view, sort_keys=True))) % 10**8), **view}}


# -- building signed requests like Slack --------------------------------------------
def sign(body: str, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


_trigger = itertools.count(1)


def slash_body(fake: FakeSlack, team: str, user: str, text: str, channel: str = "C0LAB",
               trigger_id: str | None = None, channel_name: str | None = None) -> tuple[str, str]:
    """A form-encoded slash command as Slack sends it; returns (body, trigger_id)."""
    trigger = trigger_id or f"trig.{next(_trigger)}"
    fields = {
        "token": "legacy-verification-token", "team_id": team, "team_domain": team.lower(),
        "channel_id": channel, "channel_name": channel_name or ("directmessage" if channel.startswith("D") else "lab"),
        "user_id": user, "user_name": user.lower(),
        "command": "/recap", "text": text, "api_app_id": "A0RECAP", "is_enterprise_install": "false",
        "response_url": fake.response_url(trigger), "trigger_id": trigger,
    }
    return urlencode(fields), trigger


def interaction_body(payload: dict) -> str:
    return urlencode({"payload": json.dumps(payload)})


def view_submission(team: str, user: str, view: dict, values: dict) -> dict:
    """A view_submission payload for a view we opened (its callback_id and private_metadata)."""
    return {
        "type": "view_submission", "team": {"id": team, "domain": team.lower()},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
        "api_app_id": "A0RECAP", "token": "legacy-verification-token", "trigger_id": f"trig.{next(_trigger)}",
        "view": {
            "id": "V0001", "team_id": team, "type": "modal", "callback_id": view["callback_id"],
            "private_metadata": view.get("private_metadata", ""), "hash": "1.abc",
            "title": view.get("title"), "blocks": view.get("blocks"),
            "state": {"values": values},
        },
        "response_urls": [], "is_enterprise_install": False, "enterprise": None,
    }


def block_action(team: str, user: str, action_id: str, value: str = "home") -> dict:
    return {
        "type": "block_actions", "team": {"id": team, "domain": team.lower()},
        "user": {"id": user, "username": user.lower(), "team_id": team},
        "api_app_id": "A0RECAP", "token": "legacy-verification-token", "trigger_id": f"trig.{next(_trigger)}",
        "container": {"type": "view", "view_id": "VHOME"},
        "actions": [{"action_id": action_id, "block_id": "home_actions", "value": value, "type": "button",
                     "action_ts": f"{time.time():.6f}"}],
        "is_enterprise_install": False, "enterprise": None,
    }


def view_action(team: str, user: str, view: dict, action_id: str, value: str | None = None,
                selected: str | None = None) -> dict:
    """A button pressed or an option picked inside a modal we opened (it carries the view)."""
    action = {"action_id": action_id, "block_id": "x", "action_ts": f"{time.time():.6f}"}
    if selected is not None:
        action.update(type="static_select", selected_option={"value": selected, "text": {"type": "plain_text",
                                                                                            "text": selected}})
    else:
        action.update(type="button", value=value)
    return {
        "type": "block_actions", "team": {"id": team, "domain": team.lower()},
        "user": {"id": user, "username": user.lower(), "team_id": team},
        "api_app_id": "A0RECAP", "token": "legacy-verification-token", "trigger_id": f"trig.{next(_trigger)}",
        "container": {"type": "view", "view_id": "V0001"},
        "view": {"id": "V0001", "team_id": team, "type": "modal", "callback_id": view.get("callback_id"),
                 "private_metadata": view.get("private_metadata", ""), "hash": "1.abc",
                 "blocks": view.get("blocks"), "state": {"values": {}}},
        "actions": [action], "is_enterprise_install": False, "enterprise": None,
    }


def message_action(team: str, user: str, action_id: str, value: str, response_url: str) -> dict:
    """A button pressed in an ephemeral message (it answers through the message's response_url)."""
    return {
        "type": "block_actions", "team": {"id": team, "domain": team.lower()},
        "user": {"id": user, "username": user.lower(), "team_id": team},
        "api_app_id": "A0RECAP", "token": "legacy-verification-token", "trigger_id": f"trig.{next(_trigger)}",
        "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": "C0LAB",
                      "is_ephemeral": True},
        "channel": {"id": "C0LAB", "name": "lab"}, "response_url": response_url,
        "actions": [{"action_id": action_id, "block_id": "confirm", "value": value, "type": "button",
                     "action_ts": f"{time.time():.6f}"}],
        "is_enterprise_install": False, "enterprise": None,
    }


def event_body(team: str, event: dict) -> str:
    return json.dumps({
        "token": "legacy-verification-token", "team_id": team, "api_app_id": "A0RECAP",
        "event": event, "type": "event_callback", "event_id": f"Ev{next(_trigger)}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": team, "user_id": f"B{team}", "is_bot": True, "is_enterprise_install": False}],
    })
