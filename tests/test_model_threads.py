"""`embedding.threads` reaches the model: the chat bots encode with one CPU thread per call
(questions run side by side in the answer pool), other commands keep torch's default."""

from __future__ import annotations

import pytest

from bot import services
from bot.settings import Settings


class Recorded:
    """Stands in for the model: records how it was built."""

    def __init__(self, model: str, batch_size: int, threads: int | None = None) -> None:
        self.args = (model, batch_size, threads)


@pytest.mark.parametrize(
    ("configured", "serving", "threads"),
    [(0, True, 1), (0, False, None), (3, True, 3), (3, False, 3)],
)
def test_embedding_threads(monkeypatch, tmp_path, configured, serving, threads) -> None:
    monkeypatch.setattr(services, "SentenceTransformerEmbedder", Recorded)
    settings = Settings(data_dir=tmp_path, embedding={"threads": configured})
    built = services.build_embedder(settings, serving=serving)
    assert built.args == ("bundled", 64, threads)


def test_set_model_threads_sets_torchs_intra_op_threads() -> None:
    import torch

    from retrieval.embed import set_model_threads

    before = torch.get_num_threads()
    try:
        set_model_threads(1)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
