"""The design path from SDXL's U-Net to DreamLite's, as a sequence of real diffusers configs.

Implements: the paper's U-Net section (DreamLite arXiv 2603.28713, "The U-Net": SDXL-derived, following SnapGen's
mobile design, arXiv 2412.09619) as one change at a time, each step a config that diffusers builds and runs.
Introduced in: ``notebooks/01_sdxl_to_dreamlite.py`` (waterfall figure and table); timed by
``benchmarks/bench_design_path.py``.

The steps (each changes one thing relative to the step before):

0. SDXL's U-Net (``UNet2DConditionModel``, ``paper.SDXL_UNET_CONFIG``).
1. transformer depth [0, 2, 10] -> [0, 2, 4] (the mid block follows the lowest level: 10 -> 4 layers).
2. channels [320, 640, 1280] -> [256, 512, 896], head dim 64 kept (5/10/20 -> 4/8/14 heads).
3. self-attention removed at the high-resolution levels: only cross-attention at 64x64 (SDXL has no attention at
   128x128). **Only expressible in ``DreamLiteUNetModel``**: ``UNet2DConditionModel`` can turn self-attention into a
   second cross-attention (``only_cross_attention``) but cannot drop it. From here on the path uses DreamLite's
   class; :data:`CLASS_SWITCH_CHECK` shows that step 2's config in DreamLite's class has the same parameters.
4. depthwise-separable res-blocks (3x3 depthwise + 1x1 pointwise, widened x2 inside): ``use_sep_conv``.
5. multi-query attention (1 key/value head) with RMSNorm on queries and keys: ``num_kv_heads=1``,
   ``qk_norm="rms_norm"``.
6. feed-forward expansion 4 -> 3: ``ff_mult=3``.
7. the authors' config (``paper.DREAMLITE_UNET_CONFIG``): cross-attention from the first level, the Qwen3-VL text
   projection 2048 -> 2304 + RMSNorm, time ids [width, height] only (no pooled text embedding).
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import paper

__all__ = ["DesignStep", "design_path", "design_path_rows", "build_random_cpu", "time_forward", "plot_design_waterfall",
           "CLASS_SWITCH_CHECK", "PRUNING_DEMO_CHILD", "SNAPGEN_EFFECTS_BY_STEP"]

SDXL_CLASS = "UNet2DConditionModel"
DREAMLITE_CLASS = "DreamLiteUNetModel"


@dataclass(frozen=True)
class DesignStep:
    """One config on the path. ``change`` says what differs from the step before; ``class_name`` which diffusers
    class builds it; ``dreamlite_only`` whether the change needs ``DreamLiteUNetModel``."""

    key: str
    label: str
    change: str
    class_name: str
    config: dict
    dreamlite_only: bool = False


def _dreamlite_blocks(level0_cross: bool, level1_self: bool) -> dict:
    level0 = "DreamLiteCrossAttnNoSelfAttnDownBlock2D" if level0_cross else "DreamLiteDownBlock2D"
    level1 = "DreamLiteCrossAttnDownBlock2D" if level1_self else "DreamLiteCrossAttnNoSelfAttnDownBlock2D"
    up1 = "DreamLiteCrossAttnUpBlock2D" if level1_self else "DreamLiteCrossAttnNoSelfAttnUpBlock2D"
    return {"down_block_types": [level0, level1, "DreamLiteCrossAttnDownBlock2D"],
            "mid_block_type": "DreamLiteUNetMidBlock2DCrossAttn",
            "up_block_types": ["DreamLiteCrossAttnUpBlock2D", up1, "DreamLiteUpBlock2D"]}


#: DreamLite's extras switched off: DreamLite's class then builds plain SDXL-style blocks.
_PLAIN_DREAMLITE = {"use_sep_conv": False, "qk_norm": None, "num_kv_heads": None, "ff_mult": 4, "num_mid_layers": 1}


def design_path() -> list[DesignStep]:
    """The eight configs from SDXL to DreamLite (fresh dicts each call)."""
    sdxl = dict(paper.SDXL_UNET_CONFIG)
    depth = {**sdxl, "transformer_layers_per_block": [1, 2, 4]}
    channels = {**depth, "block_out_channels": [256, 512, 896], "attention_head_dim": [4, 8, 14]}
    no_self = {**{k: v for k, v in channels.items()}, **_dreamlite_blocks(level0_cross=False, level1_self=False),
               **_PLAIN_DREAMLITE}
    sep = {**no_self, "use_sep_conv": True}
    mqa = {**sep, "num_kv_heads": 1, "qk_norm": "rms_norm"}
    ffn3 = {**mqa, "ff_mult": 3}
    authors = {**paper.DREAMLITE_UNET_CONFIG}
    return [
        DesignStep("sdxl", "SDXL U-Net", "SDXL base 1.0's U-Net", SDXL_CLASS, sdxl),
        DesignStep("depth", "depth [0,2,4]", "transformer depth [0,2,10] -> [0,2,4] (mid 10 -> 4)", SDXL_CLASS, depth),
        DesignStep("channels", "channels [256,512,896]", "channels [320,640,1280] -> [256,512,896], head dim 64",
                   SDXL_CLASS, channels),
        DesignStep("no_self_attn", "no self-attn at high res", "self-attention removed at 64x64 (cross-attention kept)",
                   DREAMLITE_CLASS, no_self, dreamlite_only=True),
        DesignStep("sep_conv", "separable res-blocks", "depthwise-separable res-block convs, widened x2 inside",
                   DREAMLITE_CLASS, sep, dreamlite_only=True),
        DesignStep("mqa", "MQA + QK-RMSNorm", "multi-query attention (1 K/V head) + RMSNorm on queries and keys",
                   DREAMLITE_CLASS, mqa, dreamlite_only=True),
        DesignStep("ffn3", "FFN x3", "feed-forward expansion 4 -> 3", DREAMLITE_CLASS, ffn3, dreamlite_only=True),
        DesignStep("dreamlite", "DreamLite (authors)", "cross-attention at 128x128, text projection 2048 -> 2304 + "
                   "RMSNorm, time ids only: the authors' config", DREAMLITE_CLASS, authors, dreamlite_only=True),
    ]


#: Step 2's config built by DreamLite's class (plain blocks, extras off): must have exactly step 2's parameters.
CLASS_SWITCH_CHECK = {**design_path()[2].config, **_dreamlite_blocks(level0_cross=False, level1_self=True),
                      **_PLAIN_DREAMLITE}

#: A child for the weight-free pruning demo in notebook 01: the authors' DreamLite at half width, half the lowest
#: level's depth and feed-forward x2 (every tensor a slice of the parent's; see ``dreamlite_core.arch.pruning``).
PRUNING_DEMO_CHILD = {**paper.DREAMLITE_UNET_CONFIG, "block_out_channels": [128, 256, 448],
                      "attention_head_dim": [2, 4, 7], "transformer_layers_per_block": [1, 1, 2], "ff_mult": 2}

#: SnapGen's reported effect for the step that corresponds to ours (``paper.SNAPGEN_DESIGN_STEPS``), by step key.
SNAPGEN_EFFECTS_BY_STEP = {
    "no_self_attn": "self_attention_removed",
    "sep_conv": "separable_conv",
    "mqa": "multi_query",
    "ffn3": "ffn_expansion_3",
}


# --------------------------------------------------------------------------------------------------------------------
# Measuring the path
# --------------------------------------------------------------------------------------------------------------------
def _pct(new: float, old: float) -> float:
    return 100.0 * (new - old) / old


def design_path_rows(height: int = 128, width: int = 128, in_context_width: int = 256, text_len: int = 77,
                     measure: bool = True, steps: list[DesignStep] | None = None) -> list[dict]:
    """One row per design step: parameters, MACs per call (plain ``height x width`` and in-context
    ``height x in_context_width`` latents), transformer blocks, fp16 weights, change vs the previous step (%), and
    SnapGen's reported effect for the matching step.

    ``measure=True`` runs every config on the meta device under ``FlopCounterMode``; ``False`` uses the closed-form
    :func:`~dreamlite_core.arch.accounting.analytic_macs` (tests show both agree exactly; it is faster).
    """
    from .. import paper
    from .accounting import (analytic_macs, build_meta, count_params, count_transformer_blocks, measure_macs)

    rows: list[dict] = []
    for step in steps or design_path():
        model = build_meta(step.class_name, step.config)
        if measure:
            macs = measure_macs(model, height, width, text_len)["total"]
            macs_ic = measure_macs(model, height, in_context_width, text_len)["total"]
        else:
            macs = analytic_macs(step.class_name, step.config, height, width, text_len)
            macs_ic = analytic_macs(step.class_name, step.config, height, in_context_width, text_len)
        params = count_params(model)
        row = {"step": step.key, "label": step.label, "change": step.change, "class": step.class_name,
               "dreamlite_only": step.dreamlite_only, "params": params, "macs": macs, "macs_in_context": macs_ic,
               "transformer_blocks": count_transformer_blocks(model), "weights_mb_fp16": 2 * params / 2**20}
        if rows:
            row["params_pct"] = _pct(params, rows[-1]["params"])
            row["macs_pct"] = _pct(macs, rows[-1]["macs"])
        else:
            row["params_pct"] = row["macs_pct"] = None
        snap = paper.SNAPGEN_DESIGN_STEPS.get(SNAPGEN_EFFECTS_BY_STEP.get(step.key, ""), {})
        row["snapgen_params_pct"] = snap.get("params_pct")
        row["snapgen_flops_pct"] = snap.get("flops_pct")
        row["snapgen_latency_pct"] = snap.get("latency_pct")
        rows.append(row)
    return rows


def build_random_cpu(step: DesignStep, std: float = 0.02, seed: int = 0):
    """Build a step's model on CPU with uniform weights of standard deviation ``std``, fast: on meta first, then
    ``to_empty`` and fill in place (diffusers' own initialisation of a 2.6B SDXL U-Net takes about 35 s; filling
    takes a few)."""
    import torch

    from .accounting import build_meta

    model = build_meta(step.class_name, step.config).to_empty(device="cpu")
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.uniform_(-std * 3**0.5, std * 3**0.5, generator=g)  # variance std^2; faster than normal_
        for name, b in model.named_buffers():
            b.zero_()
    return model.eval()


def time_forward(step: DesignStep, latent_hw: tuple[int, int] = (16, 16), text_len: int = 16, repeats: int = 2,
                 threads: int | None = None) -> dict:
    """Seconds for one forward of ``step``'s U-Net on this CPU (fp32, batch 1): the best of ``repeats`` after one
    warm-up call. Returns ``{"step", "latent", "seconds", "build_seconds", "gmacs"}``. Not a test: see
    ``benchmarks/bench_design_path.py``."""
    import time

    import torch

    from .accounting import analytic_macs, unet_inputs

    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        t0 = time.perf_counter()
        model = build_random_cpu(step)
        build_s = time.perf_counter() - t0
        kw = unet_inputs(model, *latent_hw, text_len=text_len, device="cpu")
        times = []
        with torch.inference_mode():
            model(**kw)
            for _ in range(repeats):
                t0 = time.perf_counter()
                model(**kw)
                times.append(time.perf_counter() - t0)
        del model
    finally:
        torch.set_num_threads(before)
    return {"step": step.key, "latent": f"{latent_hw[0]}x{latent_hw[1]}", "seconds": min(times),
            "build_seconds": build_s,
            "gmacs": analytic_macs(step.class_name, step.config, *latent_hw, text_len=text_len) / 1e9}


def plot_design_waterfall(rows: list[dict], axes) -> None:
    """Draw parameters and MACs along the path as waterfalls on two matplotlib axes (``axes[0]``, ``axes[1]``).

    The first bar starts at zero; every other bar spans from the previous step's value to this step's (green: the
    step shrinks the model, orange: it grows it); the number on a bar is the value *after* that step, and a dashed
    line marks the last step's value.
    """
    labels = [r["label"] for r in rows]
    for ax, key, unit, title in ((axes[0], "params", 1e6, "parameters (M)"),
                                 (axes[1], "macs", 1e9, "GMACs per call, 128x128 latent")):
        values = [r[key] / unit for r in rows]
        for i, v in enumerate(values):
            if i == 0:
                bottom, height, color = 0.0, v, "C0"
            else:
                prev = values[i - 1]
                bottom, height = min(prev, v), abs(v - prev)
                color = "C2" if v <= prev else "C1"
            ax.bar(i, height, bottom=bottom, color=color, edgecolor="0.3", linewidth=0.5)
            ax.annotate(f"{v:,.0f}", (i, bottom + height), textcoords="offset points", xytext=(0, 3), ha="center",
                        fontsize=7)
        ax.axhline(values[-1], color="0.4", ls="--", lw=0.8)
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, rotation=40, ha="right", fontsize=7)
        ax.set_ylabel(title)
        ax.set_title(title)
