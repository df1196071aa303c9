"""What notebook 03 shows: the in-context input built from real ShapesWorld latents, VAE reconstructions and what their
round trip costs the mini benchmarks' oracle (``vae_oracle_items``, ``oracle_through_vae``, ``lost_objects``,
``latent_noise_tolerance``; also ``benchmarks/vae_variants.py``), the U-Net's parameters against its pruning parent,
and how fast the nano U-Net trains on this machine.

Implements: figures and tables for DreamLite's in-context spatial concatenation (arXiv 2603.28713; PAPER_FACTS.md
"The rest of the model") and its U-Net accounting. Introduced in ``notebooks/03_in_context_concatenation.py``.
Loops and logic live here so that tests reach them; the notebook narrates.
"""

from __future__ import annotations

import time

import numpy as np

from .flow import add_noise, flow_matching_loss, time_ids_for
from .in_context import pack_in_context, task_prompt


def in_context_examples(vae, t2i_image: np.ndarray, edit_source: np.ndarray, edit_target: np.ndarray,
                        sigma: float = 0.5, seed: int = 0, latent_packing: int = 1) -> dict:
    """The in-context U-Net inputs for one generation and one edit example, from real renders.

    Returns a dict of tensors: ``generate`` and ``edit`` inputs (1, C, h, 2w) at noise level ``sigma``, plus the
    clean latents and the noise used (seeded). The latents are the U-Net's: the VAE's, packed by
    ``latent_packing`` (``vae.pack_latents``)."""
    import torch

    from .vae import encode_images, pack_latents

    gen = torch.Generator().manual_seed(seed)
    x_gen, x_tgt, c_src = (pack_latents(encode_images(vae, image[None]), latent_packing)
                           for image in (t2i_image, edit_target, edit_source))
    eps_gen = torch.randn(x_gen.shape, generator=gen)
    eps_edit = torch.randn(x_tgt.shape, generator=gen)
    s = torch.tensor([sigma])
    return {
        "generate": pack_in_context(add_noise(x_gen, eps_gen, s)),  # [x_t | 0]
        "edit": pack_in_context(add_noise(x_tgt, eps_edit, s), c_src),  # [x_t | E(source)]
        "generate_clean": x_gen, "edit_clean": x_tgt, "edit_condition": c_src,
        "generate_noise": eps_gen, "edit_noise": eps_edit, "sigma": sigma,
    }


def latent_rgb(latents, lo: float = -2.5, hi: float = 2.5) -> np.ndarray:
    """A (C, h, w) latent shown as RGB: its first three channels mapped from [lo, hi] to [0, 1]."""
    x = latents.detach().float().cpu().numpy()[:3]
    if x.shape[0] < 3:
        x = np.concatenate([x, np.repeat(x[-1:], 3 - x.shape[0], axis=0)])
    return np.clip((x.transpose(1, 2, 0) - lo) / (hi - lo), 0, 1)


def plot_in_context(examples: dict, images: dict, prompts: dict):
    """Figure: one row per task. Columns: the target image, the condition image (nothing for generation), and the
    packed U-Net input ``[x_t | condition]`` (first three latent channels as RGB, the halves split by a line), and
    the loss mask (left half only)."""
    from ..repro import new_figure

    fig, axes = new_figure(2, 4, size="wide")
    for row, task in enumerate(("generate", "edit")):
        packed = examples[task][0]
        width = packed.shape[-1] // 2
        ax = axes[row]
        ax[0].imshow(images[f"{task}_target"])
        ax[0].set_title("target", fontsize=9)
        if task == "edit":
            ax[1].imshow(images["edit_source"])
            ax[1].set_title("condition (source)", fontsize=9)
        else:
            ax[1].imshow(np.full_like(images["generate_target"], 255))
            ax[1].set_title("condition: none", fontsize=9)
        ax[2].imshow(latent_rgb(packed), interpolation="nearest")
        ax[2].axvline(width - 0.5, color="white", lw=2)
        ax[2].set_title(f"U-Net input {tuple(packed.shape)}: [x_t | cond]", fontsize=9)
        mask = np.zeros(packed.shape[-2:])
        mask[:, :width] = 1
        ax[3].imshow(mask, cmap="Greens", vmin=0, vmax=1.5, interpolation="nearest")
        ax[3].axvline(width - 0.5, color="black", lw=1)
        ax[3].set_title("loss: left half only", fontsize=9)
        for a in ax:
            a.set_xticks([])
            a.set_yticks([])
        ax[0].set_ylabel(f"{task}\n'{prompts[task][:28]}'", fontsize=8)
    fig.tight_layout()
    return fig


