"""Training data for DreamLite-Nano: ShapesWorld items rendered once, encoded to VAE latents once, text states cached.

Implements: the data side of DreamLite's task-progressive pretraining (paper, "Training recipe": text-to-image pairs
for stage 1, (source, instruction, target) triplets for stage 2, both for stage 3), with the in-context condition of
the paper's unification (the source latent beside the target). Introduced in ``notebooks/04_stage1_t2i.py`` (text-to-
image) and ``notebooks/05_stage2_editing.py`` (edits).

Why pre-encode: at 32x32 the VAE encoder costs as much as a nano U-Net step, and MiniLM costs more (FIELD_NOTES:
12.7k captions took 106 s). So each dataset is a ``run.artifact`` folder, built once per config:

- ``latents.safetensors``: ``latents`` (N, C, 8, 8) float16 scaled VAE latents of the targets (and ``source_latents``
  for edits), ``caption_index`` (N,) int64 into the caption table;
- ``text_states.safetensors``: ``states`` (U, L, 384) float16 MiniLM states of the U distinct task-prefixed captions,
  zero-padded, and ``lengths`` (U,); caption 0 is always the null caption ``""`` used for classifier-free guidance;
- ``captions.json`` (the U captions) and ``items.json`` (task / edit type per item, for the data card).

Split rule: only the ``train`` split is trained on; ``validation`` items give the validation losses and
sample grids, and the held-out ``test`` split only by ``stages.evaluate_on_test``.

The task mix is tilted to the tasks the reference recipes failed on (FIELD_NOTES: counting, position and colour
binding stayed near chance): see ``DEFAULT_T2I_TASK_WEIGHTS``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

#: Text-to-image task mix (relative weights over ShapesWorld's tasks). GenEval weights its six tasks equally in the
#: score, so the hard ones (counting, position, colour attribution) get more of the data; dense DPG paragraphs are
#: long and each unique, so they cost the most text-encoding time per item and get a smaller share.
DEFAULT_T2I_TASK_WEIGHTS: dict[str, float] = {"single_object": 1.0, "two_object": 1.5, "counting": 2.0, "colors": 1.0,
                                              "position": 2.5, "color_attr": 2.5, "dpg": 0.75}
DATA_VERSION = 1
TRAINING_SPLITS = ("train", "validation")


@dataclass
class T2IData:
    """Pre-encoded text-to-image training data (tensors in memory)."""

    latents: torch.Tensor          # (N, C, h, w) float16
    caption_index: torch.Tensor    # (N,) int64
    states: torch.Tensor           # (U, L, D) float16, caption 0 = null caption
    lengths: torch.Tensor          # (U,) int64
    captions: list[str]
    tasks: list[str]
    folder: Path | None = None

    def __len__(self) -> int:
        return int(self.latents.shape[0])

    def text(self, caption_index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(encoder_hidden_states (B, L_b, D) float32, encoder_attention_mask (B, L_b) int64) for caption ids,
        trimmed to the longest caption in the batch."""
        return gather_text(self.states, self.lengths, caption_index)


@dataclass
class EditData(T2IData):
    """Pre-encoded edit training data: ``latents`` are the targets, ``source_latents`` the conditions."""

    source_latents: torch.Tensor | None = None  # (N, C, h, w) float16


def gather_text(states: torch.Tensor, lengths: torch.Tensor, index: torch.Tensor):
    """Look up cached text states: rows ``index`` of the caption table, cut to the batch's longest caption, with a
    mask of 1 for real tokens (padded positions are zero, as the authors' pipeline zeroes them)."""
    length = int(lengths[index].max())
    hidden = states[index, :length].float()
    mask = (torch.arange(length)[None, :] < lengths[index][:, None]).long()
    return hidden, mask


def encode_caption_table(text_encoder, captions: list[str], progress: bool = True):
    """Encode distinct captions once: (states (U, L, D) float16 zero-padded, lengths (U,) int64).

    ``text_encoder.encode(prompts) -> (hidden (B, L, D), mask (B, L))`` (``dreamlite_core.nano.NanoTextEncoder``).
    """
    from tqdm.auto import tqdm

    chunk = 512
    pieces, lengths = [], []
    for start in tqdm(range(0, len(captions), chunk), desc="text states", disable=not progress, leave=False):
        hidden, mask = text_encoder.encode(captions[start:start + chunk])
        pieces.append((hidden.half(), mask.sum(dim=1)))
    width = max(p[0].shape[1] for p in pieces)
    dim = pieces[0][0].shape[2]
    states = torch.zeros(len(captions), width, dim, dtype=torch.float16)
    row = 0
    for hidden, lens in pieces:
        states[row:row + hidden.shape[0], :hidden.shape[1]] = hidden
        lengths.append(lens)
        row += hidden.shape[0]
    return states, torch.cat(lengths).long()


