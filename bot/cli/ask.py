"""``paperboy ask``, ``paperboy similar`` and ``paperboy chat``: questions from the terminal."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from bot.chat.reply import ChatRequest, Reply
from bot.cli.common import open_services, out

if TYPE_CHECKING:
    from bot.services import Services


def register(app: typer.Typer) -> None:
    """Add ``ask``, ``similar`` and ``chat`` to the ``paperboy`` CLI."""
    app.command()(ask)
    app.command()(similar)
    app.command()(chat)


def split_questions(words: list[str]) -> list[str]:
    """`ask "q one" "q two"` is two questions; `ask fast fft attention` (no quoted multi-word
    argument) is one question."""
    if any(" " in w.strip() for w in words):
        return [w for w in words if w.strip()]
    return [" ".join(words)]


def result_json(services: Services, question: str, limit: int) -> dict:
    """One question's results as the documented JSON object."""
    router = services.router
    router.page_size = limit
    reply = router.handle(ChatRequest(text=question))
    if reply.kind == "error":
        return {"query": question, "error": reply.text, "results": []}
    found: dict = {
        "query": question,
        "results": [
            {
                "id": item.paper_id,
                "title": item.title,
                "url": item.url,
                "published": item.date,
                "upvotes": item.upvotes,
                "score": item.score,
                "snippet": item.snippet,
            }
            for item in reply.items
        ],
    }
    if not reply.items and reply.text:  # why there is nothing (no match, an old library, ...)
        found["message"] = reply.text
    return found


def print_reply(reply: Reply) -> None:
    """Render a reply for the terminal."""
    colour = "red" if reply.kind == "error" else "bold"
    out.print(f"[{colour}]{escape(reply.title)}[/{colour}]")
    if reply.text:
        out.print(escape(reply.text))
    for number, item in enumerate(reply.items, start=reply.first_rank):
        meta = " · ".join(
            m for m in (item.date, f"▲ {item.upvotes}" if item.upvotes is not None else "") if m
        )
        out.print(f"\n[bold]{number}. {escape(item.title)}[/bold]  [dim]{escape(meta)}[/dim]")
        out.print(f"   [link={item.url}]{escape(item.url)}[/link]")
        if item.snippet:
            out.print(f"   [italic]{escape(item.snippet)}[/italic]")
        if item.why:
            out.print(f"   [dim]why: {escape(item.why)}[/dim]")
    if reply.footer:
        out.print(f"\n[dim]{escape(reply.footer)}[/dim]")


def ask(
    question: Annotated[list[str], typer.Argument(help="one or more questions")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per question")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=50)] = 5,
) -> None:
    """Ask for papers: `paperboy ask "fast FFT-based attention papers"`."""
    services = open_services()
    try:
        for text in split_questions(question):
            if as_json:
                out.print_json(json.dumps(result_json(services, text, limit)), indent=None)
            else:
                services.router.page_size = limit
                print_reply(services.router.handle(ChatRequest(text=text)))
    finally:
        services.close()


def similar(
    paper: Annotated[str, typer.Argument(help="arXiv id or paper URL")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=50)] = 5,
) -> None:
    """Papers like a given paper: `paperboy similar 2105.03824`."""
    services = open_services()
    try:
        if as_json:
            out.print_json(
                json.dumps(result_json(services, f"similar {paper}", limit)), indent=None
            )
        else:
            services.router.page_size = limit
            print_reply(services.router.handle(ChatRequest(text=f"similar {paper}")))
    finally:
        services.close()


def chat() -> None:
    """An interactive prompt over the same core (`more` pages, `help`, `quit`)."""
    services = open_services()
    last_more: str | None = None
    out.print("Paperboy — ask for papers. `help` for examples, `quit` to leave.")
    try:
        while True:
            try:
                text = input("paperboy> ").strip()
            except (EOFError, KeyboardInterrupt):
                break
            if text.lower() in ("quit", "exit", "q"):
                break
            if text.lower() == "more" and last_more:
                text = last_more
            reply = services.router.handle(ChatRequest(text=text, is_admin=True))
            print_reply(reply)
            last_more = next((a.command for a in reply.actions if a.kind == "more"), None)
    finally:
        services.close()
