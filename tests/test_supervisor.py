"""One part failing does not stop the others: restarts with capped, jittered backoff (no real sleeps)."""
from __future__ import annotations

import asyncio

from bot.supervisor import ADAPTER, RETRYING, SCHEDULER, STOPPED, UP, Backoff, Health, Runner, Supervisor
from tests.fake_sleep import FakeSleep


def test_backoff_doubles_from_one_second_to_five_minutes_and_jitter_only_shortens():
    exact = Backoff(random=lambda: 0.0)
    assert [exact.delay(n) for n in range(12)] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]
    assert exact.delay(10_000) == 300  # no overflow after days of retries
    jittered = Backoff(random=lambda: 1.0)
    assert jittered.delay(0) == 0.75 and jittered.delay(20) == 225


async def test_a_failing_adapter_is_retried_with_backoff_while_the_others_keep_serving():
    gate = FakeSleep()
    attempts = 0
    serving = asyncio.Event()

    async def unreachable():
        nonlocal attempts
        attempts += 1
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 9)")

    async def healthy():
        serving.set()
        await asyncio.Event().wait()

    health = Health()
    stop = asyncio.Event()
    run = asyncio.create_task(Supervisor(health, Backoff(sleep=gate, random=lambda: 0.0)).run(
        [Runner("discord", unreachable), Runner("slack", healthy, ready=serving.wait),
         Runner("scheduler", healthy, kind=SCHEDULER)], stop))
    for _ in range(5):
        await gate.slept.get()
        gate.release()
    await gate.slept.get()
    assert gate.delays == [1, 2, 4, 8, 16, 32] and attempts == 6
    report = health.report()
    assert report["status"] == "ok"  # the scheduler and one adapter are up
    assert report["components"]["slack"] == {"kind": ADAPTER, "state": UP}
    assert report["components"]["scheduler"]["state"] == UP
    discord = report["components"]["discord"]
    assert discord["state"] == RETRYING and discord["retries"] == 6 and discord["retry_in_seconds"] == 32
    assert discord["last_error"] == "ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 9)"
    stop.set()
    assert await run == 0
    assert health.components["slack"].state == STOPPED


async def test_health_is_unavailable_without_an_adapter_up_or_with_the_scheduler_down():
    health = Health()
    health.component("scheduler", SCHEDULER).state = UP
    health.component("discord", ADAPTER).state = RETRYING
    assert not health.ok() and health.report()["status"] == "unavailable"
    health.component("slack", ADAPTER).state = UP
    assert health.ok()
    health.components["scheduler"].state = RETRYING
    assert not health.ok()


async def test_backoff_starts_over_only_after_the_part_stayed_up_a_minute():
    gate = FakeSleep()
    now = [0.0]
    connected, drop = asyncio.Event(), asyncio.Event()
    runs = 0

    async def flaky():
        nonlocal runs
        runs += 1
        if runs in (3, 4):  # connects, then the connection drops
            connected.set()
            await drop.wait()
            drop.clear()
        raise OSError("gone")

    health, stop = Health(), asyncio.Event()
    backoff = Backoff(sleep=gate, random=lambda: 0.0, clock=lambda: now[0])
    run = asyncio.create_task(Supervisor(health, backoff).run([Runner("discord", flaky, ready=connected.wait)], stop))

    async def up_then_drop(seconds: float) -> None:
        for _ in range(100):  # yield until the supervisor has seen it up (no time passes)
            if health.components["discord"].state == UP:
                break
            await asyncio.sleep(0)
        assert health.components["discord"].state == UP
        now[0] += seconds
        connected.clear()
        drop.set()

    for _ in range(2):
        await gate.slept.get()
        gate.release()
    await up_then_drop(5)  # up for 5 s: not long enough to forget the failures
    await gate.slept.get()
    gate.release()
    await up_then_drop(3600)  # up for an hour: the next failure starts over
    await gate.slept.get()
    gate.release()
    await gate.slept.get()
    assert gate.delays == [1, 2, 4, 1, 2]
    stop.set()
    assert await run == 0


async def test_the_console_ending_ends_the_process_and_its_crash_is_exit_1():
    async def retrying_forever():
        raise OSError("unreachable")

    async def console_eof():
        return 0

    async def console_crash():
        raise ValueError("boom")

    never = Backoff(sleep=lambda _delay: asyncio.Event().wait())
    for console, code in ((console_eof, 0), (console_crash, 1)):
        result = await asyncio.wait_for(Supervisor(Health(), never).run(
            [Runner("discord", retrying_forever), Runner("console", console, ends_process=True)]), 5)
        assert result == code
