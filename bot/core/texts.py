"""The words of the bot's replies, kept apart from the logic that picks them.

Adapters take their sentences from here (and the form's field words from
forms.py) and only add what is truly their platform's: a button, an emoji,
how a modal is reopened.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from .delivery import PermanentPostError
from .forms import FEEDBACK_ON_LAST, FIGURING_LABEL, LAST_PLAN, RecapForm, answers
from .model import WEEKDAYS, Away, DigestEntry, Feedback, Member, Milestone, Recap, Team
from .parsing import format_duration
from .privacy import describe_counts

if TYPE_CHECKING:  # only their shapes: texts is imported by the services these live beside
    from .digest import Participation
    from .group_questions import OpenQuestions
    from .milestones import Milestones
    from .recaps import History, SubmitResult
    from .search import SearchResults

# Shown by every adapter when something unexpected fails (core/guard.py logs the traceback).
SOMETHING_WENT_WRONG = ("Something went wrong on our side; nothing you typed was lost. "
                        "Please try again in a moment.")
# A command beyond the backlog (bot/adapters/backlog.py): it was not run, so it is safe to repeat.
BUSY = ("I have more requests than I can handle right now, so I did not run that one: nothing was done "
        "or changed. Please try again in a moment.")
# A button or form whose id we did not make (forged, or from another app): refused, nothing changed.
NOT_OUR_BUTTON = "That button is not one of recapbot's; nothing was done."
NOT_OUR_FORM = "That form is not one of recapbot's; nothing was saved."
NOT_VALID_TEXT = "That line was not valid text (it is not UTF-8); nothing was done. Please type it again."
WRITE_RECAP = "Write my recap"
EDIT_RECAP = "Edit my recap"
FIX_RECAP = "Fix my recap"
NOT_SAVED = "Nothing was saved yet:"
GIVE_FEEDBACK = "Give feedback"  # the button under each member's part of a posted digest
ANSWERED = "Answered"  # the button (or select) that closes a question of the agenda
FEEDBACK_PROMPT = "Your feedback"
FEEDBACK_PLACEHOLDER = "What stood out, what to try next; the member sees your name with it"
FORM_REPLACING = "You already sent a recap for this meeting: your answers are pre-filled and will be replaced."
SUBMIT_USAGE = ('/recap submit --question "..." --progress "..." --failures "..." --questions "..." '
                '--plan "..." [--done N] [--figuring-it-out]')


def settings_refusal(platform_admins: str = "workspace admins") -> str:
    """Who may change a team's settings; `platform_admins` is how the platform calls its admins."""
    return (f"Only {platform_admins} or this team's admins can change these settings. "
            "Ask one of them if something should change.")


def form_intro(form: RecapForm) -> str:
    group = f"**{form.group_name}**'s meeting" if form.several and form.group_name else "the meeting"
    text = f"Recap for {group} on **{when(form.meeting_local)}**. The digest goes out {when(form.digest_local)}."
    if form.copied is not None:
        text += f" Copied from your latest recap in {form.copied.group_name}: change what differs."
    return text


def copy_label(name: str) -> str:
    """The button or option that copies the person's latest recap from another group."""
    return f"Copy my recap from {name}"[:75]


def form_feedback(feedback: tuple[Feedback, ...]) -> list[str]:
    """At the top of the form: what the group said about the member's last recap."""
    return [f"**{FEEDBACK_ON_LAST}** (from {f.giver}): {f.text}" for f in feedback]


def form_last_plan(plan: str) -> str:
    """Above progress in the form."""
    return f"**{LAST_PLAN}:** {plan}"


def reminder(team: Team, member: Member, meeting_local: datetime) -> str:
    """The reminder DM; each platform adds its own way to open the form."""
    return (f"Hi {member.display_name}! The digest for **{team.name}**'s meeting on {when(meeting_local)} "
            "goes out soon and your recap is not in yet.")


def when(moment: datetime) -> str:
    """'Mon 30 Nov 2026, 10:00 CET' in the moment's own zone."""
    return f"{WEEKDAYS[moment.weekday()]} {moment:%d %b %Y, %H:%M} {moment.tzname()}"


