"""Many questions at once through the real chat adapters, as separate processes.

    python bench/load_chat.py [--singles 10] [--burst 20] [--platform both|slack|discord]
                              [--workers N] [--code DIR] [--data DIR]
                              [--out bench/results/load_chat.json]

For each platform it starts the real bot process on the bundled demo corpus (embedded once into
``bench/.cache/load-chat``): ``paperboy slack --mode http`` against the fake Slack Web API
(events signed as Slack signs them, sent over HTTP), and ``paperboy discord`` against the fake
Discord gateway and REST API (mentions pushed over the gateway). Both fakes run in this process
(``tests/fakes``). It asks two warm-up questions, then ``--singles`` questions one at a time,
then ``--burst`` distinct questions at once. A question's latency runs from just before its
event is sent to the moment the fake receives the answer (Slack: the ``chat.postMessage``, or
the ``chat.update`` that replaces the "Searching…" placeholder; Discord: the reply message).
Every burst answer is checked: exactly one per question, with that question's paper first.

``--code DIR`` runs the bot from another checkout (e.g. ``git archive <commit>`` unpacked) with
the same fakes and questions, to compare before and after a change; ``--data DIR`` gives it a
data dir of its own when the two versions store different things.

Single questions are paper titles of the corpus rephrased (not those of the burst, so neither
finds the other's snippets cached). Output: a Markdown table on stdout and JSON in ``--out``
(machine, load average before and after, every sample).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]  # tests.fakes (the fake platforms), stats
from chat_drivers import DiscordDriver, Sample, SlackDriver, ask_together  # noqa: E402
from stats import percentiles_ms  # noqa: E402

from tests.demo_questions import DISTINCT_QUESTIONS  # noqa: E402
from tests.fakes.discord_server import FakeDiscord  # noqa: E402
from tests.fakes.processes import free_port, paperboy_env, stop_process  # noqa: E402
from tests.fakes.slack_api import FakeSlackApi  # noqa: E402

DATA_DIR = REPO / "bench" / ".cache" / "load-chat"
RESULTS = REPO / "bench" / "results" / "load_chat.json"
DEMO = REPO / "retrieval" / "data" / "demo_papers.jsonl.gz"
START_S = 900.0  # the first start embeds the corpus, on a machine that may be busy


def log(message: str) -> None:
    """Progress on stderr (the table goes to stdout)."""
    print(message, file=sys.stderr, flush=True)


async def wait_ready(proc: subprocess.Popen, ops_port: int, check: str, log_path: Path) -> None:
    """Until ``/healthz`` answers 200 with the platform's check in it."""
    deadline = time.monotonic() + START_S
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the bot exited:\n{log_path.read_text()[-3000:]}")
            try:
                got = await http.get(f"http://127.0.0.1:{ops_port}/healthz", timeout=5)
                if got.status_code == 200 and check in got.json().get("checks", {}):
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5)
    raise TimeoutError(f"the {check} bot was not ready within {START_S:.0f} s")


