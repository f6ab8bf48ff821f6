"""Answer latency on the bundled demo store, as a user of ``paperboy ask`` sees it.

Embeds the demo corpus into a cached data dir once (bench/.cache/demo, git-ignored), then times
for the 39 judged questions of bench/quality: one query encode, and the full router answer
(parse, hybrid search, snippets, paging) the first time and again with sentence vectors cached.
Writes bench/results/demo_answers.json with the machine and its load average.

    python bench/demo_answers.py
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.bench_table import machine  # noqa: E402
from bench.stats import percentiles_ms  # noqa: E402
from bot.chat.reply import ChatRequest  # noqa: E402
from bot.corpus import ensure_corpus  # noqa: E402
from bot.services import build_services  # noqa: E402
from bot.settings import Settings  # noqa: E402

BENCH = Path(__file__).resolve().parent
QUESTIONS = BENCH / "quality" / "fast_transforms_queries.json"


def stats(samples_s: list[float]) -> dict:
    """p50 / p95 in milliseconds."""
    return {**percentiles_ms([s * 1000 for s in samples_s], 1), "n": len(samples_s)}


def main() -> None:
    """Run the three timings and write the JSON result."""
    settings = Settings(data_dir=BENCH / ".cache" / "demo", demo_corpus=True)
    services = build_services(settings)
    started = time.perf_counter()
    report = ensure_corpus(services.index)
    embed_s = time.perf_counter() - started if report else None
    questions = [q["query"] for q in json.loads(QUESTIONS.read_text())]
    encode, first, cached = [], [], []
    for text in questions:
        t0 = time.perf_counter()
        services.index.embedder.encode([text])
        encode.append(time.perf_counter() - t0)
    for runs in (first, cached):
        for text in questions:
            request = ChatRequest(text=text, platform="bench", channel_id="B", user_id="U")
            t0 = time.perf_counter()
            services.router.handle(request)
            runs.append(time.perf_counter() - t0)
    result = {
        "machine": machine(),
        "load_average": os.getloadavg(),
        "papers": services.index.count(),
        "corpus_embed_s": round(embed_s, 1) if embed_s else "cached",
        "query_encode": stats(encode),
        "answer_first": stats(first),
        "answer_cached_snippets": stats(cached),
    }
    services.close()
    out = BENCH / "results" / "demo_answers.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
