"""Use cases around a member's own recaps: submit, the big-picture question, away, history."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from . import cycles
from .errors import FieldErrors, UserError
from .events import Events, RecapSubmitted
from .digest import agenda_items
from .figures import CheckedFigure, check_figures
from .forms import FIGURING_LABEL, MILESTONES_KEY, QUESTION, TEXT_FIELDS, OtherRecap, RecapForm
from .groups import Groups, Scope
from .model import (
    MAX_REASON_CHARS,
    Actor,
    Away,
    Cycle,
    Feedback,
    Figure,
    Member,
    Milestone,
    QuestionVersion,
    Recap,
    RecapDraft,
    Team,
)
from .parsing import bounded_int, parse_date, shown
from .ports import Clock, FileStore, Repository
from .streaks import streak_at_submit
from .teams import TeamService, upcoming_cycle
from .validation import clean_text

_MAX_AWAY_DAYS = 366


FIGURES = "figures"  # the key of a figure problem in FieldErrors (Slack shows it under the file field)


def validate_draft(draft: RecapDraft) -> RecapDraft:
    """Check every field at once, so a form can show all problems together."""
    errors: dict[str, str] = {}
    cleaned: dict[str, str] = {}
    for spec in TEXT_FIELDS:
        try:
            cleaned[spec.key] = clean_text(getattr(draft, spec.key), spec.label, spec.max_chars,
                                           multiline=spec.multiline)
        except UserError as exc:
            errors[spec.key] = exc.message
    if errors:
        raise FieldErrors(errors)
    result = RecapDraft(**cleaned, figuring_it_out=draft.figuring_it_out, milestones_done=draft.milestones_done,
                        figures=draft.figures)
    if not (result.progress or result.failures or result.questions or result.plan or result.figuring_it_out
            or result.milestones_done):
        raise FieldErrors({
            "progress": "Bring something: progress, what didn't work, a question for the group, a plan, "
                        f"or tick \u201c{FIGURING_LABEL.lower()}\u201d. Nothing was saved."
        })
    return result


@dataclass(frozen=True)
class SubmitResult:
    recap: Recap
    member: Member
    cycle: Cycle
    replaced: bool
    question_changed: bool
    scope: Scope
    figures: int = 0  # figures stored with this submission
    reached: tuple[Milestone, ...] = ()


@dataclass(frozen=True)
class History:
    member: Member
    recaps: list[Recap]
    questions: list[QuestionVersion]
    feedback: list[Feedback] = field(default_factory=list)  # on these recaps


@dataclass
class RecapService:
    _repo: Repository
    clock: Clock
    groups: Groups
    teams: TeamService
    events: Events
    files: FileStore | None = None

    def form(self, actor: Actor, copy_from: str | None = None) -> RecapForm:
        """The recap form of the group the actor means, pre-filled with that membership's question
        or this cycle's answers; `copy_from` (a group id) copies their latest recap there."""
        scope = self.groups.scope(actor)
        team, member = scope.team, scope.member
        cycle = upcoming_cycle(team, self.clock.now())
        current = self._repo.current_question(member.id)
        zone = self.teams.member_zone(member, team)
        previous = self._repo.latest_recap_before(member.id, cycle.meeting_at)
        groups, others = self._elsewhere(actor, team) if scope.groups > 1 else ((), ())
        copied = None
        if copy_from is not None:
            copied = next((o for o in others if str(o.group_id) == str(copy_from)), None)
            if copied is None:
                raise UserError("There is no recap of yours in that group to copy.")
        return RecapForm(
            meeting_local=cycle.meeting_at.astimezone(zone),
            digest_local=cycle.digest_at.astimezone(zone),
            question=current.text if current else "",
            existing=self._repo.get_recap(member.id, cycle.meeting_at),
            group_id=team.id, group_name=team.name, several=scope.groups > 1,
            others=others, copied=copied, groups=groups,
            last_plan=previous.plan if previous else "",
            milestones=tuple(self._repo.milestones(member.id)),
            feedback=tuple(self._repo.feedback_on([previous.id])) if previous else (),
        )

    def _elsewhere(self, actor: Actor, team: Team) -> tuple[tuple[tuple[int, str], ...], tuple[OtherRecap, ...]]:
        """The person's groups (id, name), and their latest recap in each other one."""
        names = {g.id: g.name for g in self.groups.in_workspace(actor.workspace)}
        mine = [m for m in self.groups.memberships(actor.workspace, actor.user_ref) if m.team_id in names]
        found = []
        for other in mine:
            if other.team_id == team.id:
                continue
            latest = self._repo.recent_recaps(other.id, 1)
            if latest:
                found.append(OtherRecap(other.team_id, names[other.team_id], latest[0]))
        return tuple((m.team_id, names[m.team_id]) for m in mine), tuple(found)

    def submit(self, actor: Actor, draft: RecapDraft) -> SubmitResult:
        draft = validate_draft(draft)
        checked = self._check_figures(draft)  # before any write: a bad image stores nothing
        scope = self.groups.scope(actor)
        team, member = scope.team, scope.member
        now = self.clock.now()
        cycle = upcoming_cycle(team, now)
        reached = self._reached(member, draft.milestones_done)  # checked before anything is written

        current = self._repo.current_question(member.id)
        question = draft.question or (current.text if current else "")
        if draft.question and (current is None or current.text != draft.question):
            self._repo.add_question(member.id, draft.question, now)

        latest = self._repo.recent_recaps(member.id, 2, until=cycle.meeting_at)  # this cycle's, and the one before
        existing = latest[0] if latest and latest[0].meeting_at == cycle.meeting_at else None
        previous = next((r for r in latest if r.meeting_at < cycle.meeting_at), None)
        changed = bool(previous and previous.question and question != previous.question)
        streak = existing.streak if existing else streak_at_submit(self._repo, team, member, cycle.meeting_at,
                                                                    previous)
        recap = Recap(
            id=0, team_id=team.id, member_id=member.id, meeting_at=cycle.meeting_at,
            question=question, question_changed=changed,
            progress=draft.progress, failures=draft.failures, questions=draft.questions, plan=draft.plan,
            figuring_it_out=draft.figuring_it_out, late=now >= cycle.digest_at,
            streak=streak, submitted_at=now, updated_at=now,
        )
        stored, replaced = self._repo.save_recap(recap, agenda_items(draft.questions), [m.id for m in reached],
                                                 replacing=existing is not None)
        if checked:
            self._store_figures(stored, checked, now)
        self.events.publish(RecapSubmitted(team, member, stored))
        return SubmitResult(recap=stored, member=member, cycle=cycle, replaced=replaced, question_changed=changed,
                            scope=scope, figures=len(checked), reached=tuple(reached))

    def _reached(self, member: Member, numbers: tuple[int, ...]) -> list[Milestone]:
        """The open milestones ticked in the form, by the numbers shown; a wrong one refuses the form."""
        if not numbers:
            return []
        open_ones = {m.number: m for m in self._repo.milestones(member.id)}
        wrong = [n for n in numbers if n not in open_ones]
        if wrong:
            listed = ", ".join(f"#{n}" for n in sorted(open_ones)) or "none"
            raise FieldErrors({MILESTONES_KEY: f"You have no open milestone {', '.join(f'#{n}' for n in wrong)} "
                                               f"(open: {listed}; `/recap milestones` lists them). Nothing was saved."})
        return [open_ones[n] for n in dict.fromkeys(numbers)]

    def _check_figures(self, draft: RecapDraft) -> list[CheckedFigure]:
        if not draft.figures:
            return []
        if self.files is None:
            raise FieldErrors({FIGURES: "This recapbot keeps no figures (no file store is set up). Nothing was saved."})
        try:
            return check_figures(draft.figures)
        except UserError as exc:
            raise FieldErrors({FIGURES: exc.message}) from None

    def _store_figures(self, recap: Recap, checked: list[CheckedFigure], now: datetime) -> None:
        """The new figures replace the recap's; a file store that fails leaves none half-stored."""
        metas = [Figure(0, recap.id, recap.member_id, recap.team_id, i, c.caption, c.mime, c.width, c.height,
                        len(c.data)) for i, c in enumerate(checked, 1)]
        stored, old = self._repo.replace_figures(recap, metas, now)
        for figure in old:  # first: a new figure may reuse an old one's id
            self.files.delete(figure)
        try:
            for figure, item in zip(stored, checked):
                self.files.put(figure, item.data)
        except Exception:
            self._repo.delete_figures([f.id for f in stored])
            raise

    def figures(self, recap: Recap) -> list[Figure]:
        return self._repo.figures_for([recap.id]).get(recap.id, [])

    # -- the big-picture question ---------------------------------------------
    def _scope(self, who: Actor | Scope) -> Scope:
        """Callers that already resolved the group pass its Scope; others the Actor."""
        return who if isinstance(who, Scope) else self.groups.scope(who)

    def set_question(self, who: Actor | Scope, text: str) -> tuple[QuestionVersion, bool]:
        """Record a new big-picture question (of this membership); returns (current, changed)."""
        cleaned = clean_text(text, "The big-picture question", QUESTION.max_chars, multiline=True)
        if not cleaned:
            raise UserError("Write the question after the command: `/recap question <your big-picture question>`.")
        member = self._scope(who).member
        current = self._repo.current_question(member.id)
        if current is not None and current.text == cleaned:
            return current, False
        return self._repo.add_question(member.id, cleaned, self.clock.now()), True

    def current_question(self, who: Actor | Scope) -> QuestionVersion | None:
        return self._repo.current_question(self._scope(who).member.id)

    # -- away ----------------------------------------------------------------
    def away(self, who: Actor | Scope, words: list[str]) -> Away:
        """`until 2026-12-10 [reason]`, `2026-12-10 [reason]` or `2w [reason]` / `10d` (in one group)."""
        scope = self._scope(who)
        team, member = scope.team, scope.member
        today = self.clock.now().astimezone(self.teams.member_zone(member, team)).date()
        until, reason_words = _away_until(words, today)
        reason = clean_text(" ".join(reason_words), "The reason", MAX_REASON_CHARS)
        if until < today:
            raise UserError(f"{until:%Y-%m-%d} is in the past. Give a date from today on.")
        if (until - today).days > _MAX_AWAY_DAYS:
            raise UserError("You can be away for at most a year at a time.")
        self._repo.end_away(member.id, today)
        return self._repo.add_away(Away(member.id, today, until, reason), self.clock.now())

    def back(self, who: Actor | Scope) -> int:
        scope = self._scope(who)
        team, member = scope.team, scope.member
        today = self.clock.now().astimezone(self.teams.member_zone(member, team)).date()
        return self._repo.end_away(member.id, today)

    # -- history ---------------------------------------------------------------
    def history(self, asker: Actor | Scope, who: str | None, limit: int) -> History:
        """Someone's recaps in the group: their own, or (for the group's members and admins) another's."""
        scope = asker if isinstance(asker, Scope) else self.groups.scope(asker, admins_too=bool(who))
        team = scope.team
        if who:
            member = self.teams.resolve_member(team, who)
        else:
            member = scope.member
        recaps = self._repo.recent_recaps(member.id, limit)
        return History(
            member=member,
            recaps=recaps,
            questions=self._repo.question_history(member.id, 50),
            feedback=self._repo.feedback_on([r.id for r in recaps]) if recaps else [],
        )


