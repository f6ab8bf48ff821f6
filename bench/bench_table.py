"""What ``run_bench.py`` prints: the machine it ran on and the Markdown table of a result."""

from __future__ import annotations

import os
import platform
from pathlib import Path

CLI_QUESTION = "fast FFT-based attention papers"  # what the cold CLI row asks


def machine() -> dict:
    """nproc, CPU model, RAM, Python and load average."""
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = next(
        int(ln.split()[1])
        for ln in Path("/proc/meminfo").read_text().splitlines()
        if ln.startswith("MemTotal")
    )
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem_kb / 2**20, 1),
        "python": platform.python_version(),
        "gpu": "none (CPU only)",
    }


def fmt_table(result: dict) -> str:
    """The Markdown table printed at the end (and pasted into the README)."""
    ing = result["ingest"]
    lines = [
        f"Machine: {result['machine']['nproc']} cores ({result['machine']['cpu']}), "
        f"{result['machine']['ram_gib']} GiB RAM, no GPU; load average at start "
        f"{result['load_start'][0]:.2f}, at end {result['load_end'][0]:.2f}.",
        "",
        "| Ingest (same papers, all-MiniLM-L6-v2, batch 64) | value |",
        "|---|---|",
        f"| raw model encode | {ing['raw_encode_per_s']} abstracts/s ({ing['papers']} in "
        f"{ing['raw_encode_s']} s) |",
        f"| `PaperIndex.ingest` (embed + Chroma + BM25) | {ing['ingest_per_s']} papers/s "
        f"({ing['ingest_s']} s) |",
        f"| ingest / raw encode (target >= 0.8) | {ing['ingest_vs_raw']}x |",
        f"| re-ingest unchanged | {ing['reingest_s']} s (embedded "
        f"{ing['reingest_added'] + ing['reingest_updated_text']}) |",
        "",
    ]
    stores = result["search"]
    head = (
        "| warm latency, ms (p50 / p95) | "
        + " | ".join(f"{s['papers']:,} papers ({s['vectors']})" for s in stores)
        + " |"
    )
    lines += [head, "|---" * (len(stores) + 1) + "|"]
    for name in stores[0]["rows"]:
        cells = [
            f"{s['rows'][name]['p50_ms']:.1f} / {s['rows'][name]['p95_ms']:.1f}" for s in stores
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for label in stores[0]["full_vs_floor_p50"]:
        cells = [f"{s['full_vs_floor_p50'][label]:.2f}x" for s in stores]
        lines.append(
            f"| full answer / floor p50, {label} (target <= 1.5x) | " + " | ".join(cells) + " |"
        )
    lines.append(
        "| papers in 7-day / 1-year window | "
        + " | ".join(f"{s['in_7_days']:,} / {s['in_1_year']:,}" for s in stores)
        + " |"
    )
    cli = result["cli"]
    lines += [
        "",
        f'Cold CLI `paperboy ask --json "{CLI_QUESTION}"` on the '
        f"{cli['papers']:,}-paper store: median {cli['median_s']} s of 3 "
        f"({', '.join(map(str, cli['runs_s']))}).",
    ]
    return "\n".join(lines)
