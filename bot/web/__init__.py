"""The web deck: another adapter, on the process's one aiohttp server (bot/http_server.py).

Every page sits under a signed link, /deck/<token>/...: the core opens the
token (core/deck.py) and decides what it may show; this module only maps
URLs to core calls and renders the answers (bot/render/html.py). It never
reads the store. A link that is altered, expired, or of a group or member
that is gone gets a plain 403 page saying how to get a new one.

Pages: the deck (newest meetings first, then "earlier meetings"), a member's
timeline, a meeting's digest, the participation chart (SVG), and each figure.
/figures/<token> serves one figure to Slack or Discord for a digest.
"""
from __future__ import annotations

import logging
from datetime import date
from functools import partial
from urllib.parse import urlsplit

from aiohttp import web

from ..adapters import core_call
from ..core.deck import DECK_PATH, FIGURE_PATH
from ..core.errors import UserError
from ..core.links import LinkRefused
from ..core.parsing import parse_date
from ..core.service import Core
from ..core.texts import LINK_REFUSED
from ..render import html

log = logging.getLogger("recapbot.web")

_ID_MAX = 2**31 - 1
_COMMON_HEADERS = {
    "Referrer-Policy": "no-referrer",  # the link is the password: never pass it on
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
    "X-Robots-Tag": "noindex, nofollow",
}


def mount(app: web.Application, core: Core) -> None:
    pages = DeckPages(core)
    prefix = urlsplit(core.deck.public_url).path.rstrip("/")
    pages.prefix = prefix
    app.router.add_get(DECK_PATH + "/{token}", pages.deck)
    app.router.add_get(DECK_PATH + "/{token}/member/{member_id}", pages.timeline)
    app.router.add_get(DECK_PATH + "/{token}/meeting/{day}", pages.meeting)
    app.router.add_get(DECK_PATH + "/{token}/participation", pages.participation)
    app.router.add_get(DECK_PATH + "/{token}/participation.svg", pages.participation_svg)
    app.router.add_get(DECK_PATH + "/{token}/figure/{figure_id}", pages.figure)
    app.router.add_get(FIGURE_PATH + "/{token}", pages.linked_figure)


def _number(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 10 or int(text) > _ID_MAX:
        raise UserError("No such page.")
    return int(text)


class DeckPages:
    def __init__(self, core: Core):
        self.core = core
        self.prefix = ""

    # -- responses --------------------------------------------------------------
    def _page(self, body: str, page_nonce: str, status: int = 200) -> web.Response:
        headers = dict(_COMMON_HEADERS, **{"Content-Security-Policy": html.content_security_policy(page_nonce)})
        return web.Response(text=body, content_type="text/html", charset="utf-8", status=status, headers=headers)

    def _refused(self, exc: LinkRefused) -> web.Response:
        page_nonce = html.nonce()
        title = "This link has expired" if exc.expired else "This link does not open anything"
        return self._page(html.refused_page(title, exc.message, LINK_REFUSED, page_nonce), page_nonce, 403)

    def _not_found(self, message: str) -> web.Response:
        page_nonce = html.nonce()
        return self._page(html.refused_page("Not found", message, "", page_nonce), page_nonce, 404)

    async def _serve(self, request: web.Request, render) -> web.Response:
        """Open the link, then render; a refused link is 403, a missing thing 404."""
        token = request.match_info["token"]
        try:
            access = await core_call(self.core.deck.open, token)
            return await render(access, f"{self.prefix}{DECK_PATH}/{token}")
        except LinkRefused as exc:
            return self._refused(exc)
        except UserError as exc:
            return self._not_found(exc.message)

    # -- pages ----------------------------------------------------------------------
    async def deck(self, request: web.Request) -> web.Response:
        before_text = request.query.get("before")

        async def render(access, base):
            before = parse_date(before_text) if before_text else None
            page_nonce = html.nonce()
            body = await core_call(self._deck_html, access, before, base, page_nonce)
            return self._page(body, page_nonce)

        return await self._serve(request, render)

    def _deck_html(self, access, before: date | None, base: str, page_nonce: str) -> str:
        deck = self.core.deck.deck_for(access, before=before)
        return html.deck_page(deck, partial(_figure_link, base), page_nonce, base)

    async def timeline(self, request: web.Request) -> web.Response:
        async def render(access, base):
            member_id = _number(request.match_info["member_id"])
            page_nonce = html.nonce()
            timeline = await core_call(self.core.deck.timeline, access, member_id)
            body = await core_call(html.timeline_page, timeline, access.team.name, partial(_figure_link, base),
                                   page_nonce, base)
            return self._page(body, page_nonce)

        return await self._serve(request, render)

    async def meeting(self, request: web.Request) -> web.Response:
        async def render(access, base):
            day = parse_date(request.match_info["day"])
            page_nonce = html.nonce()
            digest = await core_call(self.core.deck.meeting, access, day)
            body = await core_call(html.meeting_page, digest, partial(_figure_link, base), page_nonce, base)
            return self._page(body, page_nonce)

        return await self._serve(request, render)

    async def participation(self, request: web.Request) -> web.Response:
        async def render(access, base):
            grid = await core_call(self.core.deck.participation, access)
            page_nonce = html.nonce()
            return self._page(html.participation_page(access.team.name, page_nonce, base, not grid.meetings),
                              page_nonce)

        return await self._serve(request, render)

    async def participation_svg(self, request: web.Request) -> web.Response:
        async def render(access, base):
            from ..render.chart import participation_svg

            grid = await core_call(self.core.deck.participation, access)
            svg = await core_call(participation_svg, grid, f"{access.team.name}: participation")
            return web.Response(body=svg, content_type="image/svg+xml", headers=dict(
                _COMMON_HEADERS, **{"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}))

        return await self._serve(request, render)

    async def figure(self, request: web.Request) -> web.Response:
        async def render(access, base):
            figure_id = _number(request.match_info["figure_id"])
            figure, data = await core_call(self.core.deck.figure, access, figure_id)
            return _image(figure.mime, data)

        return await self._serve(request, render)

    async def linked_figure(self, request: web.Request) -> web.Response:
        try:
            figure, data = await core_call(self.core.deck.figure_by_link, request.match_info["token"])
        except LinkRefused as exc:
            return self._refused(exc)
        return _image(figure.mime, data, cache="public, max-age=86400")


def _figure_link(base: str, figure) -> str:
    return f"{base}/figure/{figure.id}"


def _image(mime: str, data: bytes, cache: str = "private, max-age=3600") -> web.Response:
    headers = dict(_COMMON_HEADERS, **{"Content-Security-Policy": "default-src 'none'", "Cache-Control": cache,
                                       "Content-Disposition": "inline"})
    return web.Response(body=data, content_type=mime, headers=headers)