_AWAY_SPAN = re.compile(r"(\d+)\s*(d|w|days?|weeks?)", re.IGNORECASE)


def _away_until(words: list[str], today: date) -> tuple[date, list[str]]:
    usage = "Use `/recap away until 2026-12-10 [reason]` or `/recap away 2w [reason]`."
    if not words:
        raise UserError("Say until when. " + usage)
    head, rest = words[0].lower(), words[1:]
    if head == "until":
        if not rest:
            raise UserError("Say until which date. " + usage)
        return parse_date(rest[0]), rest[1:]
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", head):
        return parse_date(head), rest
    match = _AWAY_SPAN.fullmatch(head)
    if match:
        count = bounded_int(match[1], _MAX_AWAY_DAYS)
        days = count * 7 if match[2].lower().startswith("w") else count
        if days < 1:
            raise UserError("Away for at least one day. " + usage)
        if days > _MAX_AWAY_DAYS:
            raise UserError("You can be away for at most a year at a time.")
        # "2w" from a Monday means back on the Monday two weeks later.
        return today + timedelta(days=days - 1), rest
    raise UserError(f"Unknown away period {shown(words[0])}. " + usage)


def meeting_dates(team: Team, start: datetime, count: int) -> list[datetime]:
    """The next `count` meetings from `start` (for listings)."""
    out: list[datetime] = []
    schedule = team.schedule
    if schedule is None:
        return out
    at = start
    for _ in range(count):
        at = cycles.next_meeting(schedule, at, team.skipped)
        out.append(at)
    return out