NULL_PROMPT = ""  # the unconditional caption of classifier-free guidance (as dreamlite_core.nano.text uses)


def _caption_table(texts: list[str]) -> tuple[list[str], torch.Tensor]:
    captions = [NULL_PROMPT] + sorted(set(texts) - {NULL_PROMPT})
    where = {c: i for i, c in enumerate(captions)}
    return captions, torch.tensor([where[t] for t in texts], dtype=torch.long)


#: Items are made and rendered in chunks with their own seeds, so a dataset does not depend on how many worker
#: processes built it (``workers``: 1 on the 2-core laptop, 16 on the GPU machine of the paper profile).
CHUNK = 4096


def _chunk_seed(seed: int, k: int) -> int:
    return int(seed) * 100_003 + k


def _t2i_chunk(args):
    from ..nano import task_prompt
    from ..world import make_t2i_items, render_scene

    split, n, seed, weights, size = args
    items = make_t2i_items(split, n, seed, task_weights=weights)
    images = np.stack([render_scene(it.scene, size=size) for it in items])
    return [task_prompt("generate", it.prompt) for it in items], [it.task for it in items], images


def _edit_chunk(args):
    from ..nano import task_prompt
    from ..world import make_edit_items, render_scene

    split, n, seed, weights, size = args
    items = make_edit_items(split, n, seed, type_weights=weights)
    sources = np.stack([render_scene(it.source, size=size) for it in items])
    targets = np.stack([render_scene(it.target, size=size) for it in items])
    return [task_prompt("edit", it.instruction) for it in items], [it.edit_type for it in items], sources, targets


def _build_chunks(fn, split: str, n: int, seed: int, weights, size: int, workers: int, progress: bool, desc: str):
    """Run ``fn`` over the chunks of an ``n``-item dataset (in ``workers`` processes) and concatenate the parts."""
    from tqdm.auto import tqdm

    jobs = [(split, min(CHUNK, n - start), _chunk_seed(seed, k), weights, size)
            for k, start in enumerate(range(0, n, CHUNK))]
    if workers > 1 and len(jobs) > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork")) as pool:
            parts = list(tqdm(pool.map(fn, jobs), total=len(jobs), desc=desc, disable=not progress, leave=False))
    else:
        parts = [fn(job) for job in tqdm(jobs, desc=desc, disable=not progress, leave=False)]
    return [sum((list(p[0]) for p in parts), []), sum((list(p[1]) for p in parts), [])] + [
        np.concatenate([p[i] for p in parts]) for i in range(2, len(parts[0]))]


def _encode(vae, images: np.ndarray) -> torch.Tensor:
    from ..nano import encode_images

    return encode_images(vae, images, batch_size=512).half()


def _write(folder: Path, tensors: dict, captions: list[str], items: dict, stats: dict) -> None:
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in tensors.items() if k in ("latents", "source_latents", "caption_index")},
              folder / "latents.safetensors")
    save_file({"states": tensors["states"].contiguous(), "lengths": tensors["lengths"].contiguous()},
              folder / "text_states.safetensors")
    (folder / "captions.json").write_text(json.dumps(captions))
    (folder / "items.json").write_text(json.dumps(items))
    (folder / "data_stats.json").write_text(json.dumps(stats, indent=1))


def _read(folder: Path, cls):
    from safetensors.torch import load_file

    tensors = {**load_file(folder / "latents.safetensors"), **load_file(folder / "text_states.safetensors")}
    captions = json.loads((folder / "captions.json").read_text())
    items = json.loads((folder / "items.json").read_text())
    kwargs = dict(latents=tensors["latents"], caption_index=tensors["caption_index"], states=tensors["states"],
                  lengths=tensors["lengths"], captions=captions, tasks=items["tasks"], folder=folder)
    if cls is EditData:
        kwargs["source_latents"] = tensors["source_latents"]
    return cls(**kwargs)


