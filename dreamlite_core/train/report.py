"""Figures and tables for the training notebooks: loss curves, sample grids, benchmark tables beside oracle and
chance, and the map of how much the target half attends to the condition half.

Implements: the measurements behind DreamLite's task-progressive pretraining and in-context concatenation
(paper, "Training recipe" and "In-context spatial concatenation"): what each stage learns, and whether the trained
U-Net's self-attention actually reads the condition half when it edits. Introduced in ``notebooks/04_stage1_t2i.py``
(curves, grids, tables) and ``notebooks/06_stage3_joint.py`` (attention maps, ablation).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from ..repro import new_figure
from .stages import read_logs


# ---------------------------------------------------------------------------------------------- curves
def loss_frame(artifacts: dict):
    """Long ``pandas.DataFrame`` (run, step, loss, samples_per_s, elapsed_s) of the loss logs of stage artifacts
    ``{label: folder}``; steps continue across stages in the order given when ``label`` names a stage chain."""
    import pandas as pd

    rows = []
    for label, folder in artifacts.items():
        log, evals = read_logs(Path(folder))
        for r in log:
            rows.append({"run": label, "step": r["step"], "loss": r["loss"], "samples_per_s": r.get("samples_per_s"),
                         "elapsed_s": r.get("elapsed_s"), "kind": "train"})
        for r in evals:
            for key in ("val_loss_t2i", "val_loss_edit"):
                if key in r:
                    rows.append({"run": label, "step": r["step"], "loss": r[key], "kind": key})
    return pd.DataFrame(rows)


def plot_loss_curves(frame, title: str = "", offsets: dict | None = None, smooth: int = 5):
    """Training loss (smoothed, solid) and validation losses (markers) per run; ``offsets`` shifts a run's steps
    (to draw stages 1-3 end to end)."""
    fig, ax = new_figure(1, 1, "wide")
    offsets = offsets or {}
    for label, group in frame.groupby("run", sort=False):
        shift = offsets.get(label, 0)
        train = group[group["kind"] == "train"].sort_values("step")
        if len(train):
            y = train["loss"].rolling(smooth, min_periods=1).mean()
            (line,) = ax.plot(train["step"] + shift, y, label=f"{label} (train)")
            for kind, marker in (("val_loss_t2i", "o"), ("val_loss_edit", "s")):
                val = group[group["kind"] == kind]
                if len(val):
                    ax.plot(val["step"] + shift, val["loss"], marker, color=line.get_color(), ms=5,
                            label=f"{label} ({kind.replace('val_loss_', 'val ')})")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("flow-matching loss (left half)")
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=2)
    return fig


def plot_sdedit_profile(rows: list[dict], oracle: float | None = None, chance: float | None = None,
                        title: str = ""):
    """mini-GenEval against the noise level s the sampler starts from (``stages.sdedit_profile`` rows): s = 1 is
    ordinary generation from pure noise; lower s hands the model more of the ground-truth layout."""
    fig, ax = new_figure(1, 1, "single")
    x = [r["start_sigma"] for r in rows]
    ax.plot(x, [r["geneval"] for r in rows], "o-", label="DreamLite-Nano")
    for value, name, style in ((oracle, "oracle", "--"), (chance, "chance", ":")):
        if value is not None:
            ax.axhline(value, ls=style, color="grey", label=name)
    ax.set_xlabel("noise level s the sampler starts from (1 = pure noise)")
    ax.set_ylabel("mini-GenEval (validation)")
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return fig


def plot_prompt_sensitivity(rows: list[dict], title: str = ""):
    """``probes.prompt_sensitivity`` rows: the RMS change of the U-Net's velocity when the shape word, the colour
    word or the whole prompt changes, against the noise level s; dashed lines: how far the same word swaps move the
    clean latents (the data's own change, for scale)."""
    fig, ax = new_figure(1, 1, "single")
    x = [r["sigma"] for r in rows]
    for name, marker in (("shape word", "o"), ("colour word", "s"), ("prompt vs null", "^")):
        (line,) = ax.plot(x, [r[name] for r in rows], marker + "-", label=f"model: {name}")
        if f"{name} (renders)" in rows[0]:
            ax.axhline(rows[0][f"{name} (renders)"], ls="--", color=line.get_color(), label=f"renders: {name}")
    ax.set_xlabel("noise level s")
    ax.set_ylabel("RMS change (latent units)")
    ax.set_ylim(0, None)
    ax.set_title(title)
    ax.legend(fontsize=7)
    return fig


def plot_word_grid(grid: dict, template: str = "{}"):
    """One row per word of ``probes.word_grid`` (same starting noises in every row), the prompt on the left."""
    words = list(grid)
    n = len(next(iter(grid.values())))
    fig, axes = new_figure(len(words), n, "grid")
    axes = np.atleast_2d(axes)
    for r, word in enumerate(words):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(grid[word][c], interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(_wrap(template.format(word), 18), fontsize=6)
    return fig


# ---------------------------------------------------------------------------------------------- grids
def sample_grid(images: np.ndarray, titles: list[str], ncols: int = 6, size: str = "grid"):
    """A grid of uint8 images with (wrapped) titles."""
    n = len(images)
    nrows = max(1, math.ceil(n / ncols))
    fig, axes = new_figure(nrows, ncols, size)
    axes = np.atleast_1d(axes).ravel()
    for ax in axes:
        ax.axis("off")
    for ax, img, title in zip(axes, images, titles):
        ax.imshow(img, interpolation="nearest")
        ax.set_title(_wrap(title, 22), fontsize=6)
    return fig


def edit_grid(sources: np.ndarray, edited: np.ndarray, instructions: list[str], targets: np.ndarray | None = None):
    """Rows of (source, edited[, ground-truth target]) with the instruction over each pair."""
    cols = 3 if targets is not None else 2
    pairs_per_row = 2
    n = len(sources)
    nrows = max(1, math.ceil(n / pairs_per_row))
    fig, axes = new_figure(nrows, cols * pairs_per_row, "grid")
    fig.set_figheight(2.0 * nrows)  # room for two title lines per row, however many rows
    fig.subplots_adjust(hspace=0.75)
    axes = np.atleast_2d(axes)
    for ax in axes.ravel():
        ax.axis("off")
    for i in range(n):
        r, c = divmod(i, pairs_per_row)
        panels = [sources[i], edited[i]] + ([targets[i]] if targets is not None else [])
        names = ["source", "edited", "target"]
        for j, (img, name) in enumerate(zip(panels, names)):
            ax = axes[r, c * cols + j]
            ax.imshow(img, interpolation="nearest")
            ax.set_title(name, fontsize=6)
        # the instruction once, centred over its panels (above the middle one), at most two lines
        middle = axes[r, c * cols + 1]
        middle.text(0.5, 1.22, _wrap(instructions[i], 44, lines=2), transform=middle.transAxes, ha="center",
                    va="bottom", fontsize=6.5)
    return fig


def _wrap(text: str, width: int, lines: int = 3) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)[:lines])


