"""Build the bundled demo corpus (retrieval/data/demo_papers.jsonl.gz) from ../shared/data.

The 119-paper fast-transforms listing plus the most recent recorded Hugging Face daily lists,
trimmed so the first demo run embeds it in well under a minute on a 2-core CPU.
Run: python scripts/build_demo_corpus.py [--days 25]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from retrieval.sources.hf import read_daily_dir
from retrieval.sources.jsonl import read_jsonl, write_jsonl

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
OUT = ROOT / "retrieval" / "data" / "demo_papers.jsonl.gz"


def main() -> None:
    """Write the demo corpus and print what it holds."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=25, help="recent HF list days to include")
    args = parser.parse_args()
    fast = read_jsonl(SHARED / "papers_fast_transforms.jsonl")
    days = sorted((SHARED / "hf_daily_papers").glob("20*.json"))[-args.days :]
    first = days[0].stem
    hf = read_daily_dir(
        SHARED / "hf_daily_papers", since=__import__("datetime").date.fromisoformat(first)
    )
    papers = fast.papers + hf.papers
    count = write_jsonl(papers, OUT)
    print(
        f"{count} papers ({len(fast.papers)} fast-transforms, {len(hf.papers)} HF {first}..{days[-1].stem}) -> {OUT}"
    )


if __name__ == "__main__":
    main()
