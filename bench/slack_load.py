"""Slack under sustained load: recapbot against a bare Bolt app, side by side in one run.

Three kinds of process, each its own: the fake Slack Web API (tests/slack/fake_slack.py), a
bare slack-bolt AsyncApp in HTTP mode whose one `/recap` listener only acks (the floor), and
`recapbot run` (HTTP mode, a migrated SQLite file, one group whose members are the people
typing). Load generators (separate processes, aiohttp with a connection limit) keep
50 and then 200 signed `/recap status` requests in flight for 30 s (closed loop) against
each, the bare app first, then recapbot, for 3 repetitions. Reported: ack throughput,
ack p50/p99, recapbot / bare ratios, and for recapbot every deferred answer (the post to
the command's response_url that the fake receives), its delay from the request, and how
many never came. Targets (issue 12): throughput >= 0.8x bare, ack p99 <= 2x bare, every
answer within 3 s at 50 concurrent. `--quick` runs 5 s per measurement. Loopback only.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "slack"))

TEAM, TOKEN, CHANNEL = "T0LOAD", "xoxb-T0LOAD-bench", "C0LOAD"
PEOPLE = 50  # the group's members, all typing: each request is the next person (a lab-sized group)
TARGET_THROUGHPUT, TARGET_P99, TARGET_ANSWER_S = 0.8, 2.0, 3.0
BUSY_MARK = b"more requests than I can handle"  # bot/core/texts.py BUSY


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))]


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc (what each process cost during a run)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError):
        return 0.0


def user(i: int) -> str:
    return f"U{i % PEOPLE:05d}"


# ----------------------------------------------------------------- child: the fake Web API
async def serve_fake(port: int, control: int) -> None:
    """The fake Slack, plus a control port that hands out when each response_url post arrived."""
    from aiohttp import web
    from fake_slack import FakeSlack

    fake = FakeSlack()
    arrivals: dict[str, tuple[float, str]] = {}

    async def response(request: web.Request) -> web.Response:  # replaces the fake's own: no list scans
        body = await request.json()
        text = body.get("text") or ""
        arrivals[request.match_info["id"]] = (time.time(), "status" if "Next meeting" in text else text[:120])
        return web.Response(text="ok")

    fake._response = response
    await fake.start()
    fake.add_team(TEAM, TOKEN)
    for i in range(PEOPLE):
        fake.add_user(TEAM, user(i), f"Member {i}")
    fake.add_user(TEAM, "U0ADMIN", "Ada", admin=True)

    async def get(_request):
        return web.json_response({"arrivals": arrivals, "users_info": len(fake.called("users.info")),
                                  "calls": len(fake.calls)})

    async def clear(_request):
        arrivals.clear()
        fake.calls.clear()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/arrivals", get)
    app.router.add_post("/clear", clear)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", control).start()
    # the fake binds port 0; tell the parent where it is
    print(json.dumps({"port": fake.port}), flush=True)
    await asyncio.Event().wait()


# ------------------------------------------------------------------ child: the bare Bolt app
def serve_bare(port: int, api_url: str) -> None:
    from fake_slack import SIGNING_SECRET
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    app = AsyncApp(client=AsyncWebClient(token=TOKEN, base_url=api_url), signing_secret=SIGNING_SECRET)

    @app.command("/recap")
    async def on_recap(ack):
        await ack()

    app.start(port=port, path="/slack/events", host="127.0.0.1")


# --------------------------------------------------------------- child: a load generator
async def drive(url: str, fake_url: str, concurrency: int, seconds: float, tag: str, offset: int) -> None:
    """Keep `concurrency` signed /recap status in flight for `seconds`; print what happened (JSON)."""
    import aiohttp
    from fake_slack import sign

    latencies: list[float] = []
    sent: dict[str, float] = {}
    errors: list[int] = []
    busy: list[str] = []
    counter = iter(range(10**9))
    deadline = time.perf_counter() + seconds

    async def worker(session: aiohttp.ClientSession) -> None:
        while time.perf_counter() < deadline:
            n = next(counter)
            trigger = f"{tag}.{n}"
            body = urlencode({
                "token": "legacy", "team_id": TEAM, "team_domain": "load", "channel_id": CHANNEL,
                "channel_name": "lab", "user_id": user(offset + n), "user_name": "someone", "command": "/recap",
                "text": "status", "api_app_id": "A0RECAP", "is_enterprise_install": "false",
                "response_url": f"{fake_url}/response/{trigger}", "trigger_id": trigger,
            }).encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body.decode())}
            wall, start = time.time(), time.perf_counter()
            async with session.post(url, data=body, headers=headers) as resp:
                ack = await resp.read()
                status = resp.status
            if status != 200:
                errors.append(status)
                continue
            latencies.append(time.perf_counter() - start)
            if BUSY_MARK in ack:  # answered "busy" in the acknowledgement: no deferred answer
                busy.append(trigger)
            else:
                sent[trigger] = wall

    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        began = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    print(json.dumps({"latencies": latencies, "sent": sent, "errors": errors, "busy": len(busy), "elapsed": elapsed}))


# ---------------------------------------------------------------------------- the parent
class Children:
    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []

    def start(self, args: list[str], env: dict | None = None, stop_with=signal.SIGTERM, **kwargs) -> subprocess.Popen:
        proc = subprocess.Popen(args, env=env, **kwargs)
        self.procs.append((proc, stop_with))
        return proc

    def stop(self) -> None:
        for proc, stop_with in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(stop_with)
        for proc, _ in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def wait_http(url: str, seconds: float = 30, method: str = "GET") -> None:
    import urllib.error
    import urllib.request

    end = time.time() + seconds
    while time.time() < end:
        try:
            urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=1)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def prepare_database(path: str) -> None:
    """A migrated SQLite file with one group on CHANNEL whose members are everyone who types."""
    from bot.core.model import Actor, RecapDraft, Workspace
    from bot.core.ports import SystemClock
    from bot.core.service import Core
    from bot.store.db import make_engine, upgrade
    from bot.store.repo import SqlRepository

    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    core = Core.build(SqlRepository(engine), SystemClock(), default_timezone="Europe/Berlin")
    ws = Workspace("slack", TEAM)
    core.teams.configure(Actor(ws, "U0ADMIN", "Ada", is_admin=True),
                         [("meeting", "Mon 10:00"), ("tz", "Europe/Berlin"), ("channel", CHANNEL)])
    text = "Measured the thing again; it moved. " * 25  # about 900 characters a field
    for i in range(PEOPLE):
        who = Actor(ws, user(i), f"Member {i}", timezone="Europe/Berlin", channel=CHANNEL, channel_name="lab")
        core.teams.member_for(who)
        if i % 2:  # half the group has written for the coming meeting
            core.recaps.submit(who, RecapDraft(progress=text, failures=text, questions="Why?\nHow?", plan=text))
    engine.dispose()


def load(url: str, fake_url: str, concurrency: int, seconds: float, procs: int, tag: str) -> dict:
    """Run `procs` generator processes sharing `concurrency`; merge their results."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    shares = [concurrency // procs + (1 if i < concurrency % procs else 0) for i in range(procs)]
    children = [subprocess.Popen([sys.executable, __file__, "--drive", url, fake_url, str(share), str(seconds),
                                  f"{tag}.{i}", str(i * 997)], stdout=subprocess.PIPE)
                for i, share in enumerate(shares) if share]
    merged = {"latencies": [], "sent": {}, "errors": [], "busy": 0, "elapsed": 0.0}
    for child in children:
        out, _ = child.communicate()
        part = json.loads(out)
        merged["latencies"] += part["latencies"]
        merged["sent"].update(part["sent"])
        merged["errors"] += part["errors"]
        merged["busy"] += part["busy"]
        merged["elapsed"] = max(merged["elapsed"], part["elapsed"])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the generators (exited and waited for)
    merged["generator_cpu"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return merged


def fetch(url: str, method: str = "GET") -> dict:
    import urllib.request

    with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=30) as resp:
        data = resp.read()
    return json.loads(data) if method == "GET" else {}


