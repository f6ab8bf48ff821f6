"""Questions on the bundled demo corpus, each with a different paper that must come first.

Used where many questions are asked at once (tests/test_concurrent_e2e.py,
bench/load_chat.py): every answer can be checked against its own question, so an answer sent to
the wrong conversation, or twice, shows. Each expected paper was the clear first hit of dense,
BM25 and hybrid search alike (its own title's words, rephrased).
"""

from __future__ import annotations

DISTINCT_QUESTIONS: list[tuple[str, str]] = [  # (question, title of the paper that comes first)
    ("FNet mixing tokens with Fourier transforms", "FNet: Mixing Tokens with Fourier Transforms"),
    (
        "one write-head is all you need for fast transformer decoding",
        "Fast Transformer Decoding: One Write-Head is All You Need",
    ),
    (
        "FlashFFTConv efficient convolutions for long sequences with tensor cores",
        "FlashFFTConv: Efficient Convolutions for Long Sequences with Tensor Cores",
    ),
    (
        "ANN-SNN conversion for spiking large language models",
        "FAS: Fast ANN-SNN Conversion for Spiking Large Language Models",
    ),
    (
        "equivariant scalar fields for molecular docking",
        "Equivariant Scalar Fields for Molecular Docking with Fast Fourier Transforms",
    ),
    (
        "FastNeRF high-fidelity neural rendering at 200 FPS",
        "FastNeRF: High-Fidelity Neural Rendering at 200FPS",
    ),
    (
        "the fast Johnson-Lindenstrauss transform",
        "The Fast Johnson-Lindenstrauss Transform is Even Faster",
    ),
    (
        "Walsh-Hadamard adaptation for quantization-aware fine-tuning",
        "QWHA: Quantization-Aware Walsh-Hadamard Adaptation",
    ),
    (
        "transformer solver for PDEs on general geometries",
        "Transolver: A Fast Transformer Solver for PDEs on General Geometries",
    ),
    (
        "finite scalar quantization instead of VQ-VAE",
        "Finite Scalar Quantization: VQ-VAE Made Simple",
    ),
    (
        "inversion of rectified flow for image semantic editing",
        "FireFlow: Fast Inversion of Rectified Flow for Image Semantic Editing",
    ),
    (
        "character transformers with gradient-based subword tokenization",
        "Charformer: Fast Character Transformers via Gradient-based Subword Tokenization",
    ),
    (
        "1000 FPS image representation with 2D Gaussian splatting",
        "GaussianImage: 1000 FPS Image Representation and Compression by 2D Gaussian Splatting",
    ),
    (
        "caching features in diffusion transformers token-wise",
        "Accelerating Diffusion Transformers with Token-wise Feature Caching",
    ),
    (
        "multi-step GraphRAG engine with a compact LLM",
        "RAGU: A Multi-Step GraphRAG Engine with a Compact Domain-Adapted LLM",
    ),
    ("healthcare agentic model Cura", "Cura 1T: Specialized Model for Agentic Healthcare"),
    (
        "long range arena benchmark for efficient transformers",
        "Long Range Arena: A Benchmark for Efficient Transformers",
    ),
    ("DistilBERT inference on CPUs", "Fast DistilBERT on CPUs"),
    (
        "transformers are RNNs with linear attention",
        "Transformers are RNNs: Fast Autoregressive Transformers with Linear Attention",
    ),
    (
        "FlashAttention-2 better parallelism and work partitioning",
        "FlashAttention-2: Faster Attention with Better Parallelism and Work Partitioning",
    ),
]


def first_in_slack_message(params: dict) -> str:
    """The text of the first result (the first section after the header) of a Slack message."""
    sections = [b["text"]["text"] for b in params.get("blocks", []) if b["type"] == "section"]
    return sections[0] if sections else params.get("text", "")


def first_in_discord_message(body: dict) -> str:
    """The title of the first result card (the embed after the header) of a Discord message."""
    embeds = body.get("embeds") or []
    return embeds[1].get("title", "") if len(embeds) > 1 else body.get("content", "")
