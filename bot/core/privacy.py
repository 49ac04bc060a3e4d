"""A person's own data, out (export) or gone (forget-me); a workspace's data for its admins.

The store hands over rows as they are kept, table by table, following foreign
keys from the person's membership (see `store.repo._owned`), so an export is
complete by construction and a table added later is exported and forgotten
without a change here. This module only labels and formats those rows.
"""
from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from .errors import UserError
from .model import Workspace
from .ports import Clock, Repository
from .replies import FileAttachment

FORMAT = "recapbot-export/1"
FORGET = "forget-me"
DELETE_GROUP = "delete-group-"  # + the group's id
_ACTION = re.compile(r"forget-me|delete-group-\d{1,12}")
# A confirmation button older than this does nothing: the person asks again and sees fresh counts.
CONFIRM_TTL = timedelta(minutes=15)

# What each kind of row is called, singular and plural; other tables show their own name.
KINDS: dict[str, tuple[str, str]] = {
    "teams": ("group", "groups"),
    "members": ("membership", "memberships"),
    "recaps": ("recap", "recaps"),
    "recap_figures": ("figure", "figures"),
    "figure_files": ("figure image", "figure images"),
    "member_questions": ("big-picture question version", "big-picture question versions"),
    "milestones": ("milestone", "milestones"),
    "group_questions": ("question for the group", "questions for the group"),
    "question_answers": ("question marked answered", "questions marked answered"),
    "recap_feedback": ("piece of feedback", "pieces of feedback"),
    "away_periods": ("away period", "away periods"),
    "reminder_sends": ("reminder sent", "reminders sent"),
    "late_update_posts": ("late update posted", "late updates posted"),
    "skipped_meetings": ("skipped meeting", "skipped meetings"),
    "digest_posts": ("digest posted", "digests posted"),
    "message_parts": ("message sent", "messages sent"),
    "post_failures": ("failed post", "failed posts"),
    "teams.admins": ("place in a group's admin list", "places in groups' admin lists"),
    "slack_installations.user_id": ("installer entry of a Slack installation",
                                    "installer entries of Slack installations"),
}
# Columns that only link rows to each other: left out of the Markdown (the JSON keeps them).
_LINKS = {"id", "team_id", "member_id", "recap_id", "question_id"}


def label(kind: str, count: int = 2) -> str:
    singular, plural = KINDS.get(kind, (f"{kind} row", f"{kind} rows"))
    return singular if count == 1 else plural


def describe_counts(counts: dict[str, int]) -> str:
    """'3 recaps, 1 away period and 1 membership'."""
    known = list(KINDS)
    ordered = sorted(counts.items(), key=lambda item: known.index(item[0]) if item[0] in known else len(known))
    parts = [f"{n} {label(kind, n)}" for kind, n in ordered if n]
    if len(parts) < 2:
        return "".join(parts) or "nothing"
    return ", ".join(parts[:-1]) + " and " + parts[-1]