def plot_reconstructions(originals: np.ndarray, reconstructions: np.ndarray, n: int = 8):
    """Figure: ShapesWorld renders (top) and their VAE round trips (bottom)."""
    from ..repro import new_figure

    n = min(n, len(originals))
    fig, axes = new_figure(2, n, size="wide")
    axes = np.atleast_2d(axes).reshape(2, n)
    for i in range(n):
        for row, imgs in enumerate((originals, reconstructions)):
            axes[row, i].imshow(imgs[i], interpolation="nearest")
            axes[row, i].set_xticks([])
            axes[row, i].set_yticks([])
    axes[0, 0].set_ylabel("render", fontsize=9)
    axes[1, 0].set_ylabel("VAE round trip", fontsize=9)
    fig.tight_layout()
    return fig


def right_half_invariance(seed: int = 0, shape=(2, 4, 8, 8)) -> dict:
    """The left-half loss, demonstrated: the same loss whatever the prediction's right half holds."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    x0, eps = torch.randn(shape, generator=gen), torch.randn(shape, generator=gen)
    pred = torch.randn(*shape[:-1], 2 * shape[-1], generator=gen)
    base = float(flow_matching_loss(pred, x0, eps))
    pred[..., shape[-1]:] = 100 * torch.randn(*shape, generator=gen)
    changed = float(flow_matching_loss(pred, x0, eps))
    pred[..., : shape[-1]] = eps - x0
    perfect = float(flow_matching_loss(pred, x0, eps))
    return {"loss": base, "loss_right_half_replaced": changed, "loss_perfect_left_half": perfect}


def pruning_table(parent, child) -> list[dict]:
    """Parameters per top-level part of the SDXL-shaped parent and of the pruned child, with the kept fraction."""
    from .unet import parameter_table

    p = {r["part"]: r for r in parameter_table(parent)}
    rows = []
    for r in parameter_table(child):
        parent_params = p.get(r["part"], {}).get("params")
        rows.append({"part": r["part"], "block type": r["type"], "parent params": parent_params,
                     "child params": r["params"],
                     "kept": None if not parent_params else r["params"] / parent_params})
    return rows


def pruning_map_rows(parent, child, limit: int | None = None) -> list[dict]:
    """The parent-to-child tensor map of ``dreamlite_core.arch.pruning.pruning_map`` (rule "first")."""
    from ..arch.pruning import pruning_map

    rows = [{"child tensor": c, "parent tensor": p, "kept indices": k} for c, p, k in pruning_map(parent, child)]
    return rows if limit is None else rows[:limit]


def layer_map(rows: list[dict]) -> list[dict]:
    """Which parent module each child module copies, one row per child transformer block / res-block (the layer
    part of the pruning map, with the tensor names' parameter suffix dropped)."""
    seen = {}
    for r in rows:
        c, p = r["child tensor"], r["parent tensor"]
        for key in (".transformer_blocks.", ".resnets."):
            if key in c:
                head_c = c[: c.index(key) + len(key)] + c[c.index(key) + len(key):].split(".")[0]
                head_p = p[: p.index(key) + len(key)] + p[p.index(key) + len(key):].split(".")[0]
                seen.setdefault(head_c, head_p)
    return [{"child module": c, "parent module": p} for c, p in seen.items()]


def unet_training_throughput(unet, batch: int = 32, steps: int = 3, latent_channels: int | None = None,
                             latent_size: int = 8, text_len: int = 12, seed: int = 0, resolution: int = 32) -> dict:
    """Training samples per second of ``unet`` on the in-context input (B, C, h, 2h): forward, left-half loss,
    backward, AdamW step; the first step is a warm-up and is not timed. Restores the weights afterwards."""
    import copy

    import torch

    model = copy.deepcopy(unet).train()
    channels = latent_channels or model.config.in_channels
    gen = torch.Generator().manual_seed(seed)
    x0 = torch.randn(batch, channels, latent_size, latent_size, generator=gen)
    eps = torch.randn(x0.shape, generator=gen)
    hidden = torch.randn(batch, text_len, model.config.encoder_hid_dim, generator=gen)
    mask = torch.ones(batch, text_len, dtype=torch.long)
    s = torch.rand(batch, generator=gen)
    x_in = pack_in_context(add_noise(x0, eps, s))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    times = []
    for step in range(steps + 1):
        start = time.perf_counter()
        pred = model(x_in, s * 1000, encoder_hidden_states=hidden, encoder_attention_mask=mask,
                     added_cond_kwargs={"time_ids": time_ids_for(batch, resolution)}).sample
        loss = flow_matching_loss(pred, x0, eps)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step:
            times.append(time.perf_counter() - start)
    seconds = float(np.median(times))
    return {"batch": batch, "seconds_per_step": seconds, "samples_per_s": batch / seconds,
            "threads": torch.get_num_threads()}


def token_counts(text_encoder, examples: dict[str, str]) -> dict[str, int]:
    """MiniLM tokens (with [CLS] and [SEP]) of each task's full prompt."""
    return {task: int(text_encoder.encode(task_prompt(task, text))[1].sum()) for task, text in examples.items()}


# ------------------------------------------------------------------------------ the oracle through the VAE
#: The bar of issue 5: the evaluators' oracle through a VAE round trip keeps at least this share of each task's maximum.
VAE_ORACLE_BAR = 0.90
#: Each benchmark's report key for its parts, and its maximum score.
_ORACLE_BENCHMARKS = (("mini-GenEval", "by_task", 1.0), ("mini-DPG", "by_category", 100.0),
                      ("mini-ImgEdit", "by_type", 5.0), ("mini-GEdit", "by_group", 10.0))


def vae_oracle_items(n: int, split: str = "validation", seed: int = 0) -> dict:
    """Each mini benchmark's own item set for the VAE bar (``eval.benchmark_items``): ``n`` GenEval prompts (its six
    tasks in equal shares), ``n // 3`` DPG paragraphs, and ``n // 2`` edits for ImgEdit (its nine types in equal
    shares) and another ``n // 2`` for GEdit (its eleven groups in equal shares), on ``split`` (VALIDATION: the VAE is
    judged on scenes it never trained on). Keys: ``geneval``, ``dpg``, ``imgedit``, ``gedit``; pass them to
    :func:`oracle_through_vae` as ``(geneval + dpg, imgedit, gedit)``."""
    from ..eval import benchmark_items

    sizes = {"geneval": n, "dpg": max(n // 3, 1), "imgedit": max(n // 2, 1), "gedit": max(n // 2, 1)}
    return {bench: benchmark_items(bench, size, split=split, seed=seed) for bench, size in sizes.items()}


def oracle_through_vae(vae, t2i_items, edit_items, gedit_items=None) -> list[dict]:
    """Score the ground-truth renders (the oracle) before and after a VAE round trip with the four mini benchmarks.

    ``t2i_items``: text-to-image items (GenEval tasks and DPG paragraphs, split by task); ``edit_items``: the edit
    items mini-ImgEdit scores, and mini-GEdit too unless ``gedit_items`` gives it its own (GEdit's groups are unequal
    in an ImgEdit-balanced set: :func:`vae_oracle_items` draws both balanced).
    Returns one row per benchmark part and one ``overall`` row per benchmark: ``benchmark``, ``task``, ``n`` (what
    the part is scored on: GenEval prompts, DPG questions (paragraphs in its overall row), edits), ``oracle
    (renders)``, ``oracle through VAE`` and ``of max`` (through the VAE, as a share of the maximum score).
    Notebook 03 tables it against ``VAE_ORACLE_BAR``.
    """
    from collections import Counter

    from ..eval.dpg import dpg_score
    from ..eval.edit import gedit_score, imgedit_score
    from ..eval.geneval import geneval_score
    from ..world import GENEVAL_TASKS, render_scenes
    from .vae import round_trip

    gen_items = [it for it in t2i_items if it.task in GENEVAL_TASKS]
    dpg_items = [it for it in t2i_items if it.task == "dpg"]
    gedit_items = list(edit_items if gedit_items is None else gedit_items)
    gen_images = render_scenes([it.scene for it in gen_items])
    dpg_images = render_scenes([it.scene for it in dpg_items])

    def edit_reports(items, score):
        sources = render_scenes([it.source for it in items])
        targets = render_scenes([it.target for it in items])
        return score(sources, targets, items), score(sources, round_trip(vae, targets), items)

    reports = {
        "mini-GenEval": (geneval_score(gen_images, gen_items), geneval_score(round_trip(vae, gen_images), gen_items)),
        "mini-DPG": (dpg_score(dpg_images, dpg_items), dpg_score(round_trip(vae, dpg_images), dpg_items)),
        "mini-ImgEdit": edit_reports(edit_items, imgedit_score),
        "mini-GEdit": edit_reports(gedit_items, gedit_score),
    }
    counts = {"mini-GenEval": Counter(it.task for it in gen_items),
              "mini-DPG": Counter(reports["mini-DPG"][0]["n_questions"]),
              "mini-ImgEdit": Counter(it.edit_type for it in edit_items),
              "mini-GEdit": Counter(it.gedit_group for it in gedit_items)}
    totals = {"mini-GenEval": len(gen_items), "mini-DPG": len(dpg_items), "mini-ImgEdit": len(edit_items),
              "mini-GEdit": len(gedit_items)}
    rows = []
    for bench, by, top in _ORACLE_BENCHMARKS:
        raw, through = reports[bench]
        for part in raw[by]:
            rows.append({"benchmark": bench, "task": part, "n": int(counts[bench][part]),
                         "oracle (renders)": raw[by][part], "oracle through VAE": through[by][part],
                         "of max": through[by][part] / top})
        rows.append({"benchmark": bench, "task": "overall", "n": totals[bench], "oracle (renders)": raw["overall"],
                     "oracle through VAE": through["overall"], "of max": through["overall"] / top})
    return rows


def lost_objects(vae, images: np.ndarray, threshold: float = 0.3) -> dict:
    """What a VAE round trip costs the detector: per image, the confident detections of the render and of its round
    trip are compared as multisets of (shape, fill, size).

    Returns ``images``, ``objects`` (confident detections on the renders), ``images_losing_an_object``,
    ``images_gaining_an_object``, and ``lost`` / ``gained``: counts by ``"shape/fill/size"``, most frequent first.
    A lost detection is one the round trip blurred under the detector's confidence threshold or turned into another
    shape, fill or size.
    """
    from collections import Counter

    from ..eval.detect import analyse_image
    from .vae import round_trip

    recon = round_trip(vae, images)
    lost, gained = Counter(), Counter()
    fewer = more = objects = 0
    for render, back in zip(images, recon):
        before = Counter(f"{d.shape}/{d.fill}/{d.size}" for d in analyse_image(render).confident(threshold))
        after = Counter(f"{d.shape}/{d.fill}/{d.size}" for d in analyse_image(back).confident(threshold))
        objects += sum(before.values())
        fewer += sum(after.values()) < sum(before.values())
        more += sum(after.values()) > sum(before.values())
        lost.update(before - after)
        gained.update(after - before)
    return {"images": int(len(images)), "objects": int(objects), "images_losing_an_object": int(fewer),
            "images_gaining_an_object": int(more), "lost": dict(lost.most_common()),
            "gained": dict(gained.most_common())}


def latent_noise_tolerance(vae, items, noise_levels=(0.0, 0.1, 0.2, 0.3, 0.5), seed: int = 0) -> list[dict]:
    """Is the decoder brittle? mini-GenEval of the items' true renders after encoding, adding ``eps`` x N(0, 1) to the
    scaled latents (unit standard deviation overall: the scale the U-Net generates at), and decoding. One row
    per level: ``noise`` and ``geneval`` (overall) plus its task accuracies. A decoder whose oracle falls at small
    ``eps`` would turn a generator's small latent errors into blobs; one that holds asks the generator for less.
    The same noise draw (``seed``) is scaled for every level."""
    import torch

    from ..eval import geneval_score
    from ..world import render_scenes
    from .vae import decode_latents, encode_images

    items = list(items)
    latents = encode_images(vae, render_scenes([it.scene for it in items]))
    noise = torch.randn(latents.shape, generator=torch.Generator().manual_seed(seed))
    rows = []
    for eps in noise_levels:
        report = geneval_score(decode_latents(vae, latents + float(eps) * noise), items)
        rows.append({"noise": float(eps), "geneval": report["overall"], **report["by_task"]})
    return rows