# ---------------------------------------------------------------------------------------------- tables
def benchmark_frame(evaluation: dict, benchmark: str, label: str = "DreamLite-Nano"):
    """One benchmark's table: the model's row, then oracle / chance (/ identity) scored by the same judge, and a
    last row ``n``: the items each column rests on."""
    from ..eval import benchmark_table

    entry = evaluation[benchmark]
    calib = {k: v for k, v in entry.items() if k != "model"}
    return benchmark_table({label: entry["model"]}, calib, counts=True)


def geneval_outcome_frame(evaluation: dict, points=("model", "chance")):
    """Where mini-GenEval's score goes: one row per (point, task) with the share of the task's items in each of
    ``eval.GENEVAL_OUTCOMES`` (correct, no object detected at all, wrong shape or count, colour, position, an extra
    object), for the model and the calibration points named in ``points``."""
    import pandas as pd

    from ..eval import GENEVAL_OUTCOMES

    rows = []
    for point in points:
        for task, shares in evaluation["geneval"][point]["outcomes_by_task"].items():
            rows.append({"point": point, "task": task, **{o: shares[o] for o in GENEVAL_OUTCOMES}})
    return pd.DataFrame(rows)


def plot_geneval_outcomes(frame, title: str = ""):
    """Stacked bars from :func:`geneval_outcome_frame`: per task, the share of items in each outcome, one panel per
    point (the model beside chance)."""
    from ..eval import GENEVAL_OUTCOMES

    points = list(dict.fromkeys(frame["point"]))
    fig, axes = new_figure(1, len(points), "wide", sharey=True, squeeze=False)
    colours = dict(zip(GENEVAL_OUTCOMES, ["#2a9d8f", "#bdbdbd", "#e76f51", "#f4a261", "#457b9d", "#8d6a9f"]))
    for ax, point in zip(axes[0], points):
        part = frame[frame["point"] == point]
        left = np.zeros(len(part))
        for outcome in GENEVAL_OUTCOMES:
            ax.barh(part["task"], part[outcome], left=left, color=colours[outcome], label=outcome)
            left += part[outcome].to_numpy()
        ax.set_xlim(0, 1)
        ax.set_xlabel("share of the task's items")
        ax.set_title(point)
    axes[0][0].invert_yaxis()
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(GENEVAL_OUTCOMES), fontsize=8, frameon=False)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def summary_frame(evaluations: dict):
    """``{label: evaluation}`` -> one row per label with each benchmark's overall score (model), plus oracle and
    chance rows taken from the first evaluation that has them."""
    import pandas as pd

    rows = []
    calib_rows = {}
    for label, ev in evaluations.items():
        row = {"model": label}
        for bench in ("geneval", "dpg", "imgedit", "gedit"):
            if bench in ev:
                row[bench] = ev[bench]["model"]["overall"]
                for point in ("oracle", "chance"):
                    if point in ev[bench]:
                        calib_rows.setdefault(point, {"model": point})[bench] = ev[bench][point]["overall"]
        rows.append(row)
    return pd.DataFrame(rows + list(calib_rows.values()))