def answers(control: str, sent: dict[str, float], patience: float) -> dict:
    """Wait until every request's answer arrived (or none came for `patience` s); their delays."""
    seen, last_change = -1, time.time()
    while True:
        got = fetch(control + "/arrivals")
        arrived = {k: v for k, v in got["arrivals"].items() if k in sent}
        if len(arrived) == len(sent):
            break
        if len(arrived) != seen:
            seen, last_change = len(arrived), time.time()
        elif time.time() - last_change > patience:
            break
        time.sleep(0.5)
    delays = [t - sent[k] for k, (t, kind) in arrived.items() if kind == "status"]
    others: dict[str, int] = {}
    for _k, (_t, kind) in arrived.items():
        if kind != "status":
            others[kind] = others.get(kind, 0) + 1
    return {"delays": delays, "dropped": len(sent) - len(arrived), "others": others,
            "users_info": got["users_info"]}


def summary(result: dict) -> dict:
    lat = result["latencies"]
    return {"n": len(lat), "rps": len(lat) / result["elapsed"] if result["elapsed"] else 0.0, "elapsed": result["elapsed"],
            "p50": statistics.median(lat) * 1000 if lat else float("nan"),
            "p99": percentile(lat, 99) * 1000 if lat else float("nan"), "errors": len(result["errors"]),
            "busy": result["busy"], "generator_cpu": result["generator_cpu"]}


