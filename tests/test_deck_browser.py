"""The web deck in a real browser: Debian's Chromium, driven by Playwright.

Playwright's own browser download does not work here; `make test` installs
Debian's `chromium` where it can. Without it these tests skip with one line
saying so, except in CI (CI=true), where a missing browser fails the run.
"""
from __future__ import annotations

import os
import shutil

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.web import mount
from tests.deck_data import ALICE, BOB, three_meetings

CHROMIUM = os.environ.get("RECAPBOT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def _browser_missing() -> str | None:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (make install)"
    if not os.path.exists(CHROMIUM):
        return "no Chromium: apt-get install chromium (make test installs it when run as root)"
    return None


@pytest.fixture(scope="module")
def chromium_path():
    missing = _browser_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {missing}")
        pytest.skip(f"browser tests skipped: {missing}")
    return CHROMIUM


@pytest.fixture
async def page(chromium_path, monkeypatch):
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium_path, args=FLAGS, headless=True)
        context = await browser.new_context(viewport={"width": 1280, "height": 720})
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.errors = errors
        yield page
        await browser.close()


@pytest.fixture
async def server(core):
    app = web.Application()
    mount(app, core)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


def local(server, url: str) -> str:
    return str(server.make_url(url.removeprefix("http://localhost:3000")))


async def visible_slide(page) -> dict:
    return await page.evaluate("""() => {
        const s = document.querySelector('.slide.current');
        return {kind: s.dataset.kind, title: s.querySelector('h1').innerText, member: s.dataset.member || null,
                text: s.innerText};
    }""")


async def test_the_deck_moves_with_the_arrow_keys_in_order(core, clock, server, page, tmp_path):
    three_meetings(core, clock)
    url, _ = core.deck.link(ALICE)
    response = await page.goto(local(server, url))
    assert response.status == 200
    kinds = await page.eval_on_selector_all(".slide", "els => els.map(e => e.dataset.kind)")
    assert kinds == ["title", "agenda", "member", "member", "member", "agenda", "member", "member",
                     "agenda", "member", "member"]
    first = await visible_slide(page)
    assert first["kind"] == "title" and first["title"] == "Vision lab"
    await page.screenshot(path=tmp_path / "first-slide.png")
    assert (tmp_path / "first-slide.png").stat().st_size > 1000

    await page.keyboard.press("ArrowRight")
    agenda = await visible_slide(page)
    assert agenda["kind"] == "agenda" and "07 Dec 2026" in agenda["title"]
    await page.keyboard.press("ArrowRight")
    alice = await visible_slide(page)
    assert alice["title"] == "Can small models learn to plan?" and "Alice progress week 3" in alice["text"]
    assert await page.locator(".slide.current figure img").count() == 1
    # The image loads on its own time (slower on a loaded machine): wait for it, then read its pixels.
    await page.wait_for_function("() => document.querySelector('.slide.current figure img').complete")
    loaded = await page.eval_on_selector(".slide.current figure img", "img => img.naturalWidth")
    assert loaded == 40  # the figure's own pixels, served through the link (0 if it failed to load)
    await page.keyboard.press("ArrowRight")
    bob = await visible_slide(page)
    assert bob["title"] == "Where do errors come from?"
    await page.keyboard.press("ArrowLeft")
    assert (await visible_slide(page))["title"] == alice["title"]
    await page.keyboard.press("End")
    last = await visible_slide(page)
    assert "Bob progress week 1" in last["text"]
    assert page.errors == []


async def test_markup_typed_into_a_recap_never_runs(core, clock, server, page):
    three_meetings(core, clock)
    url, _ = core.deck.link(BOB)
    await page.goto(local(server, url))
    for _ in range(3):
        await page.keyboard.press("ArrowRight")
    bob = await visible_slide(page)
    assert "<script>window.__pwned=2</script>" in bob["text"]  # shown as text
    assert await page.evaluate("() => window.__pwned") is None
    assert await page.locator(".slide.current img").count() == 0
    # The javascript: link was not kept as a link; clicking the text does nothing either.
    assert await page.locator("a[href^='javascript']").count() == 0
    assert await page.evaluate("() => window.__pwned") is None


async def test_an_altered_or_expired_link_gets_a_403_page(core, clock, server, page):
    three_meetings(core, clock)
    url, _ = core.deck.link(ALICE)
    altered = url[:-1] + ("A" if url[-1] != "A" else "B")
    response = await page.goto(local(server, altered))
    assert response.status == 403
    assert "/recap deck" in await page.inner_text("main")
    clock.advance(days=8)
    response = await page.goto(local(server, url))
    assert response.status == 403
    assert "expired" in (await page.inner_text("h1")).lower()
