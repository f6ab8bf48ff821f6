"""The backup archive format: one file with everything Paperboy keeps: papers with their vectors, and the state database.

A backup is a ``.tar.gz`` holding

- ``manifest.json``: format version, time, collection, paper count, revision, embedding model and
  vector size, Paperboy version, and the size and SHA-256 of every other member;
- ``papers.jsonl``: one ``{"id", "metadata", "document"}`` object a line;
- ``vectors.npy``: float32 vectors, row ``i`` belonging to line ``i`` of ``papers.jsonl``;
- ``sentences.jsonl`` (optional; older backups lack it): one ``{"id", "metadata"}`` object a
  line, each paper's sentence vectors as :mod:`retrieval.sentence_store` keeps them;
- ``state.sqlite3``: the state database (ledger, plans, feedback, ...) copied with SQLite's online
  backup API, so it is consistent while bots keep writing (WAL contents included).

The BM25 index is derived from the papers and rebuilt automatically, so it is not included.
This module holds the format and reads archives; :mod:`bot.ops.backup` writes them and
:mod:`bot.ops.restore` writes one back into a store, with the stored vectors (nothing is
re-embedded), so the same code moves a deployment between an embedded store and a Chroma server.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.embed import BUNDLED

FORMAT = "paperboy-backup"
FORMAT_VERSION = 1
MANIFEST, PAPERS, VECTORS, STATE = "manifest.json", "papers.jsonl", "vectors.npy", "state.sqlite3"
SENTENCES = "sentences.jsonl"


class BackupError(RuntimeError):
    """A backup cannot be written, or a file is not a usable backup (the message says why)."""


class InvalidBackup(BackupError):
    """The file is missing, not a Paperboy backup, corrupt, or from a newer Paperboy."""


class RestoreRefused(BackupError):
    """Restoring would overwrite data or would not match the configured embedding model."""


@dataclass(frozen=True, slots=True)
class BackupManifest:
    """What a backup holds (``manifest.json``)."""

    format_version: int
    created_at: str
    collection: str
    papers: int
    revision: int
    model: str
    dim: int
    paperboy_version: str
    state: bool
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    format: str = FORMAT

    @classmethod
    def from_json(cls, raw: bytes) -> BackupManifest:
        """Parse and check ``manifest.json``; :class:`BackupError` if it is not ours or too new."""
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise InvalidBackup(f"manifest.json is not valid JSON ({exc})") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise InvalidBackup(
                "not a Paperboy backup (manifest.json has no paperboy-backup format)"
            )
        version = data.get("format_version")
        if not isinstance(version, int) or version < 1:
            raise InvalidBackup(f"unknown backup format version {version!r}")
        if version > FORMAT_VERSION:
            raise InvalidBackup(
                f"the backup has format version {version}, made by a newer Paperboy "
                f"({data.get('paperboy_version', '?')}); this one reads up to version "
                f"{FORMAT_VERSION}. Upgrade Paperboy to restore it"
            )
        try:
            return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
        except TypeError as exc:
            raise InvalidBackup(f"manifest.json is incomplete ({exc})") from exc


def embedding_model_name(configured: str) -> str:
    """The model name recorded in backups for the ``embedding.model`` setting (as in
    :mod:`retrieval.embed`: ``bundled`` is all-MiniLM-L6-v2)."""
    return "all-MiniLM-L6-v2" if configured == BUNDLED else configured


def paperboy_version() -> str:
    """The installed Paperboy version, or ``unknown``."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("paperboy")
    except PackageNotFoundError:
        return "unknown"


