"""A small Discord-compatible API on loopback, for the real discord.py client.

It answers the few routes the adapter uses, enforces Discord's message and
modal limits (400 / 50035 like the real API), de-duplicates posts by nonce when
enforce_nonce is set (for good; Discord does it for a few minutes), refuses a
second thread on one message (160004), and answers 403 Missing Access for
the channels listed in `no_access`.
Tests point discord.py at it by setting `discord.http.Route.BASE` (and, for
interactions, `DiscordWebSocket.DEFAULT_GATEWAY` at `gateway_url`).

Its gateway delivers interactions as Discord does (INTERACTION_CREATE), and
records what the bot answers through the interaction callback and follow-up
webhooks: an `Exchange` per interaction holds what the person saw (and when:
bench/discord_load.py times the answers). A sharded bot connects once per shard;
each connection hears only its shard's servers, as on Discord, and a shard
connected twice is noted in `duplicate_shards`. GET /guilds/{id} answers 403 for a
server the bot is not in (`guilds` lists those it is in).
"""
from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
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
    """Discord's API counts code points (it is written in Python; discord-api-docs#1315)."""
    return len(str(text or ""))


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
    if not body.get("content") and not embeds and not body.get("components") and not body.get("files"):
        problems.append("empty message")
    rows = body.get("components") or []
    if len(rows) > 5:
        problems.append("more than 5 action rows")
    for row in rows:
        items = row.get("components") or []
        selects = [c for c in items if c.get("type") in (3, 5, 6, 7, 8)]
        if not 1 <= len(items) <= 5 or (selects and len(items) > 1):
            problems.append("an action row holds 1 to 5 buttons or one select")
        for c in items:
            if _units(c.get("custom_id")) > 100 or _units(c.get("label")) > 80:
                problems.append("component custom_id over 100 or label over 80")
            options = c.get("options") or []
            if c.get("type") == 3 and (not 1 <= len(options) <= 25 or c.get("max_values", 1) > len(options) or any(
                    _units(o.get("label")) > 100 or _units(o.get("value")) > 100 for o in options)):
                problems.append("select options not 1 to 25 or over 100 characters")
    return problems


def modal_problems(modal: dict) -> list[str]:
    """Discord's rules for a modal (components reference): what it would refuse with 50035."""
    problems = []
    if not 1 <= _units(modal.get("title")) <= 45:
        problems.append("title not 1 to 45")
    if not 1 <= _units(modal.get("custom_id")) <= 100:
        problems.append("custom_id not 1 to 100")
    components = modal.get("components") or []
    if not 1 <= len(components) <= 5:
        problems.append(f"{len(components)} components (1 to 5)")
    for top in components:
        if top.get("type") == 10:  # a text display
            if not 1 <= _units(top.get("content")) <= 4000:
                problems.append("text display not 1 to 4000")
            continue
        if top.get("type") != 18:
            problems.append(f"top-level component of type {top.get('type')} (wrap it in a Label)")
            continue
        if not 1 <= _units(top.get("label")) <= 45 or _units(top.get("description")) > 100:
            problems.append("label over 45 or description over 100")
        inner = top.get("component") or {}
        if _units(inner.get("custom_id")) > 100 or _units(inner.get("placeholder")) > 100:
            problems.append("custom_id or placeholder over 100")
        if inner.get("type") == 4:
            if not 1 <= inner.get("max_length", 4000) <= 4000 or _units(inner.get("value")) > 4000:
                problems.append("text input max_length or value over 4000")
        if inner.get("type") == 3:
            options = inner.get("options") or []
            if not 1 <= len(options) <= 25 or inner.get("max_values", 1) > len(options):
                problems.append("select needs 1 to 25 options and max_values within them")
            if any(_units(o.get("label")) > 100 or _units(o.get("description")) > 100 or
                   _units(o.get("value")) > 100 for o in options):
                problems.append("select option over 100")
    return problems


def shard_of(guild_id: int | str, shard_count: int) -> int:
    """Discord's rule: a server's events go to shard (guild_id >> 22) % shard_count."""
    return (int(guild_id) >> 22) % shard_count


