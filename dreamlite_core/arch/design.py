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

__all__ = ["DesignStep", "design_path", "CLASS_SWITCH_CHECK", "SNAPGEN_EFFECTS_BY_STEP"]

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

#: SnapGen's reported effect for the step that corresponds to ours (``paper.SNAPGEN_DESIGN_STEPS``), by step key.
SNAPGEN_EFFECTS_BY_STEP = {
    "no_self_attn": "self_attention_removed",
    "sep_conv": "separable_conv",
    "mqa": "multi_query",
    "ffn3": "ffn_expansion_3",
}
