"""Turning what people type into values, with messages that say how to fix it."""
from __future__ import annotations

import re
import shlex
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from .errors import UserError
from .model import WEEKDAYS

_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})
_DURATION = re.compile(r"(\d+)\s*(w|d|h|m)", re.IGNORECASE)
_WEEKDAY_NAMES = {name.lower(): i for i, name in enumerate(WEEKDAYS)}
_WEEKDAY_NAMES.update(
    {full: i for i, full in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))}
)


def split_args(text: str) -> list[str]:
    """Shell-style words; chat apps turn quotes curly, so straighten them first."""
    try:
        return shlex.split(text.translate(_QUOTES))
    except ValueError:
        raise UserError("A quote is not closed. Put text with spaces inside matching quotes, like \"Mon 10:00\".")


def parse_timezone(text: str) -> str:
    name = text.strip()
    if not name or name.startswith("/") or ".." in name:
        raise UserError(f"Unknown timezone {text!r}. Use an IANA name such as Europe/Berlin or America/New_York.")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"Unknown timezone {text!r}. Use an IANA name such as Europe/Berlin or America/New_York.")
    return name


def suggest_timezones(prefix: str, limit: int = 25) -> list[str]:
    """Zone names containing what was typed, for autocomplete."""
    needle = prefix.strip().lower().replace(" ", "_")
    zones = sorted(z for z in available_timezones() if needle in z.lower())
    zones.sort(key=lambda z: (not z.lower().startswith(needle), z))
    return zones[:limit]


def parse_weekday(text: str) -> int:
    key = text.strip().lower()
    if key in _WEEKDAY_NAMES:
        return _WEEKDAY_NAMES[key]
    raise UserError(f"Unknown weekday {text!r}. Use Mon, Tue, Wed, Thu, Fri, Sat or Sun.")


def parse_clock(text: str) -> time:
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", text.strip().lower())
    if not match:
        raise UserError(f"Unknown time {text!r}. Use 24-hour HH:MM, like 10:00 or 14:30.")
    hour, minute, half = int(match[1]), int(match[2] or 0), match[3]
    if half:
        if not 1 <= hour <= 12:
            raise UserError(f"Unknown time {text!r}. With am/pm the hour is 1 to 12.")
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        raise UserError(f"Unknown time {text!r}. Use 24-hour HH:MM, like 10:00 or 14:30.")
    return time(hour, minute)


def parse_meeting(text: str) -> tuple[int, time]:
    """'Mon 10:00' -> (0, 10:00)."""
    parts = text.split()
    if len(parts) != 2:
        raise UserError(f'Unknown meeting time {text!r}. Write it as meeting="Mon 10:00".')
    return parse_weekday(parts[0]), parse_clock(parts[1])


def parse_duration(text: str, what: str) -> timedelta:
    """'2h', '90m', '1d', '1h30m', '2w'."""
    compact = text.strip().lower().replace(" ", "")
    units = {"w": 7 * 24 * 60, "d": 24 * 60, "h": 60, "m": 1}
    if not compact or _DURATION.sub("", compact):
        raise UserError(f"Unknown {what} {text!r}. Use a duration like 2h, 90m or 1d.")
    minutes = sum(int(n) * units[u.lower()] for n, u in _DURATION.findall(compact))
    return timedelta(minutes=minutes)


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"Unknown date {text!r}. Write dates as YYYY-MM-DD, like 2026-12-10.")


def parse_positive_int(text: str, what: str, low: int, high: int) -> int:
    if not re.fullmatch(r"\d+", text.strip()):
        raise UserError(f"{what} must be a whole number from {low} to {high}, not {text!r}.")
    value = int(text)
    if not low <= value <= high:
        raise UserError(f"{what} must be from {low} to {high}, not {value}.")
    return value


def format_duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes == 0:
        return "0m"
    parts = []
    for unit, size in (("d", 24 * 60), ("h", 60), ("m", 1)):
        if minutes >= size:
            parts.append(f"{minutes // size}{unit}")
            minutes %= size
    return "".join(parts)
