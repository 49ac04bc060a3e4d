"""Turning what people type into values, with messages that say how to fix it."""
from __future__ import annotations

import re
import shlex
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from .errors import UserError
from .model import WEEKDAYS
from .validation import clean_text

_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})
_DURATION = re.compile(r"(\d+)\s*(w|d|h|m)", re.IGNORECASE)
# Dates people can mean: far enough either way for any meeting, and far from the
# year-1 and year-9999 edges where date arithmetic overflows.
MIN_DATE, MAX_DATE = date(1970, 1, 1), date(2999, 12, 31)
MAX_TIMEZONE_CHARS = 64
_WEEKDAY_NAMES = {name.lower(): i for i, name in enumerate(WEEKDAYS)}
_WEEKDAY_NAMES.update(
    {full: i for i, full in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))}
)


def shown(text: str, limit: int = 40) -> str:
    """What someone typed, quoted for an error message: escaped and kept short."""
    return repr(text if len(text) <= limit else text[: limit - 1] + "\u2026")


def split_args(text: str) -> list[str]:
    """Shell-style words; chat apps turn quotes curly, so straighten them first."""
    try:
        return shlex.split(text.translate(_QUOTES))
    except ValueError:
        raise UserError("A quote is not closed. Put text with spaces inside matching quotes, like \"Mon 10:00\".")


def split_words(text: str) -> list[str]:
    """Like split_args, but only double quotes group words: an apostrophe is part of a word
    ("Finish Bob's figure"), as in titles and notes people type."""
    lexer = shlex.shlex(text.translate(_QUOTES), posix=True)
    lexer.quotes = '"'
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError:
        raise UserError('A quote is not closed. Put text with spaces inside matching quotes, like "Mon 10:00".')


def parse_timezone(text: str) -> str:
    name = clean_text(text, "The timezone", MAX_TIMEZONE_CHARS)
    unknown = f"Unknown timezone {shown(text)}. Use an IANA name such as Europe/Berlin or America/New_York."
    if not name or name.startswith("/") or ".." in name:
        raise UserError(unknown)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UserError(unknown)
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
    raise UserError(f"Unknown weekday {shown(text)}. Use Mon, Tue, Wed, Thu, Fri, Sat or Sun.")


def parse_clock(text: str) -> time:
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", text.strip().lower())
    if not match:
        raise UserError(f"Unknown time {shown(text)}. Use 24-hour HH:MM, like 10:00 or 14:30.")
    hour, minute, half = int(match[1]), int(match[2] or 0), match[3]
    if half:
        if not 1 <= hour <= 12:
            raise UserError(f"Unknown time {shown(text)}. With am/pm the hour is 1 to 12.")
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        raise UserError(f"Unknown time {shown(text)}. Use 24-hour HH:MM, like 10:00 or 14:30.")
    return time(hour, minute)


def parse_meeting(text: str) -> tuple[int, time]:
    """'Mon 10:00' -> (0, 10:00)."""
    parts = text.split()
    if len(parts) != 2:
        raise UserError(f'Unknown meeting time {shown(text)}. Write it as meeting="Mon 10:00".')
    return parse_weekday(parts[0]), parse_clock(parts[1])


def parse_duration(text: str, what: str, maximum: timedelta) -> timedelta:
    """'2h', '90m', '1d', '1h30m', '2w', at most `maximum`."""
    compact = text.strip().lower().replace(" ", "")
    units = {"w": 7 * 24 * 60, "d": 24 * 60, "h": 60, "m": 1}
    if not compact or _DURATION.sub("", compact):
        raise UserError(f"Unknown {what} {shown(text)}. Use a duration like 2h, 90m or 1d.")
    limit = int(maximum.total_seconds() // 60)
    minutes = sum(bounded_int(n, limit) * units[u.lower()] for n, u in _DURATION.findall(compact))
    if minutes > limit:
        raise UserError(f"{what} can be at most {format_duration(maximum)}.")
    return timedelta(minutes=minutes)


def bounded_int(digits: str, ceiling: int) -> int:
    """int(digits), or ceiling + 1 when it is larger: no int() of a 5,000-digit string
    (Python refuses those) and no overflow further on."""
    significant = digits.strip().lstrip("0") or "0"
    if len(significant) > len(str(ceiling)):
        return ceiling + 1
    return min(int(significant), ceiling + 1)


def parse_date(text: str) -> date:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"Unknown date {shown(text)}. Write dates as YYYY-MM-DD, like 2026-12-10.")
    if not MIN_DATE <= day <= MAX_DATE:
        raise UserError(f"{day.isoformat()} is out of range: use a date from {MIN_DATE.year} to {MAX_DATE.year}.")
    return day


def parse_positive_int(text: str, what: str, low: int, high: int) -> int:
    if not re.fullmatch(r"[0-9]+", text.strip()):
        raise UserError(f"{what} must be a whole number from {low} to {high}, not {shown(text)}.")
    value = bounded_int(text, high)
    if not low <= value <= high:
        raise UserError(f"{what} must be from {low} to {high}, not {shown(text.strip())}.")
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