def relative(moment: datetime, now: datetime) -> str:
    delta = moment - now
    future = delta >= timedelta(0)
    delta = abs(delta)
    if delta < timedelta(minutes=1):
        return "now"
    if delta < timedelta(hours=1):
        span = f"{int(delta.total_seconds() // 60)} min"
    elif delta < timedelta(days=2):
        span = f"{int(delta.total_seconds() // 3600)} h"
    else:
        span = f"{delta.days} days"
    return f"in {span}" if future else f"{span} ago"


def day(d) -> str:
    """'Fri 15 Jan 2027'."""
    return f"{WEEKDAYS[d.weekday()]} {d:%d %b %Y}"


def milestone_line(m: Milestone, today=None) -> str:
    """'#2 Reproduce the baseline on 3 seeds, due Fri 15 Jan 2027'; past its date, said gently."""
    if m.done_at is not None:
        return f"#{m.number} {m.title} (reached {day(m.done_at.date())})"
    if today is not None and m.due < today:
        return f"#{m.number} {m.title}, was due {day(m.due)} (past its date)"
    return f"#{m.number} {m.title}, due {day(m.due)}"


def milestone_notes(entry: DigestEntry) -> list[str]:
    """Under a member's part of a digest: milestones reached since the last meeting, and the next
    due; one past its date is said to be so, gently."""
    notes = [f"Milestone reached: {m.title}" for m in entry.reached]
    if entry.next_due is not None:
        m = entry.next_due
        meeting_day = entry.recap.meeting_at.date()
        when_due = f"was due {day(m.due)}, past its date" if m.due < meeting_day else f"due {day(m.due)}"
        notes.append(f"Next milestone: {m.title} ({when_due})")
    return notes


@lru_cache(maxsize=64)  # a digest carries many questions from the same few meetings
def carried_note(carried_from) -> str:
    return f"carried over from {day(carried_from)}"


def milestones(listing: Milestones, mine: bool, today) -> str:
    name = "Your" if mine else f"{listing.member.display_name}'s"
    if not listing.open and not listing.reached:
        hint = ' Add one with `/recap milestone add "..." by YYYY-MM-DD`.' if mine else ""
        return f"{name} milestones: none yet.{hint}"
    lines = [f"**{name} open milestones**" if listing.open else f"**{name} milestones**: none open."]
    lines += [f"- {milestone_line(m, today)}" for m in listing.open]
    if listing.reached:
        lines.append("**Reached lately**")
        lines += [f"- {milestone_line(m)}" for m in listing.reached]
    if mine and listing.open:
        lines.append("`/recap milestone done N` when you reach one (or tick it in your recap); "
                     "`/recap milestone drop N` if it no longer applies.")
    return "\n".join(lines)


def milestone_added(m: Milestone) -> str:
    return (f"Milestone #{m.number} added: {m.title}, due {day(m.due)}. Your recap form lists it until you "
            "tick it; the digest shows your next one due.")


def _question_line(q, zone) -> str:
    asked = q.meeting_at.astimezone(zone).date()
    return f"- #{q.number} {q.text} ({q.asker}, for the meeting on {day(asked)})"


def open_questions(listing: OpenQuestions, zone) -> str:
    name = listing.team.name
    if not listing.carried and not listing.still_open:
        return f"{name} has no open questions. Questions for the group in recaps appear here until answered."
    lines = [f"**Open questions of {name}** (on the coming agenda)" if listing.carried else
             f"**Open questions of {name}**: none on the coming agenda."]
    lines += [_question_line(q, zone) for q in listing.carried]
    if listing.still_open:
        lines.append("**Still open** (no longer carried into the agenda)")
        lines += [_question_line(q, zone) for q in listing.still_open]
    lines.append("`/recap answered N [note]` closes one; the digest's Answered buttons do too.")
    return "\n".join(lines)


def question_answered(q) -> str:
    note = f" Note: {q.note}" if q.note else ""
    return f"Question #{q.number} ({q.text}) is marked answered; it will not be carried into the next agenda.{note}"


def feedback_given(author: str) -> str:
    return f"Thanks! {author} gets your feedback in a direct message and sees it at the top of their next recap."


