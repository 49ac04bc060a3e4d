"""Slack's routes on the bot's HTTP server: POST /slack/events (HTTP mode) and the OAuth pages.

Requests go to Bolt unchanged, so its signature check (401 for a missing,
forged or stale signature) guards every event, command and interaction.
GET /healthz is the server's own (bot/http_server.py).
"""
from __future__ import annotations

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

EVENTS_PATH = "/slack/events"


def mount(app: web.Application, bolt: AsyncApp, events: bool = True) -> None:
    async def on_event(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    if events:
        app.router.add_post(EVENTS_PATH, on_event)
    flow = bolt.oauth_flow
    if flow is not None:
        async def on_install(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))

        async def on_redirect(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

        app.router.add_get(flow.install_path, on_install)
        app.router.add_get(flow.redirect_uri_path, on_redirect)
