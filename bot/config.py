"""Process settings, read once from the environment (and an optional .env file).

Everything the bot needs to start is validated here, up front, so that a typo
in a deployment fails at boot with a message naming the variable instead of
surfacing later as an obscure error from Slack, Discord or the database.
"""
from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from urllib.parse import SplitResult, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from .core.model import DEFAULT_TEAM_NAME, DEFAULT_TIMEZONE
from .secrets import NEW_KEY_HINT, SECRET_KEY_VARIABLE, parse_keys

__all__ = ["ConfigError", "Settings", "load_settings", "LOG_LEVELS"]

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

DEFAULT_DATABASE_URL = "sqlite:///./recapbot.db"
DEFAULT_HTTP_PORT = 3000
DEFAULT_CATCHUP_HOURS = 12.0
DEFAULT_PUBLIC_URL = "http://localhost:3000"
DEFAULT_LINK_DAYS = 7
LINK_DAYS_MAX = 365
# Threads that run core calls (the database) off the event loop, and how many slash commands may
# wait for them before the next one is answered "busy, try again" (bot/adapters/backlog.py).
DEFAULT_WORKER_THREADS, WORKER_THREADS_MAX = 4, 64
DEFAULT_COMMAND_BACKLOG, COMMAND_BACKLOG_MAX = 200, 100_000
SHARD_COUNT_MAX = 10_000  # 2,500 servers a shard: 25 million servers
TEAM_NAME_MAX = 80
RETENTION_DAYS_MAX = 36500  # a century: anything longer is "keep", and dates stay in range

# Fields whose values must never appear in logs or tracebacks.
_SECRET_FIELDS = frozenset(
    {
        "slack_bot_token",
        "slack_app_token",
        "slack_signing_secret",
        "slack_client_secret",
        "slack_state_secret",
        "discord_token",
        "secret_keys",
    }
)


class ConfigError(Exception):
    """A setting is missing or invalid; ``variable`` names the environment variable."""

    def __init__(self, variable: str, message: str) -> None:
        super().__init__(variable, message)
        self.variable = variable
        self.message = message

    def __str__(self) -> str:
        return f"{self.variable}: {self.message}"


@dataclass(frozen=True, repr=False)
class Settings:
    """Validated, immutable process configuration. Build it with :func:`load_settings`."""

    database_url: str = DEFAULT_DATABASE_URL
    timezone: str = DEFAULT_TIMEZONE
    team_name: str = DEFAULT_TEAM_NAME
    log_level: str = "INFO"
    http_host: str = "0.0.0.0"
    http_port: int = DEFAULT_HTTP_PORT
    catchup_hours: float = DEFAULT_CATCHUP_HOURS
    retention_days: int | None = None  # None keeps recaps forever
    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    slack_signing_secret: str | None = None
    slack_api_url: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_state_secret: str | None = None
    discord_token: str | None = None
    discord_guild_ids: tuple[int, ...] = ()
    discord_gateway: bool = True  # RECAPBOT_DISCORD=off: no gateway connection (posting over HTTP only)
    discord_shard_count: int | None = None  # None: one connection, no sharding
    discord_shard_ids: tuple[int, ...] = ()  # this replica's shards; empty: all of discord_shard_count
    secret_keys: tuple[str, ...] = ()  # RECAPBOT_SECRET_KEY: current key first, older ones after
    public_url: str = DEFAULT_PUBLIC_URL  # the base of the deck's links
    link_days: int = DEFAULT_LINK_DAYS
    worker_threads: int = DEFAULT_WORKER_THREADS
    command_backlog: int = DEFAULT_COMMAND_BACKLOG
    files_url: str | None = None  # None: figures in the database
    data_dir: str = "."  # where a generated secret key is kept

    @property
    def slack_oauth(self) -> bool:
        """Multi-workspace install via OAuth (client id, client secret and state secret all set)."""
        return bool(self.slack_client_id and self.slack_client_secret and self.slack_state_secret)

    @property
    def slack_enabled(self) -> bool:
        """Slack runs when there is a way to get a bot token: a fixed one, or OAuth installs."""
        return bool(self.slack_bot_token) or self.slack_oauth

    @property
    def slack_socket_mode(self) -> bool:
        """Socket Mode (outbound websocket, no public HTTP endpoint) when an app-level token is set."""
        return self.slack_enabled and bool(self.slack_app_token)

    @property
    def discord_enabled(self) -> bool:
        return bool(self.discord_token)

    def __repr__(self) -> str:
        # Secrets are masked so that logging the settings (or a traceback that
        # shows them) never leaks credentials; the database password too.
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _SECRET_FIELDS and value:
                shown = "'***'"
            elif f.name == "database_url":
                shown = repr(_hide_password(value))
            else:
                shown = repr(value)
            parts.append(f"{f.name}={shown}")
        return f"Settings({', '.join(parts)})"

    __str__ = __repr__