def feedback_dm(team_name: str, giver: str, meeting_local: datetime, text: str) -> str:
    """The direct message to the member whose recap got feedback."""
    return (f"**{giver}** gave feedback on your recap for **{team_name}**'s meeting on {when(meeting_local)}:\n"
            f"{text}\n_It is also in your App Home (Slack), at the top of your next recap form and in "
            "`/recap history`._")


def search_results(results: SearchResults, zone) -> str:
    from .search import describe, marked  # the search module imports this one

    page = f", page {results.page}" if results.page > 1 else ""
    if not results.hits:
        more = " on this page" if results.page > 1 else ""
        return f"Nothing found for {results.text}{more} in {results.team.name}'s recaps, feedback and answered questions."
    lines = [f"**Search: {results.text}** in {results.team.name}{page}"]
    first = (results.page - 1) * 10 + 1
    for i, hit in enumerate(results.hits, first):
        meeting = hit.meeting_at.astimezone(zone)
        lines.append(f"{i}. **{describe(hit, results.names)}**, meeting {day(meeting.date())}: {marked(hit.snippet)}")
    if results.more:
        lines.append(f"More: add `--page {results.page + 1}`.")
    return "\n".join(lines)


def describe_away(away: Away) -> str:
    back = away.until + timedelta(days=1)
    text = f"away until {away.until:%a %d %b %Y} (back {back:%a %d %b})"
    return text + (f": {away.reason}" if away.reason else "")


# What an admin does about a post the platform refuses for good (core.delivery FIX_* kinds).
POST_FIXES = {
    "invite": "invite recapbot to {where} (type `/invite @recapbot` in that channel)",
    "channel": "{where} is gone, archived or not in this workspace: choose another channel with "
               "`/recap setup channel=#...`",
    "permission": "let recapbot see {where}, post there and post in its threads",
    "reinstall": "recapbot's access to this workspace was revoked or has expired: reinstall the app",
}


def digest_not_posted(team_name: str, meeting_local: datetime, error: PermanentPostError) -> str:
    """The direct message to a team's admins when the platform refuses its digest for good."""
    where = error.where or "the digest channel"
    fix = POST_FIXES.get(error.fix, "check the digest channel with `/recap setup`").format(where=where)
    return (f"The digest of **{team_name}** for the meeting on {when(meeting_local)} could not be posted "
            f"in {where} (`{error.reason}`), and trying again will not help. To fix it, {fix}. "
            "The next digests go out as usual once that is done.")


def late_update_not_posted(meeting_local: datetime, error: PermanentPostError | None = None) -> str:
    """The direct message to a member whose late update was never threaded under the digest."""
    why = ("the meeting began before it could be posted" if error is None else
           f"recapbot cannot post in the team's channel (`{error.reason}`); the team's admins are the ones to fix it")
    return (f"Your late update for the meeting on {when(meeting_local)} could not be posted: {why}. "
            "Your recap itself is saved; `/recap history` shows it.")


def submitted(result: SubmitResult, now: datetime, zone) -> str:
    meeting = result.cycle.meeting_at.astimezone(zone)
    digest = result.cycle.digest_at.astimezone(zone)
    verb = "Updated your recap" if result.replaced else "Thanks! Your recap is in"
    text = f"{verb} for the meeting on **{when(meeting)}**."
    if result.recap.late:
        text += " The digest already went out, so it is marked as a **late update**."
    else:
        text += f" The digest goes out {when(digest)} ({relative(digest, now)})."
    if result.question_changed:
        text += " Your big-picture question changed since your last recap; the digest will say so."
    if result.figures:
        text += f" {result.figures} figure{'s' if result.figures > 1 else ''} attached."
    return text


