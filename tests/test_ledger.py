"""The exactly-once ledger on each backend: claims, take-overs, releases, missed digests."""
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest

from bot.store.ledger import Ledger
from bot.store.db import make_engine
from tests.conftest import CONSOLE

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=timezone.utc)
MEETING = NOW + timedelta(hours=2)


@pytest.fixture
def ledger(engine):
    return Ledger(engine)


@pytest.fixture
def ids(repo):
    team = repo.create_team(CONSOLE, "Lab", "Europe/Berlin", NOW)
    member = repo.create_member(team.id, "alice", "alice", None, NOW)
    return team.id, member.id


def test_a_digest_is_claimed_once_and_finished_only_by_its_claimer(ledger, ids):
    team_id, _ = ids
    assert ledger.claim_digest(team_id, MEETING, "a", NOW)
    assert not ledger.claim_digest(team_id, MEETING, "b", NOW)
    assert not ledger.finish_digest(team_id, MEETING, "b", NOW, ["x"], "#lab", False)
    assert ledger.finish_digest(team_id, MEETING, "a", NOW, ["C1:1.0", "C1:1.1"], "#lab", True)
    row = ledger.digest_post(team_id, MEETING)
    assert (row.status, row.claimed_by, row.refs, row.posted_late, row.channel) == (
        "posted", "a", ("C1:1.0", "C1:1.1"), True, "#lab")
    assert not ledger.release_digest(team_id, MEETING, "a")  # a posted digest is never given back
    assert not ledger.record_missed(team_id, MEETING, "b", NOW)


def test_a_released_claim_can_be_claimed_again(ledger, ids):
    team_id, _ = ids
    assert ledger.claim_digest(team_id, MEETING, "a", NOW)
    assert not ledger.release_digest(team_id, MEETING, "b")
    assert ledger.release_digest(team_id, MEETING, "a")
    assert ledger.digest_post(team_id, MEETING) is None
    assert ledger.claim_digest(team_id, MEETING, "b", NOW)


def test_only_a_stale_unfinished_claim_is_taken_over_and_by_one_replica(ledger, ids):
    team_id, _ = ids
    ledger.claim_digest(team_id, MEETING, "dead", NOW)
    later = NOW + timedelta(minutes=5)
    assert not ledger.take_over(team_id, MEETING, "b", later, cutoff=later - timedelta(minutes=10))
    later = NOW + timedelta(minutes=11)
    cutoff = later - timedelta(minutes=10)
    with ThreadPoolExecutor(4) as pool:
        won = list(pool.map(lambda r: ledger.take_over(team_id, MEETING, r, later, cutoff), ["b", "c", "d", "e"]))
    assert won.count(True) == 1
    winner = ledger.digest_post(team_id, MEETING).claimed_by
    assert winner in "bcde" and not ledger.finish_digest(team_id, MEETING, "dead", later, [], None, False)
    assert ledger.finish_digest(team_id, MEETING, winner, later, ["r"], None, True)
    assert not ledger.take_over(team_id, MEETING, "f", later + timedelta(hours=1), later + timedelta(minutes=30))


def test_concurrent_claims_from_two_engines_let_exactly_one_in(db_url, ids):
    engines = [make_engine(db_url) for _ in range(2)]
    ledgers = [Ledger(e) for e in engines]
    team_id, _ = ids
    try:
        for week in range(10):
            meeting = MEETING + timedelta(weeks=week)
            with ThreadPoolExecutor(2) as pool:
                won = list(pool.map(lambda i: ledgers[i].claim_digest(team_id, meeting, str(i), NOW), [0, 1]))
            assert won.count(True) == 1
    finally:
        for e in engines:
            e.dispose()


def test_a_missed_digest_is_recorded_once_and_never_claimed_after(ledger, ids):
    team_id, _ = ids
    assert ledger.record_missed(team_id, MEETING, "a", NOW)
    assert not ledger.claim_digest(team_id, MEETING, "b", NOW)
    assert ledger.digest_post(team_id, MEETING).status == "missed"


