"""Acronym expansion: "FFT-based attention" also searches "fast Fourier transform".

Small embedding models and BM25 both miss that an acronym and its long form mean the same thing;
appending the long form to the query fixes the commonest cases in ML paper search.
"""

from __future__ import annotations

import re

ACRONYMS: dict[str, str] = {
    "fft": "fast Fourier transform",
    "dft": "discrete Fourier transform",
    "dct": "discrete cosine transform",
    "ssm": "state space model",
    "ssms": "state space models",
    "llm": "large language model",
    "llms": "large language models",
    "vlm": "vision language model",
    "vlms": "vision language models",
    "vit": "vision transformer",
    "gnn": "graph neural network",
    "gnns": "graph neural networks",
    "moe": "mixture of experts",
    "rag": "retrieval augmented generation",
    "rl": "reinforcement learning",
    "rlhf": "reinforcement learning from human feedback",
    "nerf": "neural radiance field",
    "asr": "automatic speech recognition",
    "tts": "text to speech",
    "cnn": "convolutional neural network",
    "kv": "key value",
    "pde": "partial differential equation",
    "pdes": "partial differential equations",
}
_TOKEN = re.compile(r"[A-Za-z]+")


def expand_acronyms(text: str) -> str:
    """``text`` plus the long form of each known acronym it contains (once each)."""
    extra: list[str] = []
    for token in _TOKEN.findall(text):
        long_form = ACRONYMS.get(token.lower())
        if long_form and long_form.lower() not in text.lower() and long_form not in extra:
            extra.append(long_form)
    return f"{text} ({'; '.join(extra)})" if extra else text