def plot_ablation_budgets(rows_by_budget: dict, title: str = ""):
    """The ablation's last-step validation losses, one point per seed, staged beside direct joint: one column per
    budget (``{label: stages.ablation_rows(...)}``), one row each for text-to-image and editing, each panel on its
    own scale (the losses fall with the budget). A difference reads as one when the two recipes' points separate."""
    labels = list(rows_by_budget)
    fig, axes = new_figure(2, len(labels), "grid", squeeze=False)
    for row, (metric, name) in enumerate((("val_loss_t2i", "text-to-image"), ("val_loss_edit", "editing"))):
        for col, label in enumerate(labels):
            ax = axes[row][col]
            for x, recipe in enumerate(("staged", "joint")):
                values = [r[metric] for r in rows_by_budget[label] if r["recipe"] == recipe]
                ax.plot([x] * len(values), values, "o", color=f"C{x}", alpha=0.8)
                ax.plot([x - 0.2, x + 0.2], [np.mean(values)] * 2, color=f"C{x}")
            ax.set_xticks([0, 1], ["staged", "direct joint"])
            ax.set_xlim(-0.6, 1.6)
            ax.set_title(f"{name}, {label}", fontsize=10)
            if col == 0:
                ax.set_ylabel("validation loss, last step")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------- attention maps
class _RecordingProcessor:
    """Wraps a self-attention processor: records, per call, how much attention each query of the target (left)
    half puts on keys of the condition (right) half, then computes the layer's output unchanged."""

    def __init__(self, inner, store: list, name: str, aspect: int = 2):
        self.inner, self.store, self.name, self.aspect = inner, store, name, aspect

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, temb=None, **kw):
        if encoder_hidden_states is None and hidden_states.ndim == 3:
            with torch.no_grad():
                self.store.append((self.name, target_to_condition_mass(attn, hidden_states, self.aspect)))
        return self.inner(attn, hidden_states, encoder_hidden_states, attention_mask, temb, **kw)


