"""Who is typing: Slack's users.info -> the core's Actor, with a small cache.

users.info gives the IANA timezone (`tz`, not `tz_offset`, which moves with
DST) and whether the person is a workspace admin or owner. Slack allows it at
Tier 4, but a modal must open within 3 seconds of a slash command, so answers
are cached for a few minutes.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from ...core.model import Actor, Workspace
from .errors import slack_error

log = logging.getLogger(__name__)

PLATFORM = "slack"


def workspace_of(team_id: str) -> Workspace:
    """The core's workspace for a Slack team id."""
    return Workspace(PLATFORM, team_id)


class Identity:
    def __init__(self, ttl: float = 600.0, max_entries: int = 5000,
                 monotonic: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.max_entries = max_entries
        self._monotonic = monotonic
        self._cache: OrderedDict[tuple[str, str], tuple[float, Actor]] = OrderedDict()

    async def actor(self, client: AsyncWebClient, team_id: str, user_id: str) -> Actor:
        key = (team_id, user_id)
        hit = self._cache.get(key)
        now = self._monotonic()
        if hit and now - hit[0] < self.ttl:
            self._cache.move_to_end(key)
            return hit[1]
        actor = await self._lookup(client, team_id, user_id)
        if actor is None:
            # Slack did not answer: an expired entry is still better than a nameless actor
            # (the core would rename the member to their id). Not cached, so the next call retries.
            return hit[1] if hit else Actor(workspace_of(team_id), user_id, user_id)
        self._cache[key] = (now, actor)
        self._cache.move_to_end(key)
        while len(self._cache) > self.max_entries:
            self._cache.popitem(last=False)
        return actor

    async def _lookup(self, client: AsyncWebClient, team_id: str, user_id: str) -> Actor | None:
        try:
            response = await client.users_info(user=user_id)
        except (SlackApiError, aiohttp.ClientError, asyncio.TimeoutError) as exc:
            # Still usable: the person gets no admin rights and the team's timezone.
            log.warning("slack users.info failed: %s (user %s, team %s)",
                        slack_error(exc), user_id, team_id)
            return None
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        name = (profile.get("display_name") or profile.get("real_name") or user.get("real_name")
                or user.get("name") or user_id)
        is_admin = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
        return Actor(
            workspace=workspace_of(team_id),
            user_ref=user_id,
            display_name=name,
            timezone=user.get("tz") or None,
            is_admin=is_admin,
        )