def load_settings(env: Mapping[str, str] | None = None, dotenv: bool = True) -> Settings:
    """Read and validate settings; raise :class:`ConfigError` on the first bad one.

    With ``env`` given, only that mapping is consulted (handy for tests) and no
    .env file is read. Otherwise ``os.environ`` is used, after loading a .env
    file found from the working directory upwards when ``dotenv`` is true.
    Variables already in the environment win over the .env file.
    """
    if env is None:
        if dotenv:
            _load_dotenv()
        env = os.environ

    def get(name: str) -> str | None:
        # Empty (or whitespace-only) means unset: `FOO=` in a .env file or a
        # compose file is the usual way to "clear" a variable.
        value = env.get(name)
        if value is None:
            return None
        value = value.strip()
        return value or None

    database_url = _database_url(get("DATABASE_URL"))
    timezone = _timezone(get("RECAPBOT_TIMEZONE"))
    team_name = _team_name(get("RECAPBOT_TEAM_NAME"))
    log_level = _log_level(get("RECAPBOT_LOG_LEVEL"))
    http_host = get("RECAPBOT_HTTP_HOST") or "0.0.0.0"
    http_port = _port(get("RECAPBOT_HTTP_PORT"))
    catchup_hours = _catchup_hours(get("RECAPBOT_CATCHUP_HOURS"))
    retention_days = _retention_days(get("RECAPBOT_RETENTION_DAYS"))

    slack_bot_token = _prefixed("SLACK_BOT_TOKEN", get("SLACK_BOT_TOKEN"), "xoxb-")
    slack_app_token = _prefixed("SLACK_APP_TOKEN", get("SLACK_APP_TOKEN"), "xapp-")
    slack_signing_secret = get("SLACK_SIGNING_SECRET")
    slack_api_url = _slack_api_url(get("SLACK_API_URL"))
    slack_client_id = get("SLACK_CLIENT_ID")
    slack_client_secret = get("SLACK_CLIENT_SECRET")
    slack_state_secret = get("SLACK_STATE_SECRET")

    oauth_trio = {
        "SLACK_CLIENT_ID": slack_client_id,
        "SLACK_CLIENT_SECRET": slack_client_secret,
        "SLACK_STATE_SECRET": slack_state_secret,
    }
    if any(oauth_trio.values()):
        # A partial trio is almost certainly a deployment mistake; running
        # without OAuth would silently ignore the ones that were set.
        for name, value in oauth_trio.items():
            if not value:
                raise ConfigError(
                    name,
                    "required for Slack OAuth: set SLACK_CLIENT_ID, SLACK_CLIENT_SECRET "
                    "and SLACK_STATE_SECRET together, or none of them",
                )

    discord_token = get("DISCORD_TOKEN")
    discord_guild_ids = _guild_ids(get("DISCORD_GUILD_IDS"))
    discord_gateway = _on_off("RECAPBOT_DISCORD", get("RECAPBOT_DISCORD"), default=True)
    discord_shard_count, discord_shard_ids = _shards(get("DISCORD_SHARD_COUNT"), get("DISCORD_SHARD_IDS"))
    _check_discord(discord_token, discord_gateway, discord_shard_count, discord_shard_ids)
    secret_keys = _secret_keys(get(SECRET_KEY_VARIABLE))
    public_url = _public_url(get("RECAPBOT_PUBLIC_URL")) or f"http://localhost:{http_port}"
    link_days = _link_days(get("RECAPBOT_LINK_DAYS"))
    worker_threads = _whole("RECAPBOT_WORKER_THREADS", get("RECAPBOT_WORKER_THREADS"),
                            DEFAULT_WORKER_THREADS, most=WORKER_THREADS_MAX)
    command_backlog = _whole("RECAPBOT_COMMAND_BACKLOG", get("RECAPBOT_COMMAND_BACKLOG"),
                             DEFAULT_COMMAND_BACKLOG, most=COMMAND_BACKLOG_MAX)
    files_url = _files_url(get("RECAPBOT_FILES_URL"))
    data_dir = get("RECAPBOT_DATA_DIR") or _database_dir(database_url)

    settings = Settings(
        database_url=database_url,
        timezone=timezone,
        team_name=team_name,
        log_level=log_level,
        http_host=http_host,
        http_port=http_port,
        catchup_hours=catchup_hours,
        retention_days=retention_days,
        slack_bot_token=slack_bot_token,
        slack_app_token=slack_app_token,
        slack_signing_secret=slack_signing_secret,
        slack_api_url=slack_api_url,
        slack_client_id=slack_client_id,
        slack_client_secret=slack_client_secret,
        slack_state_secret=slack_state_secret,
        discord_token=discord_token,
        discord_guild_ids=discord_guild_ids,
        discord_gateway=discord_gateway,
        discord_shard_count=discord_shard_count,
        discord_shard_ids=discord_shard_ids,
        secret_keys=secret_keys,
        public_url=public_url,
        link_days=link_days,
        worker_threads=worker_threads,
        command_backlog=command_backlog,
        files_url=files_url,
        data_dir=data_dir,
    )
    _check_slack_mode(settings)
    return settings


