"""Reading a failed Slack call without trusting its answer.

`SlackApiError.response` is usually a SlackResponse holding Slack's JSON, but
a proxy, an outage page or a misconfigured SLACK_API_URL answers HTML, and
slack_sdk then gives us its raw aiohttp response (or an empty body). Every
listener reads errors through these two functions, so a strange answer
degrades to "unknown error" instead of breaking the command.
"""
from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError


def error_code(exc: BaseException) -> str | None:
    """Slack's `error` field (`expired_trigger_id`, `is_archived` ...), or None when there is none."""
    data = getattr(getattr(exc, "response", None), "data", None)
    code = data.get("error") if isinstance(data, dict) else None
    return code if isinstance(code, str) else None


def _method_and_status(response: Any) -> tuple[str, object]:
    url = getattr(response, "api_url", None) or getattr(response, "url", None) or ""
    method = str(url).split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or "?"
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    return method, status


def slack_error(exc: BaseException) -> str:
    """`method: error_code` (or `method: HTTP 405`) for a Slack API error, else the exception's class."""
    if not isinstance(exc, SlackApiError):
        return type(exc).__name__
    method, status = _method_and_status(exc.response)
    return f"{method}: {error_code(exc) or (f'HTTP {status}' if status else 'unreadable answer')}"
