"""``paperboy backup DEST`` and ``paperboy restore SRC [--force]`` (see :mod:`bot.ops.backup`).

Neither loads the embedding model: both open only the configured paper store (embedded or a
Chroma server) and the state database. Problems are one red line on stderr: exit 2 when the
input or the target is refused (no such file, not a backup, wrong model, target not empty), exit
1 when the store or the disk fails.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from bot.cli.common import fail, load_settings, out, progress_bar


def register(app: typer.Typer) -> None:
    """Add ``backup`` and ``restore`` to the ``paperboy`` CLI."""
    app.command("backup")(backup_command)
    app.command("restore")(restore_command)


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def _open_store(settings: Any) -> Any:
    """The configured PaperStore, without the model (and without creating the state DB)."""
    from retrieval.store import PaperStore

    store = settings.store
    return PaperStore.open(
        settings.data_dir, store.collection, store.chroma_host, store.chroma_port, store.chroma_ssl
    )


def _default_name() -> str:
    return f"paperboy-backup-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.tar.gz"


def backup_command(
    dest: Annotated[
        Path, typer.Argument(help="backup file (.tar.gz), or a directory for a dated file name")
    ],
) -> None:
    """Write one .tar.gz with every paper (vectors included) and the state database."""
    from bot.ops.archive import BackupError, embedding_model_name
    from bot.ops.backup import create_backup

    settings = load_settings()
    if dest.is_dir():
        dest = dest / _default_name()
    if not settings.store.chroma_host and not (settings.data_dir / "chroma").is_dir():
        raise fail(f"No embedded store under {settings.data_dir / 'chroma'}: nothing to back up", 2)
    started = time.monotonic()
    try:
        store = _open_store(settings)
        manifest = create_backup(
            store,
            settings.state_target,
            dest,
            model=embedding_model_name(settings.embedding.model),
        )
    except BackupError as exc:
        raise fail(f"Backup failed: {exc}", 1) from exc
    except Exception as exc:  # chromadb raises many types when a server is down; disk errors
        raise fail(f"Backup of the {settings.store_description} failed: {exc}", 1) from exc
    state = "and the state database" if manifest.state else "(no state database yet)"
    out.print(
        f"backed up {manifest.papers} papers of collection {escape(manifest.collection)} "
        f"({escape(manifest.model)}, {manifest.dim}-d vectors, revision {manifest.revision}) "
        f"{state} to {escape(str(dest))}: {_size(dest.stat().st_size)} in "
        f"{time.monotonic() - started:.1f} s",
        soft_wrap=True,
    )


def restore_command(
    src: Annotated[Path, typer.Argument(help="a backup written by `paperboy backup`")],
    force: Annotated[
        bool,
        typer.Option("--force", help="replace the papers and state the target already holds"),
    ] = False,
) -> None:
    """Restore a backup into the configured store (embedded or a Chroma server) and state file.

    Stop the bots and the scheduler first. Refuses a non-empty target unless --force.
    """
    from bot.ops.archive import (
        BackupError,
        InvalidBackup,
        RestoreRefused,
        check_model,
        embedding_model_name,
        read_manifest,
    )
    from bot.ops.restore import check_target, load_backup, restore_loaded

    settings = load_settings()
    model = embedding_model_name(settings.embedding.model)
    started = time.monotonic()
    with ExitStack() as stack:
        try:  # check the file and the model before opening (and so creating) anything
            check_model(read_manifest(src), model)
            backup = stack.enter_context(load_backup(src))
        except BackupError as exc:
            raise fail(f"Restore refused: {exc}", 2) from exc
        try:
            store = _open_store(settings)
        except Exception as exc:
            raise fail(f"Cannot open the {settings.store_description}: {exc}", 1) from exc
        try:
            check_target(backup, store, settings.state_target, force=force)
            bar, report = progress_bar("restoring")
            with bar:
                done = restore_loaded(
                    backup, store, settings.state_target, model=model, force=force, progress=report
                )
        except (InvalidBackup, RestoreRefused) as exc:  # the target is not empty
            raise fail(f"Restore refused: {exc}", 2) from exc
        except BackupError as exc:  # writing or verifying failed
            raise fail(f"Restore failed: {exc}", 1) from exc
        except Exception as exc:
            raise fail(f"Restore into the {settings.store_description} failed: {exc}", 1) from exc
    manifest = done.manifest
    removed = f", removed {done.removed} papers not in the backup" if done.removed else ""
    where = settings.state_path if settings.state_url is None else "(PostgreSQL)"
    state = f" and the state database {where}" if manifest.state else ""
    out.print(
        f"restored {manifest.papers} papers (backup of {manifest.created_at}, "
        f"{_size(src.stat().st_size)}) into the {escape(settings.store_description)} collection "
        f"{escape(store.collection_name)}{escape(state)}{removed} in "
        f"{time.monotonic() - started:.1f} s; verified {store.count()} papers, "
        f"revision {done.revision}",
        soft_wrap=True,
    )