def test_a_reminder_is_claimed_once_per_member_and_meeting(ledger, ids):
    _, member_id = ids
    assert ledger.claim_reminder(member_id, MEETING, NOW)
    assert not ledger.claim_reminder(member_id, MEETING, NOW)
    assert ledger.reminded(MEETING, [member_id, 999]) == {member_id: NOW}
    assert ledger.release_reminder(member_id, MEETING, NOW)
    assert ledger.claim_reminder(member_id, MEETING, NOW)
    assert ledger.claim_reminder(member_id, MEETING + timedelta(weeks=1), NOW)


def test_a_late_update_version_is_claimed_once(ledger, repo, ids):
    from bot.core.model import Recap

    team_id, member_id = ids
    recap, _ = repo.save_recap(Recap(
        id=0, team_id=team_id, member_id=member_id, meeting_at=MEETING, question="", question_changed=False,
        progress="p", failures="", questions="", figuring_it_out=False, late=True, streak=1,
        submitted_at=NOW, updated_at=NOW))
    assert ledger.claim_late_update(recap.id, recap.updated_at, NOW)
    assert not ledger.claim_late_update(recap.id, recap.updated_at, NOW)
    assert ledger.claim_late_update(recap.id, recap.updated_at + timedelta(seconds=1), NOW)


def test_each_digest_part_is_recorded_once_and_only_while_the_claim_is_ours(ledger, ids):
    team_id, _ = ids
    key = "digest:1:20261123T0900Z"
    ledger.claim_digest(team_id, MEETING, "a", NOW)
    later = NOW + timedelta(minutes=3)
    assert ledger.record_digest_part(team_id, MEETING, "a", key, 0, "C1:1.0", later)
    assert ledger.digest_post(team_id, MEETING).claimed_at == later  # progress keeps the claim fresh
    assert not ledger.record_digest_part(team_id, MEETING, "a", key, 0, "C1:9.9", later)  # part 0 is out
    assert not ledger.record_digest_part(team_id, MEETING, "b", key, 1, "C1:1.1", later)  # not b's claim
    assert ledger.record_digest_part(team_id, MEETING, "a", key, 1, "C1:1.1", later)
    assert ledger.record_digest_part(team_id, MEETING, "a", key, 3, "C1:1.3", later)
    assert ledger.parts(key) == ["C1:1.0", "C1:1.1"]  # a part after a gap is not "out in order"
    assert ledger.release_digest(team_id, MEETING, "a")
    assert ledger.parts(key)[:2] == ["C1:1.0", "C1:1.1"]  # giving the claim back keeps what is out


def test_a_failed_digest_keeps_its_reason_and_is_never_claimed_again(ledger, ids):
    team_id, _ = ids
    ledger.claim_digest(team_id, MEETING, "a", NOW)
    assert not ledger.fail_digest(team_id, MEETING, "b", "k", "not_in_channel", NOW)
    assert ledger.fail_digest(team_id, MEETING, "a", "k", "not_in_channel", NOW)
    assert ledger.digest_post(team_id, MEETING).status == "failed"
    assert ledger.failed(["k", "other"]) == {"k": "not_in_channel"}
    assert not ledger.claim_digest(team_id, MEETING, "b", NOW)
    assert not ledger.take_over(team_id, MEETING, "b", NOW + timedelta(hours=1), NOW + timedelta(minutes=50))


def test_a_reminder_counts_as_settled_once_its_message_is_recorded(ledger, ids):
    """member_reminders builds the reminder's post key in SQL: it must match scheduling's."""
    from bot.scheduling.posting import reminder_key

    team_id, member_id = ids
    before = NOW - timedelta(hours=1)
    assert ledger.claim_reminder(member_id, MEETING, before)
    [member], _ = ledger.member_reminders(before)
    assert (member.team_id, member.reminders) == (team_id, {MEETING: False})  # claimed, not sent yet
    assert ledger.record_reminder_part(member_id, MEETING, before, reminder_key(member_id, MEETING), team_id, 0,
                                       "D1:1.0", before)
    [member], _ = ledger.member_reminders(before)
    assert member.reminders == {MEETING: True}
    [member], _ = ledger.member_reminders(MEETING)  # only meetings still to come count
    assert member.reminders == {}