def _vae_key(vae) -> str:
    """The VAE's artifact folder name (it carries the VAE's config hash), so latents follow the VAE."""
    return Path(str(getattr(vae.config, "_name_or_path", "") or "untracked-vae")).name


def _check_split(split: str) -> None:
    if split not in TRAINING_SPLITS:
        raise ValueError(f"training data comes from {' or '.join(TRAINING_SPLITS)}, never from {split!r}: the test "
                         f"split is held out for the final report (dreamlite_core.world.splits)")


def _data_config(split: str, n: int, seed: int, weights_key: str, weights, size: int, vae, text_encoder) -> dict:
    """The cache key of a dataset artifact: what is rendered, by which VAE and text encoder."""
    return {"split": split, "n": int(n), "seed": int(seed), weights_key: weights, "size": int(size),
            "vae": _vae_key(vae), "text_max_length": int(getattr(text_encoder, "max_length", 0)), "chunk": CHUNK,
            "version": DATA_VERSION}


def _encode_and_write(folder: Path, vae, text_encoder, texts: list[str], tasks: list[str], images: dict,
                      render_s: float, progress: bool) -> None:
    """VAE-encode each image set of ``images`` ({tensor name: uint8 images}), text-encode the unique captions once,
    and write the dataset with its timing statistics."""
    t0 = time.perf_counter()
    latents = {name: _encode(vae, array) for name, array in images.items()}
    t_vae = time.perf_counter() - t0
    captions, index = _caption_table(texts)
    states, lengths = encode_caption_table(text_encoder, captions, progress)
    t_text = time.perf_counter() - t0 - t_vae
    stats = {"items": len(tasks), "unique_captions": len(captions), "render_s": render_s, "vae_s": t_vae,
             "text_s": t_text, "latent_std": float(latents["latents"].float().std()),
             "text_len_max": int(lengths.max())}
    _write(folder, {**latents, "caption_index": index, "states": states, "lengths": lengths}, captions,
           {"tasks": tasks}, stats)


def t2i_dataset(run, vae, text_encoder, n: int, seed: int, task_weights: dict | None = None, size: int = 32,
                progress: bool = True, split: str = "train", workers: int = 1) -> T2IData:
    """``n`` text-to-image items of ``split`` (train, or validation for validation losses) rendered at ``size``,
    VAE-encoded and text-encoded once (cached as the ``t2i_data`` artifact). Captions carry the generation prefix:
    ``task_prompt("generate", prompt)``."""
    _check_split(split)
    weights = dict(task_weights or DEFAULT_T2I_TASK_WEIGHTS)
    config = _data_config(split, n, seed, "task_weights", weights, size, vae, text_encoder)

    def build(folder: Path) -> None:
        t0 = time.perf_counter()
        texts, tasks, images = _build_chunks(_t2i_chunk, split, int(n), int(seed), weights, size, workers,
                                             progress, "render t2i")
        _encode_and_write(folder, vae, text_encoder, texts, tasks, {"latents": images}, time.perf_counter() - t0,
                          progress)

    return _read(run.artifact("t2i_data", config, build), T2IData)


def edit_dataset(run, vae, text_encoder, n: int, seed: int, type_weights: dict | None = None, size: int = 32,
                 progress: bool = True, split: str = "train", workers: int = 1) -> EditData:
    """``n`` edit items of ``split`` (train or validation): source and target rendered, both VAE-encoded;
    instructions carry the edit prefix ``task_prompt("edit", instruction)`` (cached as the ``edit_data`` artifact)."""
    _check_split(split)
    config = _data_config(split, n, seed, "type_weights", type_weights, size, vae, text_encoder)

    def build(folder: Path) -> None:
        t0 = time.perf_counter()
        texts, tasks, sources, targets = _build_chunks(_edit_chunk, split, int(n), int(seed), type_weights, size,
                                                       workers, progress, "render edits")
        _encode_and_write(folder, vae, text_encoder, texts, tasks, {"source_latents": sources, "latents": targets},
                          time.perf_counter() - t0, progress)

    return _read(run.artifact("edit_data", config, build), EditData)


def task_counts(data: T2IData) -> dict[str, int]:
    """Items per task (or edit type) in a dataset: the data card's mix."""
    out: dict[str, int] = {}
    for t in data.tasks:
        out[t] = out.get(t, 0) + 1
    return dict(sorted(out.items()))
