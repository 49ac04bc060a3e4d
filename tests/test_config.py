"""Tests for bot.config: defaults, validation errors, rewrites, secret masking, .env loading."""
from __future__ import annotations

import dataclasses
import os

import pytest

from bot.config import ConfigError, Settings, load_settings

ALL_VARS = (
    "DATABASE_URL",
    "RECAPBOT_TIMEZONE",
    "RECAPBOT_TEAM_NAME",
    "RECAPBOT_LOG_LEVEL",
    "RECAPBOT_HTTP_HOST",
    "RECAPBOT_HTTP_PORT",
    "RECAPBOT_CATCHUP_HOURS",
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_API_URL",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_STATE_SECRET",
    "DISCORD_TOKEN",
    "DISCORD_GUILD_IDS",
    "DISCORD_SHARD_COUNT",
    "DISCORD_SHARD_IDS",
    "RECAPBOT_DISCORD",
    "RECAPBOT_SECRET_KEY",
)

SOCKET = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_APP_TOKEN": "xapp-1-A-1-def"}
OAUTH = {
    "SLACK_CLIENT_ID": "123.456",
    "SLACK_CLIENT_SECRET": "client-secret-value",
    "SLACK_STATE_SECRET": "state-secret-value",
    "SLACK_SIGNING_SECRET": "signing-secret-value",
    "RECAPBOT_SECRET_KEY": "c2VjcmV0LWtleS1zZWNyZXQta2V5LXNlY3JldC1rZXk=",
}


def load(**env: str) -> Settings:
    return load_settings(env=env)