def sha256(path: Path) -> str:
    """The SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ----- reading a backup --------------------------------------------------------------------


def _open_tar(src: Path) -> tarfile.TarFile:
    if not src.is_file():
        raise InvalidBackup(f"no backup file at {src}")
    try:
        return tarfile.open(src, "r:gz")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise InvalidBackup(
            f"{src} is not a Paperboy backup (not a .tar.gz archive: {exc})"
        ) from exc


def read_manifest(src: Path) -> BackupManifest:
    """The manifest of the backup at ``src``, checked (cheap: the manifest is the first member)."""
    try:
        with _open_tar(src) as tar:
            member = tar.next()
            if member is None or member.name != MANIFEST or not member.isfile():
                raise InvalidBackup(f"{src} is not a Paperboy backup (no manifest.json first)")
            reader = tar.extractfile(member)
            assert reader is not None  # a regular file
            raw = reader.read()
    except InvalidBackup:
        raise
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise InvalidBackup(f"{src} is corrupt ({exc})") from exc
    return BackupManifest.from_json(raw)


def extract_archive(src: Path, folder: Path) -> BackupManifest:
    """Unpack the expected members into ``folder`` and verify sizes and checksums."""
    manifest = read_manifest(src)
    wanted = set(manifest.files)
    if not {PAPERS, VECTORS} <= wanted or (manifest.state and STATE not in wanted):
        raise InvalidBackup(f"{src} is incomplete (manifest lists {sorted(wanted)})")
    try:
        with _open_tar(src) as tar:
            for member in tar:
                if member.name in wanted and member.isfile():
                    reader = tar.extractfile(member)
                    assert reader is not None  # a regular file
                    with reader, (folder / member.name).open("wb") as out:
                        shutil.copyfileobj(reader, out, 1 << 20)
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise InvalidBackup(f"{src} is corrupt or truncated ({exc})") from exc
    for name, info in manifest.files.items():
        path = folder / name
        if not path.is_file() or path.stat().st_size != info.get("bytes"):
            raise InvalidBackup(f"{src} is corrupt or truncated ({name} missing or wrong size)")
        if sha256(path) != info.get("sha256"):
            raise InvalidBackup(f"{src} is corrupt ({name} fails its checksum)")
    return manifest


def load_records(folder: Path, manifest: BackupManifest) -> tuple[list[dict], np.ndarray]:
    """The records and vectors of an unpacked archive, checked against its manifest."""
    try:
        lines = (folder / PAPERS).read_text(encoding="utf-8").splitlines()
        records = [json.loads(line) for line in lines if line.strip()]
        vectors = np.load(folder / VECTORS, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise InvalidBackup(f"the backup's papers cannot be read ({exc})") from exc
    if len(records) != manifest.papers or len(vectors) != manifest.papers:
        raise InvalidBackup(
            f"the backup is inconsistent: manifest says {manifest.papers} papers, "
            f"papers.jsonl has {len(records)}, vectors.npy has {len(vectors)}"
        )
    if manifest.papers and (vectors.ndim != 2 or vectors.shape[1] != manifest.dim):
        raise InvalidBackup(
            f"the backup's vectors have shape {vectors.shape}, not (n, {manifest.dim})"
        )
    return records, vectors.astype(np.float32, copy=False)


def load_sentences(folder: Path, manifest: BackupManifest) -> list[dict]:
    """The sentence-vector records of an unpacked archive (none in a backup made before they
    existed: those papers get theirs recomputed on demand)."""
    if SENTENCES not in manifest.files:
        return []
    try:
        lines = (folder / SENTENCES).read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]
    except (ValueError, OSError) as exc:
        raise InvalidBackup(f"the backup's sentence vectors cannot be read ({exc})") from exc


# ----- restore -----------------------------------------------------------------------------


def check_model(manifest: BackupManifest, model: str) -> None:
    """Refuse a backup whose vectors were made by another model than ``model`` (its vectors would
    not be comparable with the configured model's question vectors)."""
    if manifest.model == model:
        return
    setting = BUNDLED if manifest.model == embedding_model_name(BUNDLED) else manifest.model
    raise RestoreRefused(
        f"the backup's vectors were made with embedding model {manifest.model!r}, but Paperboy is "
        f"configured for {model!r}; set embedding.model = {setting!r} "
        f"(PAPERBOY_EMBEDDING__MODEL={setting}) to restore it, then `paperboy reindex` if you "
        "want to switch models"
    )