@dataclass
class Privacy:
    _repo: Repository
    clock: Clock

    # -- export ------------------------------------------------------------------
    def export_person(self, workspace: Workspace, user_ref: str) -> tuple[FileAttachment, ...] | None:
        """Everything stored about one person in one workspace, as JSON and Markdown; None if nothing."""
        records = self._repo.user_records(workspace, user_ref)
        if not records:
            return None
        now = self.clock.now()
        teams = {team.id: team for team in self._repo.workspace_teams(workspace)}
        name = records["members"][-1]["display_name"]
        document = {
            "format": FORMAT, "exported_at": now, "workspace": workspace.key, "user": user_ref,
            "teams": [{"id": m["team_id"], "name": teams[m["team_id"]].name,
                       "admin": user_ref in teams[m["team_id"]].admins} for m in records["members"]],
            "records": records,
        }
        lines = [f"# recapbot export: {name}", "",
                 f"Everything recapbot stores about you in workspace `{workspace}`, exported {_text(now)}. "
                 "The JSON file holds the same rows exactly as stored.", ""]
        lines += _sections(records, "##")
        return _files(f"{workspace}-{user_ref}", now, document, lines)

    def export_workspace(self, workspace: Workspace) -> tuple[FileAttachment, ...]:
        """A whole workspace for its admins: its teams and every member's rows."""
        team_rows = self._repo.workspace_records(workspace)
        if not team_rows:
            raise UserError(f"No team in workspace {workspace.key!r}.")
        now = self.clock.now()
        refs = list(dict.fromkeys(m.user_ref for team in self._repo.workspace_teams(workspace)
                                  for m in self._repo.list_members(team.id)))
        people = [{"user": ref, "records": self._repo.user_records(workspace, ref)} for ref in refs]
        document = {"format": FORMAT, "exported_at": now, "workspace": workspace.key,
                    "records": team_rows, "members": people}
        lines = [f"# recapbot export of workspace `{workspace}`", "",
                 f"Exported {_text(now)}: the workspace's teams, then each member's rows. "
                 "The JSON file holds the same rows exactly as stored.", ""]
        lines += _sections(team_rows, "##")
        for person in people:
            name = person["records"]["members"][-1]["display_name"]
            lines += [f"## Member {name} (`{person['user']}`)", ""]
            lines += _sections(person["records"], "###")
        return _files(workspace.key, now, document, lines)

    # -- forget-me ----------------------------------------------------------------
    def forget_preview(self, workspace: Workspace, user_ref: str) -> dict[str, int]:
        return self._repo.count_user_records(workspace, user_ref)

    def forget(self, workspace: Workspace, user_ref: str) -> dict[str, int]:
        return self._repo.forget_user(workspace, user_ref)

    # -- retention ------------------------------------------------------------------
    def delete_recaps_before(self, cutoff: datetime) -> dict[str, int]:
        """Recaps of meetings before `cutoff`, with what hangs off them (RECAPBOT_RETENTION_DAYS)."""
        return self._repo.delete_recaps_before(cutoff)

    # -- confirmations ------------------------------------------------------------
    def confirmation(self, action: str) -> str:
        """The token a confirm button carries: the action and when it was asked."""
        return f"{action}:{int(self.clock.now().timestamp())}"

    def confirmed(self, token: str) -> str:
        """The action of a confirmation still within CONFIRM_TTL, else a UserError."""
        action, _, issued = token.partition(":")
        if not _ACTION.fullmatch(action) or not (issued.isascii() and issued.isdigit()) or len(issued) > 12:
            from .texts import NOT_OUR_BUTTON  # here: texts imports this module
            raise UserError(NOT_OUR_BUTTON)
        age = self.clock.now() - datetime.fromtimestamp(int(issued), timezone.utc)
        if not timedelta(minutes=-5) <= age <= CONFIRM_TTL:
            again = f"/recap {action}" if action == FORGET else "/recap group delete NAME"
            raise UserError(f"That confirmation expired; nothing was done. Run `{again}` again.")
        return action


# ------------------------------------------------------------------ formatting
def _value(value: Any) -> Any:
    if isinstance(value, (bytes, memoryview)):  # a figure's image: the JSON holds it whole
        return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot export {type(value).__name__}")


def _text(value: Any) -> str:
    if isinstance(value, (bytes, memoryview)):
        return f"{len(value):,} bytes (in the JSON file, base64)"
    if isinstance(value, datetime):
        return f"{value.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _sections(records: dict[str, list[dict[str, Any]]], level: str) -> list[str]:
    lines: list[str] = []
    for kind, rows in records.items():
        lines += [f"{level} {label(kind).capitalize()} ({len(rows)})", ""]
        for row in rows:
            fields = [(key, value) for key, value in row.items() if key not in _LINKS and value not in (None, "")]
            first = True
            for key, value in fields:
                text = _text(value).replace("\n", "\n    ")
                lines.append(("- " if first else "  ") + f"{key.replace('_', ' ')}: {text}")
                first = False
        lines.append("")
    return lines


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:60] or "export"


def _files(name: str, now: datetime, document: dict, lines: list[str]) -> tuple[FileAttachment, ...]:
    base = f"recapbot-{_slug(name)}-{now.astimezone(timezone.utc):%Y%m%d-%H%M%S}"
    body = json.dumps(document, default=_value, ensure_ascii=False, indent=2) + "\n"
    return (FileAttachment(base + ".json", body.encode("utf-8"), "application/json"),
            FileAttachment(base + ".md", "\n".join(lines).rstrip("\n").encode("utf-8") + b"\n", "text/markdown"))