def main(args: argparse.Namespace) -> int:
    seconds = 5.0 if args.quick else args.seconds
    reps = args.reps
    levels = [int(c) for c in args.concurrency.split(",")]
    children = Children()
    rows: dict[int, list[dict]] = {c: [] for c in levels}
    tmp = tempfile.TemporaryDirectory()
    try:
        control_port = free_port()
        fake = children.start([sys.executable, __file__, "--fake", "0", str(control_port)], stdout=subprocess.PIPE)
        fake_port = json.loads(fake.stdout.readline())["port"]
        fake_url, control = f"http://127.0.0.1:{fake_port}", f"http://127.0.0.1:{control_port}"
        db = os.path.join(tmp.name, "load.db")
        prepare_database(db)
        bare_port, bot_port = free_port(), free_port()
        bare = children.start([sys.executable, __file__, "--bare", str(bare_port), fake_url + "/api/"])
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "SLACK_BOT_TOKEN": TOKEN,
               "SLACK_SIGNING_SECRET": "test-signing-secret", "SLACK_API_URL": fake_url + "/api/",
               "RECAPBOT_HTTP_HOST": "127.0.0.1", "RECAPBOT_HTTP_PORT": str(bot_port),
               "RECAPBOT_LOG_LEVEL": "WARNING", "RECAPBOT_DATA_DIR": tmp.name, "RECAPBOT_TIMEZONE": "Europe/Berlin",
               **dict(arg.split("=", 1) for arg in args.env)}
        for name in ("SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_STATE_SECRET", "DISCORD_TOKEN"):
            env.pop(name, None)
        bot = children.start([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp.name)
        if args.py_spy:  # where recapbot's time goes, over the whole run (flame graph SVG)
            children.start([args.py_spy, "record", "--pid", str(bot.pid), "--threads", "--gil", "--rate", "200",
                            "--format", "raw", "--output", args.py_spy_out, "--nonblocking"],
                           stdout=subprocess.DEVNULL, stop_with=signal.SIGINT)
        os.environ.setdefault("PYTHONPATH", str(ROOT))
        wait_http(f"http://127.0.0.1:{bare_port}/slack/events", method="POST")
        wait_http(f"http://127.0.0.1:{bot_port}/healthz")
        targets = {"bare": (f"http://127.0.0.1:{bare_port}/slack/events", bare.pid),
                   "recapbot": (f"http://127.0.0.1:{bot_port}/slack/events", bot.pid)}
        # warm-up: Bolt's auth.test, connections, every person's users.info (cached for 10 min)
        for name, (url, _pid) in targets.items():
            load(url, fake_url, 20, 2.0, 1, f"warm-{name}")
        time.sleep(1.0)
        fetch(control + "/clear", "POST")
        print(f"slack load: {seconds:.0f} s closed loop of signed /recap status per measurement, "
              f"{reps} repetitions, {args.procs} load generator processes; {os.cpu_count()} cores, "
              f"load average {os.getloadavg()[0]:.1f}", flush=True)
        for rep in range(reps):
            for c in levels:
                row = {}
                for name, (url, pid) in targets.items():
                    cpu = {k: cpu_seconds(p) for k, p in (("target", pid), ("fake", fake.pid))}
                    result = load(url, fake_url, c, seconds, args.procs, f"r{rep}c{c}{name[0]}")
                    row[name] = summary(result)
                    if name == "recapbot":
                        row["answers"] = answers(control, result["sent"], patience=10.0)
                        fetch(control + "/clear", "POST")
                    row[name]["cpu"] = {k: cpu_seconds(p) - cpu[k] for k, p in (("target", pid), ("fake", fake.pid))}
                    time.sleep(0.5)
                rows[c].append(row)
                report_row(rep, c, row)
    finally:
        children.stop()
        tmp.cleanup()
    return report(rows)


def report_row(rep: int, c: int, row: dict) -> None:
    b, r, a = row["bare"], row["recapbot"], row["answers"]
    d = a["delays"]
    ans = (f"answers p50 {statistics.median(d):.2f} s p99 {percentile(d, 99):.2f} s max {max(d):.2f} s"
           if d else "no answers")
    print(f"  rep {rep + 1} c={c:3d}: bare {b['rps']:7.0f}/s p50 {b['p50']:6.1f} p99 {b['p99']:6.1f} ms "
          f"(cpu {b['cpu']['target']:.1f} s, load generators {b['generator_cpu']:.1f} s) | recapbot {r['rps']:7.0f}/s p50 {r['p50']:6.1f} p99 {r['p99']:6.1f} ms "
          f"(cpu {r['cpu']['target']:.1f} s, fake {r['cpu']['fake']:.1f} s) | busy in the ack {r['busy']} "
          f"({r['busy'] / max(1, r['n']):.0%}); answered {r['n'] - r['busy'] - a['dropped']}: {ans}, dropped {a['dropped']}"
          + (f", other answers {a['others']}" if a["others"] else "")
          + (f", HTTP errors bare {b['errors']} recapbot {r['errors']}" if b["errors"] or r["errors"] else ""),
          flush=True)


def report(rows: dict[int, list[dict]]) -> int:
    ok = True
    print("\nsummary (min / median over repetitions; ratios recapbot / bare of the same repetition)")
    for c, reps in rows.items():
        if not reps:
            continue
        thr = [r["recapbot"]["rps"] / r["bare"]["rps"] for r in reps]
        p99 = [r["recapbot"]["p99"] / r["bare"]["p99"] for r in reps]
        late = [max(r["answers"]["delays"] or [float("inf")]) for r in reps]
        dropped = sum(r["answers"]["dropped"] for r in reps)
        others = sum(sum(r["answers"]["others"].values()) for r in reps)

        def mm(key, sub):
            values = [r[key][sub] for r in reps]
            return f"{min(values):.0f} / {statistics.median(values):.0f}"

        print(f"  {c} concurrent: bare {mm('bare', 'rps')} req/s, p50 {mm('bare', 'p50')} ms, p99 {mm('bare', 'p99')} ms;"
              f" recapbot {mm('recapbot', 'rps')} req/s, p50 {mm('recapbot', 'p50')} ms, p99 {mm('recapbot', 'p99')} ms")
        per = {k: statistics.median(r[k]["cpu"]["target"] / max(1, r[k]["n"]) * 1000 for r in reps)
               for k in ("bare", "recapbot")}
        gen = statistics.median(r["bare"]["generator_cpu"] / max(1, r["bare"]["n"]) * 1000 for r in reps)
        gen_share = statistics.median(r["bare"]["generator_cpu"] / r["bare"]["elapsed"] for r in reps)
        print(f"    CPU per request (median): bare app {per['bare']:.2f} ms, recapbot {per['recapbot']:.2f} ms "
              f"(each command, acknowledged and answered); load generators {gen:.2f} ms per request to the bare app "
              f"({gen_share:.2f} cores busy of {os.cpu_count()})")
        delays = [x for r in reps for x in r["answers"]["delays"]]
        busy = [r["recapbot"]["busy"] / max(1, r["recapbot"]["n"]) for r in reps]
        real = [len(r["answers"]["delays"]) / r["recapbot"]["elapsed"] for r in reps]
        print(f"    answered /recap status for real: {min(real):.0f} / {statistics.median(real):.0f} per s "
              f"({1 - max(busy):.0%} / {1 - statistics.median(busy):.0%} of the commands); the rest were "
              "answered busy in the acknowledgement")
        if delays:
            print(f"    their answers: p50 {statistics.median(delays):.2f} s, p99 {percentile(delays, 99):.2f} s, "
                  f"max {max(delays):.2f} s after the request; dropped {dropped}; other answers {others}")
        t_ok = min(thr) >= TARGET_THROUGHPUT
        p_ok = max(p99) <= TARGET_P99
        print(f"    throughput ratio {min(thr):.2f} / {statistics.median(thr):.2f} (target >= {TARGET_THROUGHPUT}):"
              f" {'met' if t_ok else 'NOT met'}; p99 ratio {min(p99):.2f} / {statistics.median(p99):.2f}"
              f" (max {max(p99):.2f}; target <= {TARGET_P99}): {'met' if p_ok else 'NOT met'}")
        ok &= t_ok and p_ok
        if c == 50:
            a_ok = dropped == 0 and others == 0 and max(late) <= TARGET_ANSWER_S
            print(f"    every answer within {TARGET_ANSWER_S:.0f} s, none dropped: {'met' if a_ok else 'NOT met'}"
                  + (f" (with {statistics.median(busy):.0%} of the commands answered busy, up to {max(busy):.0%})"
                     if a_ok and max(busy) else ""))
            ok &= a_ok
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--fake":
        asyncio.run(serve_fake(int(sys.argv[2]), int(sys.argv[3])))
    elif len(sys.argv) > 1 and sys.argv[1] == "--bare":
        serve_bare(int(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) > 1 and sys.argv[1] == "--drive":
        url, fake_url, c, s, tag, offset = sys.argv[2:8]
        asyncio.run(drive(url, fake_url, int(c), float(s), tag, int(offset)))
    else:
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        parser.add_argument("--quick", action="store_true", help="5 s per measurement instead of 30 s")
        parser.add_argument("--seconds", type=float, default=30.0)
        parser.add_argument("--reps", type=int, default=3)
        parser.add_argument("--concurrency", default="50,200")
        parser.add_argument("--procs", type=int, default=2, help="load generator processes")
        parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                            help="a setting for recapbot run, e.g. RECAPBOT_WORKER_THREADS=2")
        parser.add_argument("--py-spy", help="path of a py-spy executable: profile recapbot during the run")
        parser.add_argument("--py-spy-out", default="/tmp/slack_load_profile.txt", help="collapsed stacks")
        sys.exit(main(parser.parse_args()))
