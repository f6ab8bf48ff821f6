"""``paperboy reindex``: rebuild the BM25 index, or re-embed every paper with a (new) model.

``paperboy reindex`` rebuilds this host's BM25 index from the store (fast, no model).
``paperboy reindex --model SPEC`` embeds every paper into a new collection, then switches every
process sharing the store to it with one metadata write (see :mod:`retrieval.reindex`); running
bots pick it up on their next question. ``--switch-back`` undoes the last switch and ``--drop``
deletes a retired collection.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from bot.cli.common import err, fail, load_settings, out, progress_bar

_COLLECTION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,510}[A-Za-z0-9]$")


def register(app: typer.Typer) -> None:
    """Add ``reindex`` to the ``paperboy`` CLI."""
    app.command("reindex")(reindex_command)


def model_spec(model: str) -> str:
    """The spec to stamp: ``bundled``, a model name, or an existing local path made absolute
    (every process resolves it the same way). Raises ValueError for a path that is not there."""
    if model == "bundled":
        return model
    path = Path(model).expanduser()
    if path.exists():
        return str(path.absolute())
    if model.startswith(("/", ".", "~")):
        raise ValueError(f"no model at {model}")
    return model


def _open_index(settings: Any) -> Any:
    from retrieval.embed import NoEmbedder
    from retrieval.index import PaperIndex

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        return PaperIndex.open(
            settings.data_dir,
            NoEmbedder("the lexical rebuild"),
            collection=settings.store.collection,
            chroma_host=settings.store.chroma_host,
            chroma_port=settings.store.chroma_port,
            chroma_ssl=settings.store.chroma_ssl,
        )
    except Exception as exc:  # chromadb raises many types when a server is down
        raise fail(f"Cannot open the paper store: {escape(str(exc))}", 1) from exc


def reindex_command(
    model: Annotated[
        str | None,
        typer.Option(
            "--model", help="re-embed every paper with this model: bundled, a path or a name"
        ),
    ] = None,
    collection: Annotated[
        str | None,
        typer.Option(help="name of the new collection (default: <collection>-<UTC timestamp>)"),
    ] = None,
    back: Annotated[
        bool, typer.Option("--switch-back", help="return to the collection the last switch left")
    ] = False,
    drop: Annotated[
        str | None, typer.Option("--drop", help="delete a retired collection", metavar="NAME")
    ] = None,
) -> None:
    """Rebuild the BM25 index (default), or re-embed every paper with --model into a new
    collection and switch all running bots to it."""

    if sum((model is not None, back, drop is not None)) > 1:
        raise fail("Give only one of --model, --switch-back and --drop.", 2)
    if collection is not None and model is None:
        raise fail("--collection needs --model.", 2)
    if collection is not None and not _COLLECTION_NAME.match(collection):
        raise fail(
            f"Invalid collection name {escape(collection)!r}: 3-512 characters from "
            "a-z A-Z 0-9 . _ -, starting and ending with a letter or digit.",
            2,
        )
    settings = load_settings()
    index = _open_index(settings)
    if model is not None:
        _reembed(settings, index, model, collection)
    elif back:
        _switch_back(index)
    elif drop is not None:
        _drop(settings, index, drop)
    else:
        _lexical(index)


def _lexical(index: Any) -> None:
    from retrieval.reindex import rebuild_lexical

    started = time.monotonic()
    try:
        papers = rebuild_lexical(index)
    except Exception as exc:
        raise fail(f"Rebuilding the BM25 index failed: {escape(str(exc))}", 1) from exc
    out.print(
        f"rebuilt the BM25 index of {papers} papers (collection "
        f"{escape(index.store.collection_name)}) in {time.monotonic() - started:.1f} s "
        f"at {escape(str(index.lexical_dir))}"
    )


def _reembed(settings: Any, index: Any, model: str, collection: str | None) -> None:
    from retrieval.collections import ReindexError
    from retrieval.embed import SentenceTransformerEmbedder
    from retrieval.reindex import rebuild_lexical, reembed

    try:
        spec = model_spec(model)
        embedder = SentenceTransformerEmbedder(spec, settings.embedding.batch_size)
    except Exception as exc:  # missing path, not in the local cache, not a model
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise fail(f"Cannot load model {escape(model)}: {escape(detail)}", 2) from exc
    bar, report = progress_bar("re-embedding")
    try:
        with bar:
            result = reembed(index.store, embedder, spec, collection, report)
    except ReindexError as exc:
        raise fail(f"Reindex refused: {escape(str(exc))}", 1) from exc
    except Exception as exc:
        raise fail(
            f"Reindex failed (the old collection stays in use): {escape(str(exc))}", 1
        ) from exc
    rebuild_lexical(index)  # this host's BM25 index for the new collection, built now
    out.print(
        f"re-embedded {result.papers} papers in {result.seconds:.1f} s "
        f"({result.papers_per_second:.1f} papers/s) with {escape(spec)}"
    )
    if result.caught_up or result.late:
        out.print(f"caught up {result.caught_up + result.late} papers changed during the copy")
    out.print(
        f"collection {escape(result.old_collection)} → {escape(result.new_collection)}: running "
        "bots switch to it (and to its model) on their next question, no restart needed"
    )
    out.print(
        f"{escape(result.old_collection)} is kept for `paperboy reindex --switch-back`; delete it "
        f"later with `paperboy reindex --drop {escape(result.old_collection)}`. Set "
        f"embedding.model = {escape(spec)!r} so restarted processes load this model directly."
    )


def _switch_back(index: Any) -> None:
    from retrieval.collections import ReindexError, switch_back

    try:
        result = switch_back(index.store)
    except ReindexError as exc:
        raise fail(f"Cannot switch back: {escape(str(exc))}", 1) from exc
    out.print(
        f"collection {escape(result.from_collection)} → {escape(result.to_collection)}: running "
        "bots switch back on their next question"
    )
    if result.missing:
        err.print(
            f"[yellow]{len(result.missing)} papers were only in "
            f"{escape(result.from_collection)}[/yellow] (re-ingest them), e.g. {result.missing[:5]}"
        )


def _drop(settings: Any, index: Any, name: str) -> None:
    from retrieval.collections import ReindexError, drop_collection

    try:
        papers = drop_collection(index.store, name)
    except ReindexError as exc:
        raise fail(f"Cannot drop {escape(name)}: {escape(str(exc))}", 1) from exc
    if name != index.store.base_name:
        shutil.rmtree(settings.data_dir / "lexical" / name, ignore_errors=True)
    out.print(f"dropped collection {escape(name)} ({papers} papers)")
