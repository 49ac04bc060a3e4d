"""Keeps the process's parts running on their own: one failing never stops the others.

Each part (the HTTP server, an adapter, the scheduler) is a `Runner`. A
runner that fails, at start or later, is started again after a backoff that
doubles up to a cap, with jitter so that replicas do not retry in step;
meanwhile the others keep serving and `Health` (behind GET /healthz) says
which part is up, starting, or retrying and why. Only a runner marked
`ends_process` (the console, whose end of input means "quit") ends the
process when it stops.
"""
from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

log = logging.getLogger("recapbot")

ADAPTER, SCHEDULER, SERVER = "adapter", "scheduler", "server"
STARTING, UP, RETRYING, STOPPED = "starting", "up", "retrying", "stopped"


@dataclass
class Runner:
    """A part of the process: `run` serves until cancelled; `ready` resolves once it serves
    (connected, listening); without one the part counts as up as soon as it is started."""

    name: str
    run: Callable[[], Awaitable[object]]
    kind: str = ADAPTER
    ready: Callable[[], Awaitable[object]] | None = None
    ends_process: bool = False

    def __call__(self) -> Awaitable[object]:
        return self.run()


@dataclass
class Backoff:
    """Delays between start attempts: first, first*factor, ... up to cap, each shortened
    by up to `jitter` of itself at random. A part that stayed up for `stable` seconds
    starts over from `first` (one that connects and drops at once does not).
    `sleep`, `random` and `clock` are injectable for tests."""

    first: float = 1.0
    cap: float = 300.0
    factor: float = 2.0
    jitter: float = 0.25
    stable: float = 60.0
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep
    random: Callable[[], float] = random.random
    clock: Callable[[], float] = time.monotonic

    def delay(self, attempt: int) -> float:
        base = min(self.cap, self.first * self.factor ** min(attempt, 64))
        return base * (1 - self.jitter * self.random())


@dataclass
class Component:
    name: str
    kind: str
    state: str = STARTING
    last_error: str | None = None
    retries: int = 0
    retry_in: float | None = None

    def as_dict(self) -> dict:
        data: dict = {"kind": self.kind, "state": self.state}
        if self.last_error is not None:
            data["last_error"] = self.last_error
        if self.retries:
            data["retries"] = self.retries
        if self.state == RETRYING and self.retry_in is not None:
            data["retry_in_seconds"] = round(self.retry_in, 1)
        return data


@dataclass
class Health:
    """The state of every part; healthy while each scheduler and at least one adapter are up."""

    components: dict[str, Component] = field(default_factory=dict)

    def component(self, name: str, kind: str) -> Component:
        return self.components.setdefault(name, Component(name, kind))

    def ok(self) -> bool:
        parts = self.components.values()
        return (all(c.state == UP for c in parts if c.kind == SCHEDULER)
                and any(c.state == UP for c in parts if c.kind == ADAPTER))

    def report(self) -> dict:
        return {"status": "ok" if self.ok() else "unavailable",
                "components": {name: c.as_dict() for name, c in self.components.items()}}


def describe(exc: BaseException) -> str:
    """A short, single-line reason for the health report and the log (no traceback, no body)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:200] if text else type(exc).__name__


class Supervisor:
    def __init__(self, health: Health, backoff: Backoff | None = None):
        self.health = health
        self.backoff = backoff or Backoff()

    async def run(self, runners: Iterable[Callable[[], Awaitable[object]]],
                  stop: asyncio.Event | None = None) -> int:
        """Keep every runner going until `stop` is set or an `ends_process` runner ends.

        Returns 1 if that runner failed, else 0."""
        specs = [r if isinstance(r, Runner) else Runner(getattr(r, "__qualname__", "runner"), r)
                 for r in runners]
        for spec in specs:
            self.health.component(spec.name, spec.kind)
        stop = stop or asyncio.Event()
        tasks = [asyncio.create_task(self._keep(spec), name=f"recapbot:{spec.name}") for spec in specs]
        waiter = asyncio.create_task(stop.wait())
        enders = [t for t, s in zip(tasks, specs) if s.ends_process]
        try:
            done, _ = await asyncio.wait([*enders, waiter], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in [*tasks, waiter]:
                task.cancel()
            await asyncio.gather(*tasks, waiter, return_exceptions=True)
        for task in done:
            if task is not waiter and not task.cancelled() and task.exception():
                log.error("stopped: %s", task.exception(), exc_info=task.exception())
                return 1
        return 0

    async def _keep(self, spec: Runner) -> None:
        component = self.health.component(spec.name, spec.kind)
        attempt = 0
        while True:
            component.state = STARTING
            try:
                up_for, error = await self._once(spec, component, self.backoff.clock)
            except asyncio.CancelledError:
                component.state = STOPPED
                raise
            if spec.ends_process:
                component.state = STOPPED
                if error is not None:
                    component.last_error = describe(error)
                    raise error
                return
            if up_for is not None and up_for >= self.backoff.stable:
                attempt = 0  # it served for a while: the backoff starts over
            error = error or RuntimeError("stopped by itself")
            delay = self.backoff.delay(attempt)
            attempt += 1
            component.state, component.last_error = RETRYING, describe(error)
            component.retries, component.retry_in = component.retries + 1, delay
            log.warning("%s is down (%s); starting it again in %.0f s", spec.name, component.last_error, delay,
                        exc_info=error if log.isEnabledFor(logging.DEBUG) else None)
            await self.backoff.sleep(delay)

    @staticmethod
    async def _once(spec: Runner, component: Component,
                    clock: Callable[[], float]) -> tuple[float | None, Exception | None]:
        """Run until the runner ends: (how long it was up, or None; the error it ended with)."""
        task = asyncio.create_task(spec.run())
        ready = asyncio.create_task(spec.ready()) if spec.ready is not None else None
        try:
            if ready is not None:
                await asyncio.wait([task, ready], return_when=asyncio.FIRST_COMPLETED)
            came_up = not task.done() and (
                ready is None or (ready.done() and not ready.cancelled() and ready.exception() is None))
            up_since = clock() if came_up else None
            if came_up:
                component.state = UP
                if component.retries:
                    log.info("%s is up", spec.name)
            error = None
            try:
                await task
            except Exception as exc:  # noqa: BLE001 - reported and retried by the caller
                error = exc
            return (None if up_since is None else clock() - up_since), error
        finally:
            pending = [t for t in (task, ready) if t is not None and not t.done()]
            for t in pending:
                t.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
