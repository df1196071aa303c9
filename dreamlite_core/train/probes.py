"""Does the trained U-Net read each word of its prompt? A probe of the text conditioning.

Implements: a diagnostic of how text reaches DreamLite's U-Net (arXiv 2603.28713; PAPER_FACTS.md "The U-Net" and
"The rest of the model": the prompt's token states enter only through cross-attention, after the U-Net's own
``text_proj_rms`` projection). Introduced in ``notebooks/04_stage1_t2i.py``, where it explains why the nano samples
take the prompt's colour but not its shape.

For a validation item such as "a photo of a red star", its ground-truth render is encoded and noised to level s
(the flow-matching path x_s = (1 - s) x0 + s eps, ``add_noise``), and the U-Net's velocity under the item's prompt
is compared with its velocity under the same prompt with one word swapped, on the same x_s:

    delta_word(s) = RMS over items and latent elements of  v(x_s, s, prompt) - v(x_s, s, prompt with the word swapped)

beside the velocity's own RMS and the prompt-vs-null difference (the direction classifier-free guidance amplifies).
A model that reads a word moves its prediction when the word changes; one that ignores it does not. For scale, the
probe also reports how far the word moves the *data*: the RMS difference between the latents of the scene and of the
same scene with its object's shape (or colour) swapped the same way (``... (renders)``). Near s = 1 a perfect
denoiser predicts the mean image of the prompt, so its change is that difference blurred over positions; where a
model's change is a small fraction of it, the model is not drawing what the word says.
"""

from __future__ import annotations

import re

import numpy as np
import torch

from ..nano import add_noise, in_context_velocity, task_prompt
from ..nano.text import NULL_PROMPT
from ..world.constants import COLORS, SHAPES


def next_word(word: str, vocabulary) -> str:
    """The word after ``word`` in ``vocabulary``, cyclically (the last one is followed by the first)."""
    words = list(vocabulary)
    return words[(words.index(word) + 1) % len(words)]


def swap_word(prompt: str, vocabulary) -> str:
    """``prompt`` with its first word from ``vocabulary`` replaced by the next word of the vocabulary (cyclically),
    its article following: "a photo of a red star" -> "a photo of an orange star" for the colours. Raises
    ``ValueError`` if no word of the vocabulary occurs."""
    words = list(vocabulary)
    pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b")
    match = pattern.search(prompt)
    if match is None:
        raise ValueError(f"no word of {words} in the prompt {prompt!r}")
    new = next_word(match.group(1), words)
    head = re.sub(r"\b(a|an) $", "an " if new[0] in "aeiou" else "a ", prompt[:match.start()])
    return head + new + prompt[match.end():]


@torch.no_grad()
def prompt_sensitivity(pipe, items, sigmas=(0.9, 0.7, 0.5, 0.3), seed: int = 0) -> list[dict]:
    """One row per noise level s: ``velocity_rms`` and the RMS change of the velocity when the prompt's shape word
    (``shape word``), its colour word (``colour word``) or the whole prompt (``prompt vs null``: the empty caption,
    as classifier-free guidance uses) changes; ``shape word (renders)`` and ``colour word (renders)`` give the same
    swaps' RMS change of the clean latents. ``items`` are text-to-image items with one object whose colour and
    shape the prompt names (the "colors" task of mini-GenEval), rendered at the pipeline's resolution."""
    from ..world import render_scene

    items = list(items)
    if not items:
        raise ValueError("prompt_sensitivity needs at least one item")
    if any(len(it.scene.objects) != 1 for it in items):
        raise ValueError("prompt_sensitivity needs one-object scenes whose prompts name a colour and a shape "
                         "(mini-GenEval's 'colors' task)")
    prompts = [it.prompt for it in items]
    variants = {"prompt": prompts,
                "shape word": [swap_word(p, SHAPES) for p in prompts],
                "colour word": [swap_word(p, COLORS) for p in prompts],
                "prompt vs null": [None] * len(prompts)}

    def latents(scenes):
        renders = np.stack([render_scene(scene, size=pipe.resolution) for scene in scenes])
        return pipe.encode(renders).to(pipe.device)

    def swapped(scene, attribute, vocabulary):
        obj = scene.objects[0]
        return scene.replace(objects=(obj.replace(**{attribute: next_word(getattr(obj, attribute), vocabulary)}),))

    x0 = latents([it.scene for it in items])
    data_delta = {name: float((latents([swapped(it.scene, attr, vocab) for it in items]) - x0).pow(2).mean().sqrt())
                  for name, attr, vocab in (("shape word", "shape", SHAPES), ("colour word", "color", COLORS))}
    generator = torch.Generator().manual_seed(seed)
    eps = torch.randn(x0.shape, generator=generator).to(pipe.device)
    states = {}
    for name, texts in variants.items():
        captions = [NULL_PROMPT if t is None else task_prompt("generate", t) for t in texts]
        hidden, mask = pipe.text.encode(captions)
        states[name] = (hidden.to(pipe.device), mask.to(pipe.device))
    unet = pipe.unet.eval()
    n = len(items)
    rows = []
    for s in sigmas:
        x_s = add_noise(x0, eps, torch.full((n,), float(s), device=pipe.device))
        timestep = torch.full((n,), float(s) * 1000.0, device=pipe.device)
        velocity = {name: in_context_velocity(unet, x_s, timestep, hidden, mask, resolution=pipe.resolution).float()
                    for name, (hidden, mask) in states.items()}
        row = {"sigma": float(s), "velocity_rms": float(velocity["prompt"].pow(2).mean().sqrt())}
        for name in ("shape word", "colour word", "prompt vs null"):
            row[name] = float((velocity["prompt"] - velocity[name]).pow(2).mean().sqrt())
        rows.append({**row, **{f"{name} (renders)": value for name, value in data_delta.items()}})
    return rows


def word_grid_change(grid: dict[str, np.ndarray]) -> dict[str, float]:
    """``{word: mean absolute pixel change (0-255)}`` of each row of a :func:`word_grid` against its first row: how
    much the picture moves when only the word changes."""
    words = list(grid)
    first = grid[words[0]].astype(float)
    return {w: float(np.abs(grid[w].astype(float) - first).mean()) for w in words[1:]}


def word_grid(pipe, template: str, words, n: int = 4, seed: int = 0, num_inference_steps: int = 28,
              guidance_scale: float = 2.5) -> dict[str, np.ndarray]:
    """``{word: uint8 (n, H, W, 3)}``: ``template.format(word)`` sampled from the same ``n`` starting noises for
    every word, so the only thing that differs between rows is the word."""
    grid = {}
    for word in words:
        generator = torch.Generator().manual_seed(seed)
        grid[word] = pipe.generate([template.format(word)] * n, num_inference_steps=num_inference_steps,
                                   guidance_scale=guidance_scale, generator=generator, output_type="uint8").images
    return grid