# --------------------------------------------------------------------------
# Individual validators


def _load_dotenv() -> None:
    """Load .env from the working directory (or a parent) without overriding the environment.

    ``find_dotenv(usecwd=True)`` is used because the default search starts from
    this module's own directory, which is not where a deployment keeps its .env.
    """
    from dotenv import find_dotenv, load_dotenv

    path = find_dotenv(usecwd=True)
    if path:
        load_dotenv(path, override=False)


def _database_url(raw: str | None) -> str:
    """SQLite or PostgreSQL only: those are the backends the migrations are tested on.

    A bare ``postgresql://`` (or Heroku-style ``postgres://``) URL would make
    SQLAlchemy pick psycopg2, which we do not ship, so it is pointed at psycopg 3.
    """
    if raw is None:
        return DEFAULT_DATABASE_URL
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError, TypeError) as exc:
        raise ConfigError("DATABASE_URL", f"not a valid SQLAlchemy URL ({exc})") from None
    backend = url.get_backend_name()
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
        return url.render_as_string(hide_password=False)
    if backend not in ("sqlite", "postgresql"):
        raise ConfigError("DATABASE_URL", f"unsupported database {backend!r}; use sqlite or postgresql")
    return raw


def _hide_password(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError, TypeError):
        return "***"


def _timezone(raw: str | None) -> str:
    """Must be an IANA key (e.g. ``Europe/Berlin``): it seeds the timezone of new teams."""
    if raw is None:
        return DEFAULT_TIMEZONE
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError("RECAPBOT_TIMEZONE", f"unknown timezone {raw!r} (expected e.g. 'Europe/Berlin')") from None
    return raw


def _team_name(raw: str | None) -> str:
    """Shown in recap headers; capped so it fits a Slack/Discord title line."""
    if raw is None:
        return DEFAULT_TEAM_NAME
    if len(raw) > TEAM_NAME_MAX:
        raise ConfigError("RECAPBOT_TEAM_NAME", f"must be at most {TEAM_NAME_MAX} characters (got {len(raw)})")
    return raw


def _log_level(raw: str | None) -> str:
    if raw is None:
        return "INFO"
    level = raw.upper()
    if level not in LOG_LEVELS:
        raise ConfigError("RECAPBOT_LOG_LEVEL", f"must be one of {', '.join(LOG_LEVELS)} (got {raw!r})")
    return level


def _port(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_HTTP_PORT
    try:
        port = int(raw)
    except ValueError:
        raise ConfigError("RECAPBOT_HTTP_PORT", f"must be an integer (got {raw!r})") from None
    if not 1 <= port <= 65535:
        raise ConfigError("RECAPBOT_HTTP_PORT", f"must be between 1 and 65535 (got {port})")
    return port


def _catchup_hours(raw: str | None) -> float:
    """How far back missed scheduled recaps are still sent after a restart; 0 disables catch-up."""
    if raw is None:
        return DEFAULT_CATCHUP_HOURS
    try:
        hours = float(raw)
    except ValueError:
        raise ConfigError("RECAPBOT_CATCHUP_HOURS", f"must be a number (got {raw!r})") from None
    if not math.isfinite(hours) or hours < 0:
        raise ConfigError("RECAPBOT_CATCHUP_HOURS", f"must be a finite number >= 0 (got {raw!r})")
    return hours


def _retention_days(raw: str | None) -> int | None:
    """Recaps of meetings more than this many days ago are deleted daily; unset keeps them."""
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 5) or not 1 <= int(raw) <= RETENTION_DAYS_MAX:
        raise ConfigError("RECAPBOT_RETENTION_DAYS",
                          f"must be a whole number of days from 1 to {RETENTION_DAYS_MAX} "
                          "(leave it unset to keep recaps)")
    return int(raw)


