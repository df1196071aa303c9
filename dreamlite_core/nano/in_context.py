"""In-context spatial concatenation and task prefixes: how one U-Net is told which task it does.

Implements: DreamLite's unification (arXiv 2603.28713; PAPER_FACTS.md "The rest of the model"): the U-Net input is
``[noisy target | condition]`` along the width; the condition half is all zeros for generation and the VAE latent of
the source image for editing; only the left (target) half of the output is used. The task is named in the text by
a plain prefix, ``"[Generate]: "`` or the ``"[Edit]: A diptych ..."`` sentence. Introduced in
``notebooks/03_in_context_concatenation.py``.
"""

from __future__ import annotations

from ..paper import TASK_PREFIX_EDIT, TASK_PREFIX_GENERATE

TASKS = ("generate", "edit")


def pack_in_context(target, condition=None):
    """``[target | condition]`` along the width (last axis): (B, C, h, w) and (B, C, h, w) -> (B, C, h, 2w).

    ``condition=None`` means generation: the condition half is exactly zero (the authors' ``zeros_like``).
    """
    import torch

    if condition is None:
        condition = torch.zeros_like(target)
    if condition.shape != target.shape:
        raise ValueError(f"condition latents {tuple(condition.shape)} must have the target's shape "
                         f"{tuple(target.shape)} to be packed side by side")
    return torch.cat([target, condition], dim=-1)


def target_half(packed, width: int | None = None):
    """The left (target) half of a packed tensor: ``packed[..., :width]`` with ``width = packed.shape[-1] // 2``
    unless given. The U-Net's prediction for the right half is discarded (and never trained)."""
    if width is None:
        if packed.shape[-1] % 2:
            raise ValueError(f"a packed tensor has an even width; got {packed.shape[-1]}")
        width = packed.shape[-1] // 2
    return packed[..., :width]


def condition_half(packed, width: int | None = None):
    """The right (condition) half of a packed tensor."""
    width = packed.shape[-1] // 2 if width is None else width
    return packed[..., width:]


def task_prompt(task: str, text: str) -> str:
    """The text the encoder reads: the paper's task prefix + the caption or instruction.

    >>> task_prompt("generate", "a red circle")
    '[Generate]: a red circle'
    """
    if task == "generate":
        return TASK_PREFIX_GENERATE + text
    if task == "edit":
        return TASK_PREFIX_EDIT + text
    raise ValueError(f"unknown task {task!r}; tasks: {', '.join(TASKS)}")


def strip_task_prefix(text: str) -> str:
    """The caption without its task prefix (inverse of :func:`task_prompt`)."""
    for prefix in (TASK_PREFIX_EDIT, TASK_PREFIX_GENERATE):
        if text.startswith(prefix):
            return text[len(prefix):]
    return text
