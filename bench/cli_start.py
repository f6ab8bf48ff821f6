"""How fast the light CLI commands start: ``paperboy --help`` and ``paperboy health`` (the Docker
and compose health probe runs the latter every 30 s). Wall time and peak memory of each run, as
separate processes, like a probe.

    python bench/cli_start.py [--runs 10]    # writes bench/results/cli_start.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stats import percentiles_ms  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "cli_start.json"
COMMANDS = {"--help": ["--help"], "health": ["health", "--timeout", "1"]}


def run_once(exe: str, args: list[str]) -> tuple[float, int]:
    """Wall milliseconds and peak RSS (KB) of one ``paperboy <args>`` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run([exe, *args], capture_output=True, check=False, timeout=60)
    wall_ms = (time.perf_counter() - started) * 1000
    return wall_ms, max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def main() -> None:
    """Time each command ``--runs`` times (after one warm-up run) and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    exe = shutil.which("paperboy", path=str(Path(sys.executable).parent)) or "paperboy"
    results = {"load_average": os.getloadavg()[0], "runs": runs, "commands": {}}
    print(f"{'command':<20} {'p50 ms':>8} {'p95 ms':>8} {'max RSS MB':>11}")
    for name, args in COMMANDS.items():
        run_once(exe, args)  # warm the file cache
        samples, peak = [], 0
        for _ in range(runs):
            wall_ms, rss = run_once(exe, args)
            samples.append(wall_ms)
            peak = max(peak, rss)
        row = {**percentiles_ms(samples, 1), "max_rss_mb": round(peak / 1024, 1)}
        results["commands"][f"paperboy {name}"] = row
        print(
            f"{'paperboy ' + name:<20} {row['p50_ms']:>8} {row['p95_ms']:>8} {row['max_rss_mb']:>11}"
        )
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
