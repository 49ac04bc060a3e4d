"""`recapbot` command line: run, console, digest, deck, export, forget, db upgrade, keys."""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from .config import ConfigError, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="recapbot", description="Rolling research recaps for Slack, Discord and the terminal.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start every configured adapter (the console when no token is set)")
    sub.add_parser("console", help="use the bot in this terminal (reads commands from standard input)")
    digest = sub.add_parser("digest", help="print a meeting's digest as Markdown")
    digest.add_argument("--team", help="team name or id (default: the first team)")
    digest.add_argument("--meeting", help="meeting date YYYY-MM-DD (default: the coming meeting)")
    export = sub.add_parser("export", help="write a workspace's data (its teams and every member) as JSON and Markdown")
    export.add_argument("--workspace", required=True, type=_workspace,
                        help="e.g. slack:T0123ABC, discord:123456789, console:local")
    export.add_argument("--out", default=".", help="directory for the two files (default: the current one)")
    forget = sub.add_parser("forget", help="delete everything stored about one person in a workspace")
    forget.add_argument("--workspace", required=True, type=_workspace,
                        help="e.g. slack:T0123ABC, discord:123456789, console:local")
    forget.add_argument("--user", required=True,
                        help="the person's platform user id (console: the /as name, lowercase)")
    forget.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    deck = sub.add_parser("deck", help="write a group's rolling deck as PowerPoint, Marp Markdown or one HTML file")
    deck.add_argument("--group", help="group name or id (may be left out when the database holds one group)")
    deck.add_argument("--format", required=True, choices=("pptx", "md", "html"))
    deck.add_argument("--since", help="only meetings on or after this date, YYYY-MM-DD")
    deck.add_argument("--member", help="only this member's slides (a display name or user id)")
    deck.add_argument("-o", "--output", required=True, help="the file to write")
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply every migration")
    keys = sub.add_parser("keys", help="RECAPBOT_SECRET_KEY: make a key, re-encrypt stored tokens")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    keys_sub.add_parser("new", help="print a new random key")
    keys_sub.add_parser("rotate", help="re-encrypt every stored token with the first key")
    return parser


def _workspace(text: str):
    """A workspace as the database keys it (platform:id)."""
    from .core.model import Workspace

    try:
        return Workspace.parse(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not platform:id, e.g. slack:T0123ABC") from None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "keys" and args.keys_command == "new":
        from .secrets import new_key

        print(new_key())  # needs no settings: it is how the first key is made
        return 0
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
    if args.command == "keys":
        return _rotate_keys(settings)
    app = composition.build(settings)
    if args.command == "digest":
        return _print_digest(app, args.team, args.meeting)
    if args.command == "console":
        return _run_console(app)
    if args.command == "export":
        return _export(app, args.workspace, args.out)
    if args.command == "deck":
        return _deck(app, args)
    if args.command == "forget":
        return _forget(app, args.workspace, args.user, args.yes)
    return _run(app)


def _rotate_keys(settings) -> int:
    from .adapters.slack.oauth import rotate_tokens
    from .secrets import NEW_KEY_HINT, SECRET_KEY_VARIABLE, SecretKeyError, SecretKeys
    from .store.db import make_engine, upgrade

    if not settings.secret_keys:
        print(f"recapbot: configuration error: {SECRET_KEY_VARIABLE}: not set; {NEW_KEY_HINT}", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        rotated, plain = rotate_tokens(engine, SecretKeys(settings.secret_keys).token_cipher())
    except SecretKeyError as exc:
        print(f"recapbot: {exc}; nothing was changed", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"re-encrypted {rotated} stored token(s) with the first key of {SECRET_KEY_VARIABLE}"
          f" ({plain} of them were stored in plain text); older keys can now be removed")
    return 0


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
            team = core.teams.find_team(key) if key else next(iter(core.teams.list_teams()), None)
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


def _deck(app, args) -> int:
    from .adapters.console import save_files
    from .core.errors import UserError
    from .core.model import MAX_NAME_CHARS
    from .core.parsing import parse_date, shown
    from .core.replies import FileAttachment
    from .core.validation import clean_text

    core = app.core
    try:
        key = clean_text(args.group, "--group", MAX_NAME_CHARS)
        groups = core.teams.list_teams()
        if key:
            team = core.teams.find_team(key)
        elif len(groups) == 1:
            team = groups[0]
        else:
            names = ", ".join(f"{g.name} ({g.id})" for g in groups) or "none yet"
            print(f"recapbot: say which group with --group; groups: {names}", file=sys.stderr)
            return 1
        if team is None:
            print(f"recapbot: no group {shown(args.group)}", file=sys.stderr)
            return 1
        member = core.teams.resolve_member(team, args.member) if args.member else None
        since = parse_date(args.since) if args.since else None
        attachment = core.deck.render(core.deck.deck(team, member, since=since), args.format)
    except UserError as exc:
        print(f"recapbot: {exc.message}", file=sys.stderr)
        return 1
    out = Path(args.output)
    [path] = save_files(out.parent, (FileAttachment(out.name, attachment.content, attachment.mime),))
    print(path)
    return 0


def _export(app, workspace, out: str) -> int:
    from .adapters.console import save_files
    from .core.errors import UserError

    try:
        files = app.core.privacy.export_workspace(workspace)
    except UserError as exc:
        known = ", ".join(sorted({team.workspace.key for team in app.core.teams.list_teams()})) or "none yet"
        print(f"recapbot: {exc.message} Workspaces: {known}.", file=sys.stderr)
        return 1
    for path in save_files(Path(out), files):
        print(path)
    return 0


def _forget(app, workspace, user: str, yes: bool) -> int:
    from .core.privacy import describe_counts

    privacy = app.core.privacy
    counts = privacy.forget_preview(workspace, user)
    if not counts:
        print(f"recapbot: nothing stored about {user!r} in workspace {workspace.key!r}", file=sys.stderr)
        return 1
    if not yes:
        if not sys.stdin.isatty():
            print("recapbot: add --yes to delete without a terminal to confirm on", file=sys.stderr)
            return 2
        answer = input(f"Delete {describe_counts(counts)} of {user} in {workspace}? Type yes: ")
        if answer.strip().lower() != "yes":
            print("Nothing was deleted.")
            return 1
    print(f"Deleted {describe_counts(privacy.forget(workspace, user))} of {user} in {workspace}.")
    return 0


def _run_console(app) -> int:
    from .app import attach_adapters, serve

    attach_adapters(app, console=True)
    return asyncio.run(serve(app))


def _run(app) -> int:
    from .app import attach_adapters, serve

    settings = app.settings
    if not (settings.slack_enabled or settings.discord_enabled):
        logging.getLogger("recapbot").info("no Slack or Discord token set: starting the console")
    try:
        attach_adapters(app)
    except ConfigError as exc:  # e.g. stored tokens the configured keys cannot decrypt
        print(f"recapbot: configuration error: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(serve(app))


if __name__ == "__main__":
    sys.exit(main())