def target_to_condition_mass(attn, hidden_states: torch.Tensor, aspect: int = 2) -> torch.Tensor:
    """For a self-attention layer on the packed [target | condition] grid (h x aspect*h tokens, row-major):
    softmax(q k^T / sqrt(d)) summed over condition-half keys, for each target-half query, averaged over heads and
    batch. Returns an (h, w/2) map of attention mass in [0, 1]."""
    b, n, _ = hidden_states.shape
    h = int(round(math.sqrt(n / aspect)))
    w = aspect * h
    if h * w != n:
        raise ValueError(f"{n} tokens do not form an h x {aspect}h grid")
    x = hidden_states
    if attn.group_norm is not None:
        x = attn.group_norm(x.transpose(1, 2)).transpose(1, 2)
    q, k = attn.to_q(x), attn.to_k(x)
    head_dim = q.shape[-1] // attn.heads
    kv_heads = k.shape[-1] // head_dim
    q = q.view(b, n, attn.heads, head_dim)
    k = k.view(b, n, kv_heads, head_dim)
    if attn.norm_q is not None:
        q = attn.norm_q(q)
    if attn.norm_k is not None:
        k = attn.norm_k(k)
    if kv_heads != attn.heads:
        k = k.repeat_interleave(attn.heads // kv_heads, dim=2)
    probs = torch.einsum("bqhd,bkhd->bhqk", q.float(), k.float()).mul(head_dim ** -0.5).softmax(dim=-1)
    cols = torch.arange(n) % w
    cond_keys = (cols >= w // 2).to(probs.device)
    mass = probs[..., cond_keys].sum(dim=-1).mean(dim=(0, 1))  # (n,) per query
    return mass.view(h, w)[:, : w // 2].cpu()


def attention_to_condition(pipe, task: str, texts: list[str], images: np.ndarray | None = None,
                           num_inference_steps: int = 8, seed: int = 0) -> dict:
    """Run ``pipe.generate`` or ``pipe.edit`` with every self-attention layer (``attn1``) of the U-Net hooked, and
    return ``{layer: {"resolution": (h, w), "map": (h, w/2) mean target->condition mass, "mass": scalar}}``,
    averaged over the denoising steps and the CFG branches. A layer that ignores the condition half scores about
    0.5 x (how uniform its attention is); a layer that copies from it scores near 1."""
    unet = pipe.unet
    store: list = []
    originals = {}
    for name, module in unet.named_modules():
        if name.endswith("attn1") and hasattr(module, "processor"):
            originals[name] = module.processor
            module.set_processor(_RecordingProcessor(module.processor, store, name))
    try:
        g = torch.Generator().manual_seed(seed)
        if task == "generate":
            pipe.generate(texts, num_inference_steps=num_inference_steps, generator=g, output_type="latent")
        elif task == "edit":
            pipe.edit(images, texts, num_inference_steps=num_inference_steps, generator=g, output_type="latent")
        else:
            raise ValueError(f"task must be 'generate' or 'edit'; got {task!r}")
    finally:
        for name, module in unet.named_modules():
            if name in originals:
                module.set_processor(originals[name])
    out: dict = {}
    for name, mass in store:
        out.setdefault(name, []).append(mass)
    return {name: {"resolution": (maps[0].shape[0], 2 * maps[0].shape[1]), "map": torch.stack(maps).mean(0).numpy(),
                   "mass": float(torch.stack(maps).mean())} for name, maps in out.items()}


def maps_by_resolution(maps: dict) -> dict:
    """Average the per-layer maps of ``attention_to_condition`` over the layers that share a resolution:
    ``{(h, w): {"map": (h, w/2), "mass": scalar, "layers": n}}``, lowest resolution first."""
    groups: dict = {}
    for entry in maps.values():
        groups.setdefault(tuple(entry["resolution"]), []).append(entry)
    return {res: {"map": np.mean([e["map"] for e in entries], axis=0),
                  "mass": float(np.mean([e["mass"] for e in entries])), "layers": len(entries)}
            for res, entries in sorted(groups.items())}


def plot_attention_maps(maps_by_task: dict):
    """One row per task (generate / edit), one column per resolution of the self-attention layers (lowest first):
    the attention mass each target position puts on the condition half, averaged over that resolution's layers."""
    tasks = list(maps_by_task)
    grouped = {task: maps_by_resolution(maps_by_task[task]) for task in tasks}
    resolutions = list(grouped[tasks[0]])
    fig, axes = new_figure(len(tasks), len(resolutions), "wide", squeeze=False)
    for i, task in enumerate(tasks):
        for j, res in enumerate(resolutions):
            entry = grouped[task][res]
            ax = axes[i, j]
            im = ax.imshow(entry["map"], vmin=0, vmax=1, cmap="magma")
            ax.set_title(f"{task}: {res[0]}x{res[1]} ({entry['layers']} layers)\nmass {entry['mass']:.2f}",
                         fontsize=7)
            ax.axis("off")
    fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.6, label="attention on condition half")
    return fig


def _short(layer: str) -> str:
    return layer.replace("transformer_blocks.", "tb").replace("attentions.", "a").replace("down_blocks.", "down") \
        .replace("up_blocks.", "up").replace("mid_block.", "mid.").replace(".attn1", "")