def guild(gid: str) -> dict:
    """A server as GUILD_CREATE (and GET /guilds/{id}) describes it, with a role holding Manage Server."""
    return {
        "id": gid, "name": f"Server {gid[-2:]}", "owner_id": "1", "member_count": 3,
        "features": [], "emojis": [], "stickers": [], "channels": [], "threads": [],
        "members": [], "voice_states": [], "presences": [], "large": False, "unavailable": False,
        "joined_at": NOW, "roles": [
            {"id": gid, "name": "@everyone", "permissions": str(0x400 | 0x800), "position": 0,
             "color": 0, "hoist": False, "managed": False, "mentionable": False},
            {"id": manager_role(gid), "name": "Lab manager", "permissions": str(0x20 | 0x400 | 0x800),
             "position": 1, "color": 0, "hoist": False, "managed": False, "mentionable": False},
        ],
    }


def manager_role(guild_id: int | str) -> str:
    """The id of the role with Manage Server that the fake gives every guild."""
    return str(int(guild_id) + 1)


# Interaction callback types (what the person sees first).
MESSAGE, DEFERRED, AUTOCOMPLETE, MODAL = 4, 5, 8, 9
EPHEMERAL = 1 << 6


@dataclass
class Exchange:
    """One interaction: what Discord delivered and every answer the bot sent to it, in order."""

    payload: dict
    callbacks: list[dict] = field(default_factory=list)  # bodies of POST /interactions/{id}/{token}/callback
    followups: list[dict] = field(default_factory=list)  # bodies of POST /webhooks/{app}/{token}, with their id
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    # perf_counter() when the interaction was sent, when its first answer and each follow-up arrived
    sent_at: float = 0.0
    answered_at: float | None = None
    followup_at: list[float] = field(default_factory=list)
    sending: asyncio.Future | None = None

    @property
    def response_type(self) -> int | None:
        """The first (and only) callback's type: 4 message, 5 deferred ("thinking..."), 9 modal."""
        return self.callbacks[0]["type"] if self.callbacks else None

    def messages(self) -> list[dict]:
        """Every message the person was shown, in order: the first response, then follow-ups."""
        first = [c.get("data") or {} for c in self.callbacks if c["type"] == MESSAGE]
        return first + self.followups

    def texts(self) -> str:
        return "\n".join(m.get("content") or "" for m in self.messages())

    def embeds(self) -> list[dict]:
        return [e for m in self.messages() for e in m.get("embeds") or []]

    def modal(self) -> dict | None:
        """The form Discord showed (custom_id, title, components), if the answer was a modal."""
        return next((c["data"] for c in self.callbacks if c["type"] == MODAL), None)

    def buttons(self) -> list[dict]:
        return [b for m in self.messages() for row in m.get("components") or [] for b in row.get("components", [])
                if b.get("type") == 2]


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
        self.gateway_url = ""
        self.exchanges: dict[str, Exchange] = {}  # interaction token -> exchange
        self._socket: web.WebSocketResponse | None = None  # the latest connection
        self.sockets: dict[int, web.WebSocketResponse] = {}  # shard id -> its open connection
        self.shard_count = 1
        self.identifies: list[dict] = []  # every IDENTIFY, in order (one per shard connection)
        self.duplicate_shards: list[int] = []  # shards identified on while already connected
        self._identified = asyncio.Event()
        self.identify: dict = {}  # what the bot asked for when it connected (intents...)
        self.guilds: list[str] = []  # the servers the bot is in: sent as GUILD_CREATE when it connects
        self.attachments: dict[str, bytes] = {}  # files attached to commands, served as Discord's CDN does
        self._sequence = itertools.count(1)

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
        r.add_get("/api/v10/guilds/{gid}", self.get_guild)
        r.add_post("/api/v10/channels/{cid}/messages", self.post_message)
        r.add_post("/api/v10/channels/{cid}/messages/{mid}/threads", self.start_thread)
        r.add_get("/api/v10/users/{uid}", self.get_user)
        r.add_post("/api/v10/users/@me/channels", self.open_dm)
        r.add_get("/gateway", self.gateway)
        r.add_get("/attachments/{aid}/{name}", self.attachment)
        r.add_post("/api/v10/interactions/{iid}/{token}/callback", self.interaction_callback)
        r.add_post("/api/v10/webhooks/{app}/{token}", self.followup)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.base = f"http://127.0.0.1:{port}/api/v10"
        self.gateway_url = f"ws://127.0.0.1:{port}/gateway"
        return self.base

    def add_attachment(self, attachment_id: int, filename: str, content: bytes,
                       content_type: str = "image/png") -> dict:
        """A file someone attached to a command: the `resolved.attachments` entry Discord sends."""
        self.attachments[str(attachment_id)] = content
        url = f"{self.base.removesuffix('/api/v10')}/attachments/{attachment_id}/{filename}"
        return {"id": str(attachment_id), "filename": filename, "size": len(content), "url": url,
                "proxy_url": url, "content_type": content_type}

    async def attachment(self, request):
        content = self.attachments.get(request.match_info["aid"])
        if content is None:
            return web.Response(status=404)
        return web.Response(body=content, content_type="application/octet-stream")

    async def stop(self) -> None:
        if self.runner:
            await self.runner.cleanup()

    @web.middleware
    async def _record(self, request, handler):
        body = None
        if request.content_type.startswith("multipart/"):  # a message with files: payload_json + files[n]
            form = await request.post()
            body = json.loads(form["payload_json"])
            body["files"] = {f.filename: f.file.read() for name, f in form.items() if name.startswith("files[")}
        elif request.can_read_body and request.path != "/gateway":
            body = await request.json()
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

    async def get_guild(self, request):
        """A server the bot is in; one it is not in answers 403 Missing Access, as Discord does."""
        gid = request.match_info["gid"]
        if gid not in self.guilds:
            return reply({"message": "Missing Access", "code": 50001}, status=403)
        return reply(guild(gid))

    async def get_channel(self, request):
        if request.match_info["cid"] in self.no_access:
            return reply({"message": "Missing Access", "code": 50001}, status=403)
        channel = self.channels.get(request.match_info["cid"])
        if channel is None:
            return reply({"message": "Unknown Channel", "code": 10003}, status=404)
        return reply(channel)

    # -- the gateway and interactions ----------------------------------------------
    async def gateway(self, request):
        """Hello, then READY after the bot identifies; heartbeats are acknowledged.

        A sharded bot opens one connection per shard and says which in IDENTIFY's `shard`
        ([id, count]); each connection is told only of its shard's servers, and an
        interaction goes down the connection of its server's shard (DMs: shard 0), as Discord does."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 45000}, "s": None, "t": None})
        shard = None
        async for frame in ws:
            data = json.loads(frame.data)
            if data["op"] == 2:  # IDENTIFY
                self.identify = data["d"]
                self.identifies.append(data["d"])
                shard_id, count = data["d"].get("shard") or (0, 1)
                shard = shard_id
                if shard in self.sockets:
                    self.duplicate_shards.append(shard)  # two connections on one shard: Discord would refuse one
                guilds = [g for g in self.guilds if shard_of(g, count) == shard_id]
                self.shard_count = count
                await ws.send_json({"op": 0, "t": "READY", "s": next(self._sequence), "d": {
                    "v": 10, "user": BOT_USER, "guilds": [{"id": g, "unavailable": True} for g in guilds],
                    "session_id": f"fake-session-{shard_id}", "shard": [shard_id, count],
                    "resume_gateway_url": self.gateway_url, "application": {"id": APP_ID, "flags": 0},
                }})
                for gid in guilds:  # the guilds intent: each server's roles arrive before any interaction
                    await ws.send_json({"op": 0, "t": "GUILD_CREATE", "s": next(self._sequence), "d": guild(gid)})
                self.sockets[shard] = ws
                self._socket = ws
                self._identified.set()
            elif data["op"] == 1:  # HEARTBEAT
                await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
        if shard is not None and self.sockets.get(shard) is ws:
            del self.sockets[shard]
        return ws

    async def connected(self) -> None:
        """Returns once a bot has identified on the gateway (after its login and setup_hook)."""
        await self._identified.wait()

    def deliver(self, payload: dict) -> Exchange:
        """Send an interaction down its shard's connection now, without waiting for the answer."""
        exchange = self.exchanges[payload["token"]] = Exchange(payload)
        shard = shard_of(payload["guild_id"], self.shard_count) if payload.get("guild_id") else 0
        exchange.sent_at = time.perf_counter()
        socket = self.sockets[shard]
        exchange.sending = asyncio.ensure_future(socket.send_json(
            {"op": 0, "t": "INTERACTION_CREATE", "s": next(self._sequence), "d": payload}))
        return exchange

    async def interact(self, payload: dict, timeout: float = 10) -> Exchange:
        """Deliver an interaction as Discord does, and wait for the bot's first answer to it."""
        await asyncio.wait_for(self._identified.wait(), timeout)
        exchange = self.deliver(payload)
        await exchange.sending
        await asyncio.wait_for(exchange.answered.wait(), timeout)  # Discord gives up after 3 s; so does a test
        return exchange

    async def interaction_callback(self, request):
        exchange = self.exchanges.get(request.match_info["token"])
        if exchange is None or str(exchange.payload["id"]) != request.match_info["iid"]:
            return reply({"message": "Unknown interaction", "code": 10062}, status=404)
        if exchange.callbacks:
            return reply({"message": "Interaction has already been acknowledged.", "code": 40060}, status=400)
        body = request[BODY]
        data = body.get("data") or {}
        if body["type"] == MESSAGE and (problems := message_problems(data)):
            self.rejected.append((exchange.payload["token"], problems))
            return reply({"message": "Invalid Form Body", "code": 50035, "errors": problems}, status=400)
        if body["type"] == MODAL and (problems := modal_problems(data)):
            self.rejected.append((exchange.payload["token"], problems))
            return reply({"message": "Invalid Form Body", "code": 50035, "errors": problems}, status=400)
        exchange.callbacks.append(body)
        exchange.answered_at = time.perf_counter()
        exchange.answered.set()
        out = {"interaction": {"id": exchange.payload["id"], "type": exchange.payload["type"],
                               "response_message_loading": body["type"] == DEFERRED,
                               "response_message_ephemeral": bool(data.get("flags", 0) & EPHEMERAL)}}
        if body["type"] in (MESSAGE, DEFERRED):
            message = self.message_payload(exchange.payload["channel"]["id"], data)
            out["interaction"]["response_message_id"] = message["id"]
            if body["type"] == MESSAGE:
                data["id"] = message["id"]  # so a test can click a component of this first answer
            out["resource"] = {"type": body["type"], "message": message}
        return reply(out)

    async def followup(self, request):
        exchange = self.exchanges.get(request.match_info["token"])
        if exchange is None or not exchange.callbacks:
            return reply({"message": "Unknown Webhook", "code": 10015}, status=404)
        body = request[BODY]
        if problems := message_problems(body):
            self.rejected.append((request.match_info["token"], problems))
            return reply({"message": "Invalid Form Body", "code": 50035, "errors": problems}, status=400)
        message = dict(self.message_payload(exchange.payload["channel"]["id"], body), webhook_id=APP_ID)
        exchange.followups.append(dict(body, id=message["id"]))
        exchange.followup_at.append(time.perf_counter())
        return reply(message)

    def message_payload(self, cid: str, body: dict) -> dict:
        """A message as Discord returns it (and includes in a button click's interaction)."""
        return {
            "id": str(next(self.ids)), "channel_id": cid, "author": BOT_USER, "content": body.get("content") or "",
            "timestamp": NOW, "edited_timestamp": None, "tts": False, "mention_everyone": False, "mentions": [],
            "mention_roles": [], "attachments": [], "embeds": body.get("embeds") or [], "pinned": False, "type": 0,
            "nonce": body.get("nonce"), "components": body.get("components") or [], "flags": body.get("flags", 0),
        }

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
        message = self.message_payload(cid, body)
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
