"""`recapbot` command line: run, console, digest, db upgrade."""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from .config import ConfigError, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="recapbot", description="Rolling research recaps for Slack, Discord and the terminal.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start every configured adapter (the console when no token is set)")
    sub.add_parser("console", help="use the bot in this terminal (reads commands from standard input)")
    digest = sub.add_parser("digest", help="print a meeting's digest as Markdown")
    digest.add_argument("--team", help="team name or id (default: the first team)")
    digest.add_argument("--meeting", help="meeting date YYYY-MM-DD (default: the coming meeting)")
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply every migration")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"recapbot: configuration error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # migrations run at every start
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one line per job change otherwise
    from . import app as composition

    if args.command == "db":
        from .store.db import make_engine, upgrade

        upgrade(make_engine(settings.database_url))
        print("database is up to date")
        return 0
    app = composition.build(settings)
    if args.command == "digest":
        return _print_digest(app, args.team, args.meeting)
    if args.command == "console":
        return _run_console(app)
    return _run(app)


def _print_digest(app, team_key: str | None, meeting: str | None) -> int:
    from .core.errors import UserError
    from .core.guard import guard
    from .core.model import MAX_NAME_CHARS
    from .core.parsing import parse_date, shown
    from .core.validation import clean_text
    from .render.markdown import render_digest

    core = app.core
    with guard("recapbot digest") as failure:
        try:
            key = clean_text(team_key, "--team", MAX_NAME_CHARS)
            team = core.repo.find_team(key) if key else next(iter(core.repo.list_teams()), None)
            if team is None:
                print(f"recapbot: no team {shown(team_key)}" if team_key else "recapbot: no team yet", file=sys.stderr)
                return 1
            day = parse_date(meeting) if meeting else None
            print(render_digest(core.digest_on(team, day)), end="")
        except UserError as exc:
            print(f"recapbot: {exc.message}", file=sys.stderr)
            return 1
        return 0
    print(f"recapbot: {failure.message}", file=sys.stderr)
    return 1


def _run_console(app) -> int:
    from .app import attach_adapters, serve

    attach_adapters(app, console=True)
    return asyncio.run(serve(app))


def _run(app) -> int:
    from .app import attach_adapters, serve

    settings = app.settings
    if not (settings.slack_enabled or settings.discord_enabled):
        logging.getLogger("recapbot").info("no Slack or Discord token set: starting the console")
    attach_adapters(app)
    return asyncio.run(serve(app))


if __name__ == "__main__":
    sys.exit(main())