def status(team: Team, part: Participation, me: Member | None, now: datetime, zone) -> str:
    cycle = part.cycle
    lines = [
        f"**Next meeting:** {when(cycle.meeting_at.astimezone(zone))} ({relative(cycle.meeting_at, now)})",
        f"**Digest:** {when(cycle.digest_at.astimezone(zone))} ({relative(cycle.digest_at, now)})"
        + (f" in {team.channel}" if team.channel else " (no digest channel set yet)"),
    ]
    written = [m.display_name for m in part.members if m.id in part.written]
    lines.append(f"**Submitted ({len(written)} of {len(part.expected)}):** " + (", ".join(written) or "nobody yet"))
    lines.append("**Not yet submitted:** " + (", ".join(m.display_name for m in part.missing) or "nobody, everyone is in"))
    away = [m for m in part.members if m.id in part.away and m.id not in part.written]
    if away:
        lines.append("**Away:** " + ", ".join(f"{m.display_name} (until {part.away[m.id].until:%a %d %b})" for m in away))
    if me is None:
        lines.append(f"You are not a member of {team.name} (you see this as an admin).")
    elif me.id in part.written:
        lines.append("You're in. `/recap` lets you edit your recap until the digest goes out.")
    elif me.id in part.away:
        lines.append(f"You are {describe_away(part.away[me.id])}. `/recap back` ends it.")
    else:
        lines.append("You have not submitted yet: `/recap` opens the form.")
    return "\n".join(lines)


def history(result: History, zone) -> str:
    name = result.member.display_name
    if not result.recaps and not result.questions:
        return f"{name} has no recaps yet."
    lines = [f"**History of {name}** (last {len(result.recaps)} recaps)"]
    for recap in result.recaps:
        meeting = recap.meeting_at.astimezone(zone)
        marks = []
        if recap.question_changed:
            marks.append("question changed")
        if recap.late:
            marks.append("late")
        head = f"\n**{when(meeting)}**" + (f" _({', '.join(marks)})_" if marks else "")
        lines.append(head)
        lines.extend(_recap_lines(recap, tuple(f for f in result.feedback if f.recap_id == recap.id)))
    if result.questions:
        lines.append("\n**How the big-picture question evolved**")
        for version in result.questions:
            lines.append(f"- {version.set_at.astimezone(zone):%Y-%m-%d}: {version.text}")
    return "\n".join(lines)


def _recap_lines(recap: Recap, feedback: tuple[Feedback, ...] = ()) -> list[str]:
    out = [f"- {spec.title}: {value}" for spec, value in answers(recap)]
    if recap.figuring_it_out:
        out.append(f"- {FIGURING_LABEL}")
    out += [f"- Feedback from {f.giver}: {f.text}" for f in feedback]
    return out


def saved(team: Team, admin_names: dict[str, str] | None = None) -> str:
    return "Saved.\n" + settings(team, admin_names)


def settings(team: Team, admin_names: dict[str, str] | None = None) -> str:
    """The team's settings; admins as "name (id)" when their names are given."""
    s = team.schedule
    lines = [f"**Settings for {team.name}**"]
    lines.append(f"- channel: {team.channel or '(not set)'}")
    if s:
        lines.append(f'- meeting: "{WEEKDAYS[s.weekday]} {s.at:%H:%M}"')
        lines.append(f"- every: {s.every_weeks}" + (f" (anchored on {s.anchor})" if s.every_weeks > 1 and s.anchor else ""))
        lines.append(f"- digest-lead: {format_duration(s.digest_lead)}")
        lines.append(f"- reminder-lead: {format_duration(s.reminder_lead)}")
    else:
        lines.append("- meeting: (not set)")
    lines.append(f"- tz: {team.timezone}")
    lines.append(f"- north-star: {team.north_star or '(not set)'}")
    names = admin_names or {}
    admins = ", ".join(f"{names[ref]} ({ref})" if ref in names else ref for ref in team.admins)
    lines.append(f"- admins: {admins or '(workspace admins only)'}")
    if team.member_role:
        lines.append(f"- members: everyone with the role <@&{team.member_role}> joins on first use")
    return "\n".join(lines)


# -- export and forget-me ------------------------------------------------------------
NOTHING_STORED = "recapbot stores nothing about you in this workspace."
EXPORT_NOTE = ("Your data from recapbot in this workspace: every row stored about you, as JSON (exactly as "
               "stored) and as Markdown (to read).")
FORGET_CONFIRM_LABEL = "Delete my data"
FORGET_CANCELLED = "Nothing was deleted."


def forget_question(counts: dict[str, int]) -> str:
    return (f"**Delete everything recapbot stores about you in this workspace?** That is {describe_counts(counts)}. "
            "Digests not yet posted will leave you out. This cannot be undone; `/recap export` first "
            "if you want a copy.")


