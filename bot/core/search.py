"""`/recap search`: "has anyone tried X?" across the group's recaps, feedback and answered questions.

The query is parsed here into groups of plain words (a quoted phrase, or the
parts of a word like "GPU-hours", must match as adjacent words); the store's
search (one port, FTS5 or tsvector) ranks and snippets; the words of the
answer are the core's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from .errors import UserError
from .forms import TEXT_FIELDS
from .groups import Groups, Scope
from .model import MARK_END, MARK_START, SEARCH_FIELDS, Actor, Member, SearchHit, SearchQuery, Team
from .parsing import parse_date, parse_positive_int, shown
from .ports import Repository
from .teams import TeamService
from .validation import clean_text

PAGE_SIZE = 10
MAX_PAGE = 100
MAX_QUERY_CHARS = 300
MAX_GROUPS = 12
MAX_WORD_CHARS = 60
USAGE = ('`/recap search <words> [--member NAME] [--field progress|failures|questions|plan] '
         '[--since YYYY-MM-DD] [--page N]`; put a phrase in quotes')
_TOKENS = re.compile(r'"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w+")
_FLAGS = ("--member", "--field", "--since", "--page")


@dataclass(frozen=True)
class SearchResults:
    team: Team
    query: SearchQuery
    text: str  # the words as typed, for the heading
    hits: list[SearchHit]
    names: dict[int, str]  # member id -> display name (authors, askers, givers)
    page: int
    more: bool  # a next page exists


def parse_query(text: str) -> tuple[list[tuple[str, ...]], dict[str, str]]:
    """(groups of words, flags) from what was typed after `/recap search`."""
    text = text.translate({0x201C: '"', 0x201D: '"'})
    groups: list[tuple[str, ...]] = []
    flags: dict[str, str] = {}
    tokens = [(m[1], m[2]) for m in _TOKENS.finditer(text)]
    i = 0
    while i < len(tokens):
        phrase, word = tokens[i]
        flag, eq, inline = (word or "").partition("=")
        if word is not None and flag.lower() in _FLAGS:
            if eq:
                value = inline
            elif i + 1 < len(tokens):
                i += 1
                value = tokens[i][0] if tokens[i][0] is not None else tokens[i][1]
            else:
                raise UserError(f"{flag} needs a value. Use {USAGE}.")
            flags[flag.lower()] = value
        else:
            words = tuple(w.lower() for w in _WORD.findall(phrase if phrase is not None else word))
            if words:
                groups.append(words)
        i += 1
    return groups, flags


@dataclass
class SearchService:
    _repo: Repository
    groups: Groups
    teams: TeamService

    def search(self, who: Actor | Scope, text: str) -> SearchResults:
        """In the group the command means: for its members and its admins."""
        text = clean_text(text, "The search", MAX_QUERY_CHARS)
        groups, flags = parse_query(text)
        if not groups:
            raise UserError(f"Say what to look for: {USAGE}.")
        if len(groups) > MAX_GROUPS or any(len(w) > MAX_WORD_CHARS for g in groups for w in g):
            raise UserError(f"That search is too long: at most {MAX_GROUPS} words or phrases.")
        scope = who if isinstance(who, Scope) else self.groups.scope(who, admins_too=True)
        team = scope.team
        member: Member | None = None
        if "--member" in flags:
            member = self.teams.resolve_member(team, flags["--member"])
        field = flags.get("--field", "").strip().lower() or None
        if field is not None and field not in SEARCH_FIELDS:
            raise UserError(f"Unknown field {shown(flags['--field'])}: use one of {', '.join(SEARCH_FIELDS)}.")
        since = None
        if "--since" in flags:
            day = parse_date(flags["--since"])
            since = datetime.combine(day, time(0), ZoneInfo(team.timezone))
        page = parse_positive_int(flags["--page"], "--page", 1, MAX_PAGE) if "--page" in flags else 1
        query = SearchQuery(groups=tuple(groups), field=field, member_id=member.id if member else None, since=since)
        hits = self._repo.search(team.id, query, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)
        names = {m.id: m.display_name for m in self._repo.list_members(team.id)}
        shown_text = " ".join(" ".join(g) if len(g) == 1 else f'"{" ".join(g)}"' for g in groups)
        return SearchResults(team, query, shown_text, hits[:PAGE_SIZE], names, page, len(hits) > PAGE_SIZE)


_TITLES = {spec.key: spec.title for spec in TEXT_FIELDS}


def marked(snippet: str) -> str:
    """The store's match marks as the core's bold."""
    return " ".join(snippet.split()).replace(MARK_START, "**").replace(MARK_END, "**")


def describe(hit: SearchHit, names: dict[int, str]) -> str:
    who = names.get(hit.member_id, "someone")
    if hit.kind == "feedback":
        return f"feedback from {names.get(hit.giver_id, 'someone')} on {who}'s recap"
    if hit.kind == "question":
        return f"answered question #{hit.number}, asked by {who}" + (" (the answer's note)" if hit.field == "answer"
                                                                       else "")
    return f"{who}, {_TITLES.get(hit.field, hit.field)}"