def _prefixed(variable: str, raw: str | None, prefix: str) -> str | None:
    """Catch the classic mix-ups (user token, app token in the bot slot) before Slack does."""
    if raw is not None and not raw.startswith(prefix):
        raise ConfigError(variable, f"must start with {prefix!r}")
    return raw


def _http_url(raw: str) -> SplitResult | None:
    """An http(s) URL with a host and, if any, a numeric port, split; None otherwise."""
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - a port that is not a number raises ValueError
    except ValueError:
        return None
    return parts if parts.scheme in ("http", "https") and parts.netloc else None


def _slack_api_url(raw: str | None) -> str | None:
    """Override of the Slack Web API base URL (tests, proxies).

    slack_sdk joins method names onto ``base_url`` verbatim, so it must end
    with a slash; one is appended if missing.
    """
    if raw is None:
        return None
    parts = _http_url(raw)
    if parts is None:
        # Shown masked: a proxy URL may carry user:password@ or a token in the query.
        raise ConfigError("SLACK_API_URL", f"must be an http(s) URL like https://slack.com/api/ "
                                           f"(got {_mask_url(raw)})")
    return raw if raw.endswith("/") else raw + "/"


def _mask_url(raw: str) -> str:
    """The URL without what may hold a credential (user:password@, query, fragment)."""
    try:
        parts = urlsplit(raw)
    except ValueError:
        return "***"
    if not parts.netloc:
        return "***"  # cannot tell the host from a password: show none of it
    netloc = ("***@" if "@" in parts.netloc else "") + parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, "***" if parts.query else "",
                       "***" if parts.fragment else ""))


def _guild_ids(raw: str | None) -> tuple[int, ...]:
    """Comma-separated Discord guild (server) ids; slash commands are synced to these instantly."""
    if raw is None:
        return ()
    ids: list[int] = []
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue  # tolerate "1,2," and "1, ,2"
        if not item.isdecimal() or not item.isascii():
            raise ConfigError("DISCORD_GUILD_IDS", f"expected comma-separated integer ids, got {item!r}")
        value = int(item)
        if value <= 0:
            raise ConfigError("DISCORD_GUILD_IDS", f"guild ids must be positive (got {item!r})")
        if value not in ids:
            ids.append(value)
    return tuple(ids)


def _on_off(variable: str, raw: str | None, default: bool) -> bool:
    if raw is None:
        return default
    value = raw.lower()
    if value not in ("on", "off"):
        raise ConfigError(variable, f"must be on or off (got {raw!r})")
    return value == "on"


def _shards(raw_count: str | None, raw_ids: str | None) -> tuple[int | None, tuple[int, ...]]:
    """DISCORD_SHARD_COUNT: how many shards the bot's servers are spread over (the same on
    every replica); DISCORD_SHARD_IDS: which of them this replica connects, e.g. "0,1"
    (default: all of them). Two replicas must never hold the same shard."""
    if raw_count is None:
        if raw_ids is not None:
            raise ConfigError("DISCORD_SHARD_IDS", "needs DISCORD_SHARD_COUNT (the total number of shards, "
                                                   "the same on every replica)")
        return None, ()
    count = _whole("DISCORD_SHARD_COUNT", raw_count, least=1, most=SHARD_COUNT_MAX)
    if raw_ids is None:
        return count, ()
    ids: list[int] = []
    for item in (part.strip() for part in raw_ids.split(",")):
        if not item:
            continue  # tolerate "0,1,"
        shard = _whole("DISCORD_SHARD_IDS", item, least=0, most=count - 1)  # numbered from 0
        if shard in ids:
            raise ConfigError("DISCORD_SHARD_IDS", f"shard {shard} is listed twice")
        ids.append(shard)
    if not ids:
        raise ConfigError("DISCORD_SHARD_IDS", "lists no shard; leave it unset to connect all of them")
    return count, tuple(ids)


