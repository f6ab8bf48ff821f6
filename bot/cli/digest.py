"""``paperboy digest``: preview each channel's digest, or replay it over recorded days
(:mod:`bot.digest.replay`)."""

from __future__ import annotations

import json
import logging
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.chat.reply import Reply
from bot.cli.common import load_settings, open_services

if TYPE_CHECKING:
    from bot.digest.service import DigestService
    from bot.settings import ChannelPlan

log = logging.getLogger(__name__)
DEFAULT_REPLAY_DIR = Path(__file__).resolve().parents[2].parent / "shared/data/hf_daily_papers"


def register(app: typer.Typer) -> None:
    """Add ``digest`` to the ``paperboy`` CLI (``scheduler`` is in :mod:`bot.cli.scheduler`)."""
    app.command("digest")(digest_command)


def _plans(service: DigestService, name: str | None) -> list[ChannelPlan]:
    from bot.digest.plans import choose_plans

    try:
        return choose_plans(service.plans, name)
    except LookupError as err:
        raise typer.BadParameter(str(err)) from err


def json_line(day: date, plan: ChannelPlan, reply: Reply) -> str:
    """One digest as the ``--json`` line: date, channel, items (id, title, url, ...)."""
    items = [
        {
            "id": i.paper_id,
            "title": i.title,
            "url": i.url,
            "upvotes": i.upvotes,
            "score": i.score,
            "why": i.why,
        }  # fmt: skip
        for i in reply.items
    ]
    return json.dumps({"date": day.isoformat(), "channel": plan.name, "items": items})


def digest_command(
    day: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default: today)")] = None,
    channel: Annotated[str | None, typer.Option("--channel", help="only this plan")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
    replay: Annotated[str | None, typer.Option("--replay", help="simulate FROM..TO")] = None,
    from_dir: Annotated[
        Path | None, typer.Option("--from-dir", help="recorded HF daily_papers files")
    ] = None,
) -> None:
    """Print the digest each channel would get (nothing is recorded), or replay a date range."""
    from bot.digest.replay import run_replay

    settings = load_settings()
    if replay:
        since, _, until = replay.partition("..")
        folder = from_dir or DEFAULT_REPLAY_DIR
        if not folder.is_dir():
            raise typer.BadParameter(f"{folder} is not a folder of recorded days; use --from-dir")
        try:
            report = run_replay(
                settings, folder, date.fromisoformat(since), date.fromisoformat(until or since),
                channel, lambda d, p, r: print(json_line(d, p, r) if as_json else _text(d, p, r)),
            )  # fmt: skip
        except LookupError as err:
            raise typer.BadParameter(str(err)) from err
        print(report.summary(), file=sys.stderr if as_json else sys.stdout)
        return

    services = open_services()
    try:
        digests: DigestService = services.digests
        the_day = date.fromisoformat(day) if day else None
        for plan in _plans(digests, channel):
            digest, reply = digests.compose(plan, the_day)
            print(json_line(digest.day, plan, reply) if as_json else reply.to_text() + "\n")
            if digest.list_day is None:
                latest = services.index.latest_list_date()
                hint = (
                    f" (latest list in the store: {latest}; try --date {latest})" if latest else ""
                )
                print(f"No papers listed in the week before {digest.day}{hint}.", file=sys.stderr)
    finally:
        services.close()


def _text(day: date, plan: ChannelPlan, reply: Reply) -> str:
    lines = [f"{day:%a %Y-%m-%d}  {plan.name}: {len(reply.items)} papers"]
    for n, item in enumerate(reply.items, start=1):
        lines.append(f"  {n}. [{item.paper_id}] {item.title[:90]}  ({item.why})")
    return "\n".join(lines)
