"""The deck and its pages as HTML: Jinja2 templates (autoescaped) and sanitised Markdown.

Recap text is Markdown that people typed. It is rendered with markdown-it-py
with raw HTML off (a typed `<script>` becomes text), then cleaned by nh3
(Ammonia) to a short list of harmless tags, so even a renderer bug cannot
let markup through; images typed as Markdown are dropped (no tracking pixels).
Pages also carry a Content-Security-Policy whose scripts need a per-page
nonce: a script that got into the page some other way would still not run.

The web adapter (bot/web) serves these pages; the single-file HTML export
renders the same deck template with the figures inlined.
"""
from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache

import nh3
from jinja2 import Environment, PackageLoader, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

from ..core.deck import AWAY, LATE, MISSED, SUBMITTED, Deck, DeckMeeting, Slide, Timeline
from ..core.forms import CHANGED, FAILURES, FIGURING_LABEL, PROGRESS, QUESTIONS, titled_answers
from ..core.model import WEEKDAYS, Digest, Figure
from .markdown import meeting_title, participation_lines

_MARKDOWN = MarkdownIt("commonmark", {"html": False, "breaks": True}).disable("image")
_TAGS = {"p", "br", "strong", "em", "code", "pre", "ul", "ol", "li", "blockquote", "a", "h1", "h2", "h3",
         "h4", "h5", "h6", "hr"}
# Headings inside a recap must not outrank the slide's own: they are shown one step down.
_SLIDE_FIELDS = (PROGRESS, FAILURES, QUESTIONS)


@lru_cache(maxsize=8192)
def markdown(text: str) -> Markup:
    """A recap field as safe HTML (cached: the deck shows the same recaps page after page)."""
    html = _MARKDOWN.render(text)
    return Markup(nh3.clean(html, tags=_TAGS, attributes={"a": {"href", "title"}},
                            url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow"))


def when(moment: datetime) -> str:
    return f"{WEEKDAYS[moment.weekday()]} {moment:%d %b %Y, %H:%M}"


def day(moment: datetime) -> str:
    return f"{WEEKDAYS[moment.weekday()]} {moment:%d %b %Y}"


def slide_title(slide: Slide) -> str:
    """The big-picture question is the slide's title; without one, the member's name."""
    return slide.recap.question or slide.member.display_name


def slide_fields(slide: Slide) -> list[tuple[str, str]]:
    """(heading, text) of the fields a member slide shows (the question is its title)."""
    return [(spec.title, value) for spec in _SLIDE_FIELDS if (value := getattr(slide.recap, spec.key))]


def data_uri(figure: Figure, data: bytes) -> str:
    return f"data:{figure.mime};base64,{base64.b64encode(data).decode('ascii')}"


_ENV = Environment(
    loader=PackageLoader("bot.render", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters.update(md=markdown, when=when, day=day)
_ENV.globals.update(
    slide_title=slide_title, slide_fields=slide_fields, titled_answers=titled_answers,
    FIGURING_LABEL=FIGURING_LABEL, CHANGED=CHANGED, meeting_title=meeting_title,
    participation_lines=participation_lines, STATES=(SUBMITTED, LATE, AWAY, MISSED),
)


def nonce() -> str:
    """A fresh script/style nonce for one page (its Content-Security-Policy names it)."""
    return secrets.token_urlsafe(18)


def content_security_policy(page_nonce: str, images: str = "'self' data:") -> str:
    return (f"default-src 'none'; img-src {images}; style-src 'nonce-{page_nonce}'; "
            f"script-src 'nonce-{page_nonce}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


FigureSource = Callable[[Figure], str]


def deck_page(deck: Deck, figure_src: FigureSource, page_nonce: str, base: str = "",
              standalone: bool = False) -> str:
    """The rolling deck as one page of slides (arrow keys, swipe, print one slide a page).

    `base` is the link's path for the other pages (empty in a standalone file, which
    links nowhere); `standalone` also puts the Content-Security-Policy in the file.
    """
    return _ENV.get_template("deck.html.j2").render(
        deck=deck, figure_src=figure_src, nonce=page_nonce, base=base, standalone=standalone,
        csp=content_security_policy(page_nonce, "data:") if standalone else "",
    )


def timeline_page(timeline: Timeline, team_name: str, figure_src: FigureSource, page_nonce: str,
                  base: str) -> str:
    return _ENV.get_template("timeline.html.j2").render(
        timeline=timeline, team_name=team_name, figure_src=figure_src, nonce=page_nonce, base=base)


def meeting_page(digest: Digest, figure_src: FigureSource, page_nonce: str, base: str) -> str:
    return _ENV.get_template("meeting.html.j2").render(
        digest=digest, figure_src=figure_src, nonce=page_nonce, base=base)


def participation_page(team_name: str, page_nonce: str, base: str, empty: bool) -> str:
    return _ENV.get_template("participation.html.j2").render(
        team_name=team_name, nonce=page_nonce, base=base, empty=empty)


def refused_page(title: str, message: str, hint: str, page_nonce: str) -> str:
    return _ENV.get_template("refused.html.j2").render(title=title, message=message, hint=hint, nonce=page_nonce)


__all__ = ["DeckMeeting", "content_security_policy", "data_uri", "deck_page", "markdown", "meeting_page",
           "nonce", "participation_page", "refused_page", "slide_fields", "slide_title", "timeline_page"]