def _check_discord(token: str | None, gateway: bool, count: int | None, ids: tuple[int, ...]) -> None:
    """Shard settings that would do nothing are a deployment mistake: say so at start."""
    if count is None:
        return
    variable = "DISCORD_SHARD_IDS" if ids else "DISCORD_SHARD_COUNT"
    if not token:
        raise ConfigError(variable, "set without DISCORD_TOKEN")
    if not gateway:
        raise ConfigError(variable, "set with RECAPBOT_DISCORD=off, which opens no gateway connection: "
                                    "unset the shard settings, or turn RECAPBOT_DISCORD on")


def _secret_keys(raw: str | None) -> tuple[str, ...]:
    """Comma-separated keys, newest first: the first encrypts, all decrypt (rotation)."""
    if raw is None:
        return ()
    try:
        return parse_keys(raw)
    except ValueError as exc:
        raise ConfigError(SECRET_KEY_VARIABLE, str(exc)) from None


def _public_url(raw: str | None) -> str | None:
    """The address people open the deck at (behind a proxy: its public https address);
    unset: this machine on RECAPBOT_HTTP_PORT."""
    if raw is None:
        return None
    parts = _http_url(raw)
    if parts is None or parts.query or parts.fragment:
        raise ConfigError("RECAPBOT_PUBLIC_URL", f"must be an http(s) address like https://recap.example.org "
                                                 f"(got {_mask_url(raw)})")
    return raw.rstrip("/")


def _link_days(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LINK_DAYS
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 3) or not 1 <= int(raw) <= LINK_DAYS_MAX:
        raise ConfigError("RECAPBOT_LINK_DAYS", f"must be a whole number of days from 1 to {LINK_DAYS_MAX}")
    return int(raw)


def _whole(variable: str, raw: str | None, default: int | None = None, *, least: int = 1, most: int) -> int:
    """A whole number from `least` to `most` (unset: `default`): threads, backlog, shards."""
    if raw is None and default is not None:
        return default
    if not (raw and raw.isascii() and raw.isdigit() and len(raw) <= 6) or not least <= int(raw) <= most:
        raise ConfigError(variable, f"must be a whole number from {least:,} to {most:,}")
    return int(raw)


def _files_url(raw: str | None) -> str | None:
    """Where figures are kept: the database unless set. s3:// is reserved for a bucket store."""
    if raw is None or raw in ("db:", "database"):
        return None
    if raw.startswith("s3://"):
        raise ConfigError("RECAPBOT_FILES_URL", "the S3 file store is not part of this version yet; "
                                                "leave it unset to keep figures in the database")
    raise ConfigError("RECAPBOT_FILES_URL", f"unsupported file store {_mask_url(raw)}; leave it unset "
                                            "(figures are kept in the database)")


def _database_dir(database_url: str) -> str:
    """The data directory by default: the SQLite file's, else the working directory."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return os.path.dirname(os.path.abspath(url.database))
    return "."


def _check_slack_mode(settings: Settings) -> None:
    """Cross-field rules for Slack.

    * An app token alone does nothing: Socket Mode still needs a bot token or OAuth.
    * In HTTP mode Slack signs every request and we must verify it, so the
      signing secret is required.
    * OAuth always needs it too: the install/redirect endpoints are served over
      HTTP even when events arrive through Socket Mode.
    * OAuth stores every workspace's tokens in the database, encrypted with
      RECAPBOT_SECRET_KEY; one token from the environment needs no key.
    """
    if settings.slack_oauth and not settings.secret_keys:
        raise ConfigError(
            SECRET_KEY_VARIABLE,
            f"required when Slack OAuth is configured (installation tokens are stored encrypted); {NEW_KEY_HINT}",
        )
    if settings.slack_app_token and not settings.slack_enabled:
        raise ConfigError(
            "SLACK_BOT_TOKEN",
            "required when SLACK_APP_TOKEN is set (or configure Slack OAuth)",
        )
    if not settings.slack_enabled or settings.slack_signing_secret:
        return
    if settings.slack_oauth:
        raise ConfigError("SLACK_SIGNING_SECRET", "required when Slack OAuth is configured")
    if not settings.slack_socket_mode:
        raise ConfigError(
            "SLACK_SIGNING_SECRET",
            "required in HTTP mode (set it, or set SLACK_APP_TOKEN for Socket Mode)",
        )