async def measure(driver, singles: list[str], burst: list[tuple[str, str]], args) -> dict:  # noqa: ANN001
    """Start the bot, warm it up, time single questions then the burst; stop it."""
    ops_port = free_port()
    extra = {**driver.env(), "DEMO_CORPUS": "true", "SCHEDULER__RUN_IN_BOT": "false"}
    if args.workers:
        extra["SEARCH__WORKERS"] = str(args.workers)
    env = {**paperboy_env(args.data, **extra), "PYTHONPATH": str(args.code)}
    log_path = args.data.parent / f"{args.data.name}-{driver.name}.log"
    command = [sys.executable, "-m", "bot.cli", *driver.args(), "--ops-port", str(ops_port)]
    with log_path.open("ab") as out:
        proc = subprocess.Popen(
            command, cwd=args.code, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        log(f"{driver.name}: starting the bot (the first start embeds the demo corpus) ...")
        await wait_ready(proc, ops_port, driver.check, log_path)
        for question in singles[:2]:
            await ask_together(driver, [(question, None)])
        log(f"{driver.name}: {len(singles) - 2} single questions ...")
        alone = [(await ask_together(driver, [(q, None)]))[0] for q in singles[2:]]
        log(f"{driver.name}: {len(burst)} questions at once ...")
        together = await ask_together(driver, burst)
    finally:
        stop_process(proc)
    single, many = (
        percentiles_ms([s.ms for s in alone], 1),
        percentiles_ms([s.ms for s in together], 1),
    )
    return {
        "single": single,
        "burst": many,
        "p95_ratio": round(many["p95_ms"] / single["p95_ms"], 2),
        "p95_vs_single_p50": round(many["p95_ms"] / single["p50_ms"], 2),
        "answered_once": sum(s.answers == 1 for s in together),
        "right_paper_first": sum(bool(s.expected and s.expected in s.first) for s in together),
        "samples": {"single": [row(s) for s in alone], "burst": [row(s) for s in together]},
    }


def row(sample: Sample) -> dict:
    """A sample for the JSON file, with its latency."""
    return {**asdict(sample), "ms": round(sample.ms, 1)}


def single_questions(count: int) -> list[str]:
    """Demo-corpus titles (before any colon, lower-cased), none a burst question's paper."""
    burst_titles = {title for _, title in DISTINCT_QUESTIONS}
    with gzip.open(DEMO, "rt") as lines:
        titles = [json.loads(line)["title"] for line in lines]
    commands = {"help", "search", "similar", "more", "digest", "subscribe", "unsubscribe"}
    titles = [
        t
        for t in titles
        if not any(b in t for b in burst_titles) and t.split()[0].lower() not in commands
    ]
    picked = random.Random(11).sample(titles, count)
    return [t.split(":")[0].lower() if len(t.split(":")[0]) > 12 else t.lower() for t in picked]


async def run(args: argparse.Namespace) -> dict:
    """Every platform asked for, one after the other (they share the data dir)."""
    singles = single_questions(args.singles + 2)
    burst = DISTINCT_QUESTIONS[: args.burst]
    args.data.mkdir(parents=True, exist_ok=True)
    results: dict = {}
    if args.platform in ("both", "slack"):
        async with FakeSlackApi() as slack, httpx.AsyncClient(timeout=60) as http:
            results["slack"] = await measure(SlackDriver(slack, http), singles, burst, args)
    if args.platform in ("both", "discord"):
        fake = await FakeDiscord().start()
        try:
            results["discord"] = await measure(DiscordDriver(fake), singles, burst, args)
        finally:
            await fake.close()
    return results


def table(results: dict) -> str:
    """The Markdown table of the run."""
    rows = [
        "| platform | single p50 / p95 ms | burst p50 / p95 ms | burst p95 / single p95 "
        "| answered once | right paper first |",
        "|---|---|---|---|---|---|",
    ]
    for name, got in results.items():
        one, many, n = got["single"], got["burst"], len(got["samples"]["burst"])
        rows.append(
            f"| {name} | {one['p50_ms']:.0f} / {one['p95_ms']:.0f} | {many['p50_ms']:.0f} / "
            f"{many['p95_ms']:.0f} | {got['p95_ratio']:.2f}x | {got['answered_once']}/{n} "
            f"| {got['right_paper_first']}/{n} |"
        )
    return "\n".join(rows)


def main() -> None:
    """Parse the options, run, print the table, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--singles", type=int, default=10, help="questions asked one at a time")
    parser.add_argument("--burst", type=int, default=20, help="questions asked at once (<= 20)")
    parser.add_argument("--platform", choices=("both", "slack", "discord"), default="both")
    parser.add_argument("--workers", type=int, default=0, help="search.workers (0: default)")
    parser.add_argument("--code", type=Path, default=REPO, help="the checkout the bot runs from")
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="the bot's data dir")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if not 1 <= args.burst <= len(DISTINCT_QUESTIONS) or args.singles < 1:
        parser.error(f"--burst must be 1..{len(DISTINCT_QUESTIONS)}, --singles at least 1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    load_start = os.getloadavg()
    started = time.perf_counter()
    results = asyncio.run(run(args))
    report = {
        "machine": {"nproc": os.cpu_count(), "load_start": load_start, "load_end": os.getloadavg()},
        "args": {k: str(v) for k, v in vars(args).items()},
        "total_s": round(time.perf_counter() - started, 1),
        "platforms": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(table(results))
    print(
        f"\n{os.cpu_count()} cores; load average {load_start[0]:.2f} at start, "
        f"{os.getloadavg()[0]:.2f} at end; {report['total_s']} s in all"
    )


if __name__ == "__main__":
    main()
