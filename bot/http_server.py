"""The process's one HTTP server (RECAPBOT_HTTP_HOST/PORT): GET /healthz, and the routes
the adapters mount on `server.app` before it starts (Slack's events and OAuth pages,
later the web deck).

It runs whenever the bot does (HTTP mode, Socket Mode, Discord only, or the
console from `recapbot run`) so that an orchestrator can always ask whether
the scheduler and at least one adapter are up.
"""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from aiohttp import web

from .supervisor import SERVER, Health, Runner

if TYPE_CHECKING:  # pragma: no cover
    from .app import App

log = logging.getLogger("recapbot")

HEALTH_PATH = "/healthz"
NAME = "http"


class HttpServer:
    def __init__(self, host: str, port: int, health: Health):
        self.host, self.requested_port, self.health = host, port, health
        self.app = web.Application()  # mount routes here before the server starts
        self.app.router.add_get(HEALTH_PATH, self._on_health)
        self.port: int | None = None  # the bound port (differs when 0 was asked for)
        self.started = asyncio.Event()

    async def _on_health(self, _request: web.Request) -> web.Response:
        """200 while each scheduler and at least one adapter are up, else 503; each part's state."""
        return web.json_response(self.health.report(), status=200 if self.health.ok() else 503)

    async def run(self) -> None:
        """Serve until cancelled; a port that cannot be bound raises (and is retried)."""
        self.started.clear()
        runner = web.AppRunner(self.app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.requested_port).start()
            self.port = runner.addresses[0][1]
            log.info("http: listening on %s:%s (health at %s)", self.host, self.port, HEALTH_PATH)
            self.started.set()
            await asyncio.Event().wait()
        finally:
            self.started.clear()
            await runner.cleanup()


def attach(app: "App") -> HttpServer:
    """Run the app's server (once, first, so that adapters can wait for it)."""
    if not any(isinstance(r, Runner) and r.name == NAME for r in app.runners):
        app.runners.insert(0, Runner(NAME, app.http.run, kind=SERVER, ready=app.http.started.wait))
    return app.http