def assert_config_error(variable: str, **env: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load(**env)
    err = info.value
    assert err.variable == variable
    assert str(err).startswith(f"{variable}: ")
    return err


def test_defaults():
    s = load()
    assert s.database_url == "sqlite:///./recapbot.db"
    assert s.timezone == "UTC"
    assert s.team_name == "Research group"
    assert s.log_level == "INFO"
    assert s.http_host == "0.0.0.0"
    assert s.http_port == 3000
    assert s.catchup_hours == 12.0
    assert s.slack_bot_token is None
    assert s.slack_app_token is None
    assert s.slack_signing_secret is None
    assert s.slack_api_url is None
    assert (s.slack_client_id, s.slack_client_secret, s.slack_state_secret) == (None, None, None)
    assert s.discord_token is None
    assert s.discord_guild_ids == ()
    assert s.discord_gateway and s.discord_shard_count is None and s.discord_shard_ids == ()
    assert not s.slack_enabled
    assert not s.slack_socket_mode
    assert not s.slack_oauth
    assert not s.discord_enabled


def test_settings_are_frozen():
    s = load()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.http_port = 1  # type: ignore[misc]


def test_empty_strings_count_as_unset():
    s = load(**{name: "" for name in ALL_VARS})
    assert s == load()


def test_values_are_parsed():
    s = load(
        DATABASE_URL="sqlite:////data/recapbot.db",
        RECAPBOT_TIMEZONE="Europe/Berlin",
        RECAPBOT_TEAM_NAME="  Vision Lab ",
        RECAPBOT_LOG_LEVEL="debug",
        RECAPBOT_HTTP_HOST="127.0.0.1",
        RECAPBOT_HTTP_PORT="8080",
        RECAPBOT_CATCHUP_HOURS="0.5",
        DISCORD_TOKEN="discord-token",
        DISCORD_GUILD_IDS=" 123456789012345678 , 42,",
        SLACK_API_URL="http://localhost:8888/api",
        **SOCKET,
    )
    assert s.database_url == "sqlite:////data/recapbot.db"
    assert s.timezone == "Europe/Berlin"
    assert s.team_name == "Vision Lab"
    assert s.log_level == "DEBUG"
    assert s.http_host == "127.0.0.1"
    assert s.http_port == 8080
    assert s.catchup_hours == 0.5
    assert s.discord_guild_ids == (123456789012345678, 42)
    assert s.discord_enabled
    assert s.slack_api_url == "http://localhost:8888/api/"
    assert s.slack_enabled and s.slack_socket_mode and not s.slack_oauth


def test_catchup_zero_allowed():
    assert load(RECAPBOT_CATCHUP_HOURS="0").catchup_hours == 0.0


def test_slack_api_url_keeps_trailing_slash():
    assert load(SLACK_API_URL="https://slack.example/api/").slack_api_url == "https://slack.example/api/"


@pytest.mark.parametrize(
    "url, expected",
    [
        ("postgresql://u:p@db:5432/recap", "postgresql+psycopg://u:p@db:5432/recap"),
        ("postgres://db/recap", "postgresql+psycopg://db/recap"),
        ("postgresql+psycopg://db/recap", "postgresql+psycopg://db/recap"),
    ],
)
def test_postgresql_url_uses_psycopg3(url, expected):
    assert load(DATABASE_URL=url).database_url == expected


@pytest.mark.parametrize(
    "variable, value",
    [
        ("RECAPBOT_TIMEZONE", "Mars/Olympus_Mons"),
        ("RECAPBOT_TIMEZONE", "../etc/passwd"),
        ("DATABASE_URL", "not a url"),
        ("DATABASE_URL", "mysql://u:p@localhost/recap"),
        ("DATABASE_URL", "postgresql://db:notaport/recap"),
        ("RECAPBOT_TEAM_NAME", "x" * 81),
        ("RECAPBOT_LOG_LEVEL", "verbose"),
        ("RECAPBOT_HTTP_PORT", "http"),
        ("RECAPBOT_HTTP_PORT", "0"),
        ("RECAPBOT_HTTP_PORT", "65536"),
        ("RECAPBOT_CATCHUP_HOURS", "-1"),
        ("RECAPBOT_CATCHUP_HOURS", "soon"),
        ("RECAPBOT_CATCHUP_HOURS", "nan"),
        ("DISCORD_GUILD_IDS", "123,abc"),
        ("DISCORD_GUILD_IDS", "1.5"),
        ("DISCORD_GUILD_IDS", "-7"),
        ("DISCORD_GUILD_IDS", "0"),
        ("SLACK_API_URL", "ftp://slack.example/api/"),
        ("SLACK_API_URL", "localhost:8888"),
    ],
)
def test_bad_setting(variable, value):
    assert_config_error(variable, **{variable: value})


def test_bad_bot_token_prefix():
    err = assert_config_error("SLACK_BOT_TOKEN", SLACK_BOT_TOKEN="xoxp-user-token", SLACK_APP_TOKEN="xapp-1")
    assert "xoxb-" in str(err)
    assert "xoxp-user-token" not in str(err)


def test_bad_app_token_prefix():
    err = assert_config_error("SLACK_APP_TOKEN", SLACK_BOT_TOKEN="xoxb-1", SLACK_APP_TOKEN="xoxb-2")
    assert "xapp-" in str(err)


@pytest.mark.parametrize("missing", ["SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_STATE_SECRET"])
def test_partial_oauth_trio(missing):
    env = {k: v for k, v in OAUTH.items() if k != missing}
    assert_config_error(missing, **env)


def test_http_mode_needs_signing_secret():
    err = assert_config_error("SLACK_SIGNING_SECRET", SLACK_BOT_TOKEN="xoxb-1")
    assert "HTTP" in str(err)


def test_oauth_needs_signing_secret_even_in_socket_mode():
    env = {k: v for k, v in OAUTH.items() if k != "SLACK_SIGNING_SECRET"}
    assert_config_error("SLACK_SIGNING_SECRET", SLACK_APP_TOKEN="xapp-1", **env)


def test_oauth_needs_a_secret_key_and_says_how_to_make_one():
    env = {k: v for k, v in OAUTH.items() if k != "RECAPBOT_SECRET_KEY"}
    err = assert_config_error("RECAPBOT_SECRET_KEY", **env)
    assert "recapbot keys new" in err.message and "Fernet.generate_key()" in err.message


def test_one_workspace_token_needs_no_secret_key():
    assert load(SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="sig").secret_keys == ()


def test_several_secret_keys_newest_first():
    old = "b2xkLWtleS1vbGQta2V5LW9sZC1rZXktb2xkLWtleS0="
    s = load(**{**OAUTH, "RECAPBOT_SECRET_KEY": f" {OAUTH['RECAPBOT_SECRET_KEY']}, {old},"})
    assert s.secret_keys == (OAUTH["RECAPBOT_SECRET_KEY"], old)


@pytest.mark.parametrize("value", ["hunter2-hunter2", "c2VjcmV0LWtleS1zZWNyZXQta2V5LXNlY3JldC1rZXk=,too-short-xyz"])
def test_a_bad_secret_key_is_refused_without_echoing_it(value):
    err = assert_config_error("RECAPBOT_SECRET_KEY", **{**OAUTH, "RECAPBOT_SECRET_KEY": value})
    assert "hunter2" not in str(err) and "too-short" not in str(err) and "32 bytes" in err.message
    assert ("key 2 of 2" in err.message) == ("," in value)


def test_app_token_alone_is_an_error():
    assert_config_error("SLACK_BOT_TOKEN", SLACK_APP_TOKEN="xapp-1")


def test_http_mode_with_signing_secret():
    s = load(SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="sig")
    assert s.slack_enabled and not s.slack_socket_mode and not s.slack_oauth


def test_socket_mode_without_signing_secret():
    s = load(**SOCKET)
    assert s.slack_enabled and s.slack_socket_mode
    assert s.slack_signing_secret is None


def test_oauth_mode():
    s = load(**OAUTH)
    assert s.slack_oauth and s.slack_enabled and not s.slack_socket_mode
    s = load(SLACK_APP_TOKEN="xapp-1", **OAUTH)
    assert s.slack_oauth and s.slack_socket_mode


def test_first_bad_setting_is_reported():
    err = assert_config_error("DATABASE_URL", DATABASE_URL="mysql://x/y", RECAPBOT_HTTP_PORT="0")
    assert "mysql" in err.message


def test_config_error_str():
    err = ConfigError("FOO", "is broken")
    assert isinstance(err, Exception)
    assert str(err) == "FOO: is broken"
    assert (err.variable, err.message) == ("FOO", "is broken")


def test_repr_hides_secrets():
    secrets = {
        "SLACK_BOT_TOKEN": "xoxb-supersecret-bot",
        "SLACK_APP_TOKEN": "xapp-supersecret-app",
        "SLACK_SIGNING_SECRET": "supersecret-signing",
        "SLACK_CLIENT_ID": "123.456",
        "SLACK_CLIENT_SECRET": "supersecret-client",
        "SLACK_STATE_SECRET": "supersecret-state",
        "DISCORD_TOKEN": "supersecret-discord",
        "RECAPBOT_SECRET_KEY": OAUTH["RECAPBOT_SECRET_KEY"],
    }
    s = load(DATABASE_URL="postgresql://user:dbsupersecret@db/recap", **secrets)
    for text in (repr(s), str(s), f"{s}", repr([s])):
        assert "supersecret" not in text and OAUTH["RECAPBOT_SECRET_KEY"] not in text
        assert "***" in text
        assert "123.456" in text  # the client id is not a secret
        assert "user" in text and "db/recap" in text
    # The real values are still there for the code that needs them.
    assert s.slack_bot_token == "xoxb-supersecret-bot"
    assert s.database_url == "postgresql+psycopg://user:dbsupersecret@db/recap"


def test_repr_shows_unset_secrets_as_none():
    assert "discord_token=None" in repr(load())


@pytest.fixture
def clean_environ(monkeypatch):
    """Unset every setting, and make sure whatever load_dotenv() writes into
    os.environ is undone after the test (setenv first so monkeypatch records
    the original state even for variables that were absent)."""
    for name in ALL_VARS:
        monkeypatch.setenv(name, "placeholder")
        monkeypatch.delenv(name)
    return monkeypatch


def test_dotenv_loading(tmp_path, clean_environ):
    monkeypatch = clean_environ
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(
        "# local overrides\n"
        "RECAPBOT_TEAM_NAME=Dotenv Lab\n"
        "RECAPBOT_TIMEZONE=America/New_York\n"
        "RECAPBOT_HTTP_PORT=8123\n"
        "DISCORD_TOKEN=dotenv-discord\n"
        "DISCORD_GUILD_IDS=1, 2\n"
        "SLACK_BOT_TOKEN=\n"
    )
    # A variable already in the environment wins over .env.
    monkeypatch.setenv("RECAPBOT_HTTP_PORT", "9000")

    s = load_settings(dotenv=True)
    assert s.team_name == "Dotenv Lab"
    assert s.timezone == "America/New_York"
    assert s.http_port == 9000
    assert s.discord_token == "dotenv-discord"
    assert s.discord_guild_ids == (1, 2)
    assert s.slack_bot_token is None
    assert not s.slack_enabled


def test_dotenv_disabled(tmp_path, clean_environ):
    monkeypatch = clean_environ
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("RECAPBOT_TEAM_NAME=Dotenv Lab\n")
    assert load_settings(dotenv=False).team_name == "Research group"
    assert "RECAPBOT_TEAM_NAME" not in os.environ


def test_explicit_env_ignores_dotenv_file(tmp_path, clean_environ):
    monkeypatch = clean_environ
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("RECAPBOT_TEAM_NAME=Dotenv Lab\n")
    assert load_settings(env={}).team_name == "Research group"
    assert "RECAPBOT_TEAM_NAME" not in os.environ


def test_dotenv_error_names_variable(tmp_path, clean_environ):
    monkeypatch = clean_environ
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("RECAPBOT_TIMEZONE=Not/AZone\n")
    with pytest.raises(ConfigError, match=r"^RECAPBOT_TIMEZONE: "):
        load_settings()


def test_retention_keeps_recaps_unless_set():
    assert load().retention_days is None
    assert load(RECAPBOT_RETENTION_DAYS="").retention_days is None
    assert load(RECAPBOT_RETENTION_DAYS=" 365 ").retention_days == 365


@pytest.mark.parametrize("value", ["0", "-1", "1.5", "a year", "36501", "9" * 5000, "\u0661\u0662"])
def test_bad_retention_names_the_variable_and_the_range(value):
    err = assert_config_error("RECAPBOT_RETENTION_DAYS", RECAPBOT_RETENTION_DAYS=value)
    assert err.message.startswith("must be a whole number of days from 1 to 36500")


@pytest.mark.parametrize("value", [
    "ftp://proxyuser:hunter2@proxy.example/api/?token=hunter2",
    "proxyuser:hunter2@proxy.example:8888",
    "http://proxyuser:hunter2@proxy.example:port/api/",
    "http://[proxyuser:hunter2@proxy.example/api/",
])
def test_a_bad_slack_api_url_is_named_without_its_credentials(value):
    err = assert_config_error("SLACK_API_URL", SLACK_API_URL=value)
    assert "hunter2" not in str(err) and "proxyuser" not in str(err)


# -- Discord across replicas: shards, and replicas that open no gateway connection ----------
DISCORD = {"DISCORD_TOKEN": "discord-token"}


def test_a_replica_gets_its_shards():
    s = load(**DISCORD, DISCORD_SHARD_COUNT="4", DISCORD_SHARD_IDS=" 2, 3,")
    assert (s.discord_shard_count, s.discord_shard_ids, s.discord_gateway) == (4, (2, 3), True)


def test_a_shard_count_alone_connects_every_shard_here():
    s = load(**DISCORD, DISCORD_SHARD_COUNT="2")
    assert (s.discord_shard_count, s.discord_shard_ids) == (2, ())


@pytest.mark.parametrize("value, expected", [("off", False), ("OFF", False), ("on", True), ("On", True)])
def test_recapbot_discord_turns_the_gateway_on_or_off(value, expected):
    assert load(**DISCORD, RECAPBOT_DISCORD=value).discord_gateway is expected


@pytest.mark.parametrize(
    "variable, env, says",
    [
        ("DISCORD_SHARD_IDS", {"DISCORD_SHARD_IDS": "0,1"}, "needs DISCORD_SHARD_COUNT"),
        ("DISCORD_SHARD_IDS", {"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "0,2"}, "from 0 to 1"),
        ("DISCORD_SHARD_IDS", {"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "1,1"}, "listed twice"),
        ("DISCORD_SHARD_IDS", {"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "-1"}, "whole number"),
        ("DISCORD_SHARD_IDS", {"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": " , "}, "lists no shard"),
        ("DISCORD_SHARD_COUNT", {"DISCORD_SHARD_COUNT": "0"}, "from 1 to 10,000"),
        ("DISCORD_SHARD_COUNT", {"DISCORD_SHARD_COUNT": "two"}, "whole number"),
        ("DISCORD_SHARD_COUNT", {"DISCORD_SHARD_COUNT": "2", "RECAPBOT_DISCORD": "off"}, "RECAPBOT_DISCORD=off"),
        ("DISCORD_SHARD_IDS", {"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "0", "RECAPBOT_DISCORD": "off"},
         "opens no gateway connection"),
        ("RECAPBOT_DISCORD", {"RECAPBOT_DISCORD": "false"}, "on or off"),
    ],
)
def test_bad_discord_replica_settings_fail_at_start(variable, env, says):
    err = assert_config_error(variable, **DISCORD, **env)
    assert says in str(err)


def test_shards_without_a_discord_token_are_a_mistake():
    assert "without DISCORD_TOKEN" in str(assert_config_error("DISCORD_SHARD_COUNT", DISCORD_SHARD_COUNT="2"))


def test_worker_threads_and_command_backlog():
    assert (load().worker_threads, load().command_backlog) == (4, 200)
    s = load(RECAPBOT_WORKER_THREADS=" 2 ", RECAPBOT_COMMAND_BACKLOG="50")
    assert (s.worker_threads, s.command_backlog) == (2, 50)


@pytest.mark.parametrize("variable, value, most", [
    ("RECAPBOT_WORKER_THREADS", "0", "64"), ("RECAPBOT_WORKER_THREADS", "65", "64"),
    ("RECAPBOT_WORKER_THREADS", "two", "64"), ("RECAPBOT_WORKER_THREADS", "1.5", "64"),
    ("RECAPBOT_COMMAND_BACKLOG", "0", "100,000"), ("RECAPBOT_COMMAND_BACKLOG", "-5", "100,000"),
    ("RECAPBOT_COMMAND_BACKLOG", "9" * 5000, "100,000"), ("RECAPBOT_COMMAND_BACKLOG", "\u0661\u0662", "100,000"),
])
def test_bad_worker_threads_or_backlog_names_the_variable_and_the_range(variable, value, most):
    err = assert_config_error(variable, **{variable: value})
    assert err.message == f"must be a whole number from 1 to {most}"