def forgotten(counts: dict[str, int]) -> str:
    return (f"Done: deleted {describe_counts(counts)}. Digests not yet posted leave you out. "
            "Messages already posted in the chat stay there. Using recapbot again makes you a member afresh.")



# -- groups ----------------------------------------------------------------------------
JOIN_LABEL = "Join"
JOIN_WRITE_LABEL = "Join and write my recap"
PICK_GROUP = "Which group is this recap for?"


def groups_list(groups: list[Team], counts: dict[int, int], mine: set[int]) -> str:
    if not groups:
        return ("This workspace has no recap group yet. An admin creates one with `/recap setup` in the group's "
                'channel, or `/recap group new "Name" channel=#...`.')
    lines = [f"**Groups in this workspace ({len(groups)})**"]
    for g in groups:
        meeting = g.schedule.describe() if g.schedule else "no meeting time yet"
        n = counts.get(g.id, 0)
        lines.append(f"- **{g.name}**: {g.channel or 'no channel'}, {meeting}, {n} member{'s' if n != 1 else ''}"
                     + (" (you are in it)" if g.id in mine else ""))
    lines.append("`/recap join NAME` joins one; `/recap leave NAME` leaves it.")
    return "\n".join(lines)


def joined(team: Team, again: bool = True) -> str:
    if not again:
        return f"You are already a member of **{team.name}**."
    return (f"You are now a member of **{team.name}**: you get its reminders and your recaps go to its digest"
            + (f" in {team.channel}." if team.channel else ".") + " `/recap` writes your recap.")


def left(team: Team) -> str:
    return (f"You left **{team.name}**: no more reminders, and its digests leave you out. Your recaps stay; "
            f"`/recap join {team.name}` takes you back.")


def created(team: Team) -> str:
    where = f" for {team.channel}" if team.channel else ""
    return (f"Created the group **{team.name}**{where}; you are its first member. People join with "
            f"`/recap join` in its channel; `/recap group delete {team.name}` undoes this.")


def delete_group_question(team: Team, counts: dict[str, int]) -> str:
    return (f"**Delete the group {team.name}?** Its settings, members and everything written in it go: "
            f"{describe_counts(counts)}. This cannot be undone; members can `/recap export` their data first.")


def group_deleted(name: str, counts: dict[str, int]) -> str:
    return f"Deleted the group **{name}**: {describe_counts(counts)} went with it."


def people_added(team: Team, added: list[str], already: list[str]) -> str:
    text = (f"Added to **{team.name}**: {', '.join(added)}." if added else f"Nobody new in **{team.name}**.")
    if already:
        text += f" Already members: {', '.join(already)}."
    return text


def people_removed(team: Team, removed: list[str]) -> str:
    if not removed:
        return f"Nobody was removed from **{team.name}**: they were not members."
    return f"Removed from **{team.name}**: {', '.join(removed)}. Their recaps stay."


# -- the rolling deck (core/deck.py) ----------------------------------------------
DECK_FILE_SENT = "Your deck is in your direct messages with recapbot, as a PowerPoint file."
LINK_REFUSED = ("Get a new link with `/recap deck` in your group's chat (`/recap deck me` for only your "
                "slides). Links expire after a few days, and when the bot's secret key changes.")


def deck_link(url: str, expires: datetime, mine: bool) -> str:
    what = "your own slides" if mine else "your group's rolling deck"
    return (f"**Here is {what}:** {url}\n"
            f"The link is for you: anyone who has it can open it until {when(expires)}. "
            "`/recap deck` gives a new one; `/recap deck pptx` sends the deck as a PowerPoint file.")


def deck_file_note(mine: bool) -> str:
    return ("Your own slides" if mine else "Your group's rolling deck") + \
        ", newest meeting first: an agenda slide per meeting, then a slide per member."


def figures_note(count: int) -> str:
    """Under a recap whose figures a chat cannot show (the bot has no public https address)."""
    return f"{count} figure{'s' if count > 1 else ''}: see them in the deck (/recap deck)."


NOTHING_PICKED = "Nothing was picked; nothing changed."
