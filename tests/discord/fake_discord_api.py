"""A small Discord-compatible HTTP API on loopback, for the real discord.py client.

It answers the few routes the adapter uses, enforces Discord's message limits
(400 / 50035 like the real API), de-duplicates posts by nonce when
enforce_nonce is set (for good; Discord does it for a few minutes), refuses a
second thread on one message (160004), and answers 403 Missing Access for
the channels listed in `no_access`.
Tests point discord.py at it by setting `discord.http.Route.BASE`.
"""
from __future__ import annotations

import itertools
import json
from datetime import datetime, timezone

from aiohttp import web

APP_ID = "700000000000000001"
BOT_USER = {"id": APP_ID, "username": "recapbot", "discriminator": "0", "avatar": None, "global_name": None, "bot": True}
NOW = datetime(2026, 11, 23, 8, tzinfo=timezone.utc).isoformat()


BODY = web.RequestKey("body", object)


def reply(data, status: int = 200) -> web.Response:
    """JSON with the exact content type discord.py checks for (aiohttp's json_response adds a charset)."""
    return web.Response(body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"})


def _units(text) -> int:
    return len(str(text or "").encode("utf-16-le")) // 2


def message_problems(body: dict) -> list[str]:
    problems = []
    if _units(body.get("content")) > 2000:
        problems.append("content over 2000")
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        problems.append("more than 10 embeds")
    total = 0
    for e in embeds:
        fields = e.get("fields", [])
        if _units(e.get("description")) > 4096:
            problems.append("description over 4096")
        if _units(e.get("title")) > 256 or _units(e.get("author", {}).get("name")) > 256:
            problems.append("title/author over 256")
        if len(fields) > 25 or any(_units(f["value"]) > 1024 or _units(f["name"]) > 256 for f in fields):
            problems.append("fields over limits")
        total += sum(_units(x) for x in (e.get("title"), e.get("description"), e.get("footer", {}).get("text"),
                                         e.get("author", {}).get("name")))
        total += sum(_units(f["name"]) + _units(f["value"]) for f in fields)
    if total > 6000:
        problems.append("embeds over 6000 in total")
    if not body.get("content") and not embeds and not body.get("components"):
        problems.append("empty message")
    return problems


class FakeDiscord:
    def __init__(self):
        self.ids = itertools.count(800000000000000001)
        self.channels: dict[str, dict] = {}
        self.messages: dict[str, list[dict]] = {}  # channel id -> messages
        self.threads: dict[str, str] = {}  # message id -> thread id
        self.nonces: dict[tuple[str, str], dict] = {}
        self.requests: list[tuple[str, str, object]] = []
        self.rejected: list[tuple[str, list[str]]] = []
        self.commands: dict[str, list[dict]] = {}
        self.closed_dms: set[str] = set()
        self.no_access: set[str] = set()  # channels the bot cannot see: 403 Missing Access
        self.runner: web.AppRunner | None = None
        self.base = ""

    def add_channel(self, guild_id: int, name: str = "lab", channel_id: int | None = None) -> str:
        cid = str(channel_id or next(self.ids))
        self.channels[cid] = {"id": cid, "type": 0, "guild_id": str(guild_id), "name": name, "position": 0,
                              "permission_overwrites": [], "nsfw": False, "parent_id": None}
        self.messages[cid] = []
        return cid

    # -- server ------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application(middlewares=[self._record])
        r = app.router
        r.add_get("/api/v10/users/@me", lambda req: reply(BOT_USER))
        r.add_get("/api/v10/oauth2/applications/@me", self.app_info)
        r.add_put("/api/v10/applications/{app}/guilds/{guild}/commands", self.put_commands)
        r.add_put("/api/v10/applications/{app}/commands", self.put_commands)
        r.add_get("/api/v10/channels/{cid}", self.get_channel)
        r.add_post("/api/v10/channels/{cid}/messages", self.post_message)
        r.add_post("/api/v10/channels/{cid}/messages/{mid}/threads", self.start_thread)
        r.add_get("/api/v10/users/{uid}", self.get_user)
        r.add_post("/api/v10/users/@me/channels", self.open_dm)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.base = f"http://127.0.0.1:{port}/api/v10"
        return self.base

    async def stop(self) -> None:
        if self.runner:
            await self.runner.cleanup()

    @web.middleware
    async def _record(self, request, handler):
        body = await request.json() if request.can_read_body else None
        self.requests.append((request.method, request.path, body))
        request[BODY] = body
        return await handler(request)

    # -- routes ------------------------------------------------------------------
    async def app_info(self, request):
        return reply({
            "id": APP_ID, "name": "recapbot", "description": "", "icon": None, "bot_public": True,
            "bot_require_code_grant": False, "owner": BOT_USER, "team": None, "verify_key": "0" * 64, "flags": 0,
            "summary": "", "rpc_origins": [],
        })

    async def put_commands(self, request):
        commands = request[BODY]
        key = request.match_info.get("guild", "global")
        self.commands[key] = commands
        out = [dict(c, id=str(next(self.ids)), application_id=APP_ID, version="1") for c in commands]
        if key != "global":
            for c in out:
                c["guild_id"] = key
        return reply(out)

    async def get_channel(self, request):
        if request.match_info["cid"] in self.no_access:
            return reply({"message": "Missing Access", "code": 50001}, status=403)
        channel = self.channels.get(request.match_info["cid"])
        if channel is None:
            return reply({"message": "Unknown Channel", "code": 10003}, status=404)
        return reply(channel)

    async def post_message(self, request):
        cid = request.match_info["cid"]
        body = request[BODY]
        if cid not in self.messages:
            return reply({"message": "Unknown Channel", "code": 10003}, status=404)
        if cid in self.no_access:
            return reply({"message": "Missing Access", "code": 50001}, status=403)
        if cid in self.closed_dms:
            return reply({"message": "Cannot send messages to this user", "code": 50007}, status=403)
        problems = message_problems(body)
        if problems:
            self.rejected.append((cid, problems))
            return reply({"message": "Invalid Form Body", "code": 50035, "errors": problems}, status=400)
        if body.get("enforce_nonce") and (cid, body.get("nonce")) in self.nonces:
            return reply(self.nonces[(cid, body["nonce"])])
        message = {
            "id": str(next(self.ids)), "channel_id": cid, "author": BOT_USER, "content": body.get("content") or "",
            "timestamp": NOW, "edited_timestamp": None, "tts": False, "mention_everyone": False, "mentions": [],
            "mention_roles": [], "attachments": [], "embeds": body.get("embeds") or [], "pinned": False, "type": 0,
            "nonce": body.get("nonce"), "components": body.get("components") or [],
        }
        if self.channels[cid].get("guild_id"):
            message["guild_id"] = self.channels[cid]["guild_id"]
        self.messages[cid].append(message)
        if body.get("nonce"):
            self.nonces[(cid, body["nonce"])] = message
        return reply(message)

    async def start_thread(self, request):
        cid, mid = request.match_info["cid"], request.match_info["mid"]
        if mid in self.threads:
            return reply({"message": "A thread has already been created for this message",
                                      "code": 160004}, status=400)
        parent = self.channels[cid]
        thread = {"id": mid, "type": 11, "guild_id": parent["guild_id"], "parent_id": cid, "owner_id": APP_ID,
                  "name": request[BODY]["name"], "message_count": 0, "member_count": 1, "rate_limit_per_user": 0,
                  "thread_metadata": {"archived": False, "auto_archive_duration": request[BODY].get(
                      "auto_archive_duration", 1440), "archive_timestamp": NOW, "locked": False}}
        self.threads[mid] = mid
        self.channels[mid] = thread
        self.messages[mid] = []
        return reply(thread)

    async def get_user(self, request):
        uid = request.match_info["uid"]
        return reply({"id": uid, "username": f"user{uid[-3:]}", "discriminator": "0", "avatar": None,
                                  "global_name": None})

    async def open_dm(self, request):
        uid = str(request[BODY]["recipient_id"])
        cid = f"5{uid[1:]}"
        self.channels[cid] = {"id": cid, "type": 1, "recipients": [{"id": uid, "username": "u", "discriminator": "0",
                                                                      "avatar": None}], "last_message_id": None}
        self.messages.setdefault(cid, [])
        return reply(self.channels[cid])
