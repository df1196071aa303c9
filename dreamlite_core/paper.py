"""The DreamLite paper's facts as data, each with its source.

Implements: the abstract and the headline comparison table of DreamLite (arXiv 2603.28713) and the authors'
U-Net config (``modules/dreamlite.json`` in early commits of ByteVisionLab/DreamLite).
Introduced in: ``notebooks/00_paper_in_numbers.py`` (table, figures) and ``notebooks/01_sdxl_to_dreamlite.py``
(U-Net configs).

Nothing here is measured by us: every value is copied from public material and names where it came from.
Everything else in the package may import this module; it imports nothing of ours.
"""

from __future__ import annotations

from dataclasses import dataclass

PAPER = {
    "title": "DreamLite: A Lightweight On-Device Unified Model for Image Generation and Editing",
    "arxiv": "2603.28713",
    "submitted": "2026-03-30",
    "code": "https://github.com/ByteVisionLab/DreamLite",
    "checkpoints": ["carlofkl/DreamLite-base", "carlofkl/DreamLite-mobile"],
}

#: Where the headline table comes from.
HEADLINE_SOURCE = ("DreamLite README comparison table (github.com/ByteVisionLab/DreamLite), "
                   "as in ../shared/PAPER_FACTS.md")


@dataclass(frozen=True)
class HeadlineRow:
    """One row of the DreamLite README comparison table. ``None`` where the table has "-"."""

    method: str
    params_b: float  # billions, as printed in the table
    params_label: str  # the table's own text, e.g. "12B"
    geneval: float | None
    dpg: float | None
    imgedit: float | None
    gedit_en_q: float | None


#: The headline table, number for number (a test checks it against ../shared/PAPER_FACTS.md).
HEADLINE_TABLE: tuple[HeadlineRow, ...] = (
    HeadlineRow("FLUX.1-Dev / Kontext", 12.0, "12B", 0.67, 84.0, 3.76, 6.79),
    HeadlineRow("BAGEL", 7.0, "7B", 0.82, 85.1, 3.42, 7.20),
    HeadlineRow("OmniGen2", 4.0, "4B", 0.80, 83.6, 3.44, 6.79),
    HeadlineRow("LongCat-Image / Edit", 6.0, "6B", 0.87, 86.6, 4.49, 7.55),
    HeadlineRow("DeepGen1.0", 2.0, "2B", 0.83, 84.6, 4.03, 7.54),
    HeadlineRow("SANA-1.6B", 1.6, "1.6B", 0.67, 84.8, None, None),
    HeadlineRow("SANA-0.6B", 0.6, "0.6B", 0.64, 83.6, None, None),
    HeadlineRow("SnapGen++ (small)", 0.4, "0.4B", 0.66, 85.2, None, None),
    HeadlineRow("VIBE", 1.6, "1.6B", None, None, 3.85, 7.28),
    HeadlineRow("EditMGT", 0.96, "0.96B", None, None, 2.89, 6.33),
    HeadlineRow("DreamLite", 0.39, "0.39B", 0.72, 85.8, 4.11, 6.88),
)

#: Benchmarks of the headline table: column name -> (display name, scale). Higher is better for all four.
HEADLINE_METRICS = {
    "geneval": ("GenEval", "0-1"),
    "dpg": ("DPG-Bench", "0-100"),
    "imgedit": ("ImgEdit", "1-5"),
    "gedit_en_q": ("GEdit-EN-Q", "0-10"),
}

#: Disagreements between sources that the companion states rather than hides.
DISCREPANCIES = (
    {
        "what": "SnapGen++ (small) GenEval",
        "dreamlite_table": 0.66,
        "own_source": 0.70,
        "own_source_name": "SnapGen++ project page",
        "note": "DreamLite's table lists 0.66; SnapGen++'s own project page reports 0.70.",
    },
)

#: The two released variants (PAPER_FACTS.md, "Two variants").
VARIANTS = {
    "DreamLite-base": {"unet_params": 389_968_388, "resolution": 1024, "steps": 28, "text_cfg": 3.5,
                       "image_cfg": 1.0},
    "DreamLite-mobile": {"unet_params": 389_968_388, "resolution": 1024, "steps": 4, "text_cfg": None,
                         "image_cfg": None},
}

#: On-device latency claims (PAPER_FACTS.md, "Deployment").
DEVICE_CLAIMS = {
    "iphone17pro_seconds": 3.0,  # about 3 s, 1024x1024, generation or edit, fully on device
    "xiaomi14_seconds_upper": 1.0,  # "under 1 s" (abstract)
    "snapgen_iphone16promax_seconds": 1.4,  # SnapGen, arXiv 2412.09619
}

#: Exact U-Net parameter counts (PAPER_FACTS.md; measured on diffusers' classes in notebook 01).
SDXL_UNET_PARAMS = 2_567_463_684
DREAMLITE_UNET_PARAMS = 389_968_388

#: The authors' U-Net config (``modules/dreamlite.json``), in diffusers' ``DreamLiteUNetModel`` keys.
#: Note diffusers' quirk: ``attention_head_dim`` is the number of heads here (head dim 64 -> 4 / 8 / 14 heads).
DREAMLITE_UNET_CONFIG = {
    "sample_size": 128,
    "in_channels": 4,
    "out_channels": 4,
    "block_out_channels": [256, 512, 896],
    "layers_per_block": 2,
    "transformer_layers_per_block": [1, 2, 4],
    "attention_head_dim": [4, 8, 14],
    "cross_attention_dim": 2304,
    "encoder_hid_dim": 2048,
    "encoder_hid_dim_type": "text_proj_rms",
    "addition_embed_type": "time",
    "addition_time_embed_dim": 256,
    "projection_class_embeddings_input_dim": 512,
    "use_linear_projection": True,
    "ff_mult": 3,  # feed-forward expansion x3 (GEGLU)
    "num_mid_layers": 1,  # one mid transformer of transformer_layers_per_block[-1] = 4 layers
    "num_kv_heads": 1,  # multi-query attention
    "qk_norm": "rms_norm",
    "use_sep_conv": True,  # depthwise-separable res-blocks
}

#: SDXL base 1.0's U-Net config (stabilityai/stable-diffusion-xl-base-1.0, ``unet/config.json``).
SDXL_UNET_CONFIG = {
    "sample_size": 128,
    "in_channels": 4,
    "out_channels": 4,
    "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
    "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
    "block_out_channels": [320, 640, 1280],
    "layers_per_block": 2,
    "transformer_layers_per_block": [1, 2, 10],
    "attention_head_dim": [5, 10, 20],
    "cross_attention_dim": 2048,
    "addition_embed_type": "text_time",
    "addition_time_embed_dim": 256,
    "projection_class_embeddings_input_dim": 2816,
    "use_linear_projection": True,
    "norm_num_groups": 32,
}

#: Task prefixes, verbatim (PAPER_FACTS.md, "The rest of the model").
TASK_PREFIX_GENERATE = "[Generate]: "
TASK_PREFIX_EDIT = (
    "[Edit]: A diptych with two side-by-side images of the same scene. "
    "Compared to the right side, the left one has "
)

#: Headline benchmark definitions, summarised from each benchmark's own code.
BENCHMARKS = {
    "geneval": {"prompts": 553, "images_per_prompt": 4, "source": "djghosh13/geneval",
                "tasks": {"single_object": 80, "two_object": 99, "counting": 80, "colors": 94, "position": 100,
                          "color_attr": 100}},
    "dpg": {"prompts": 1065, "source": "ELLA (DPG-Bench)",
            "categories": ["entity", "attribute", "relation", "global", "other"]},
    "imgedit": {"items": 737, "source": "PKU-YuanGroup/ImgEdit",
                "types": ["add", "adjust", "extract", "replace", "remove", "background", "style", "hybrid", "action"]},
    "gedit": {"items_per_language": 606, "groups": 11, "source": "stepfun-ai/Step1X-Edit"},
}


def headline_records() -> list[dict]:
    """The headline table as a list of plain dicts (one per method), ready for ``pandas.DataFrame``."""
    return [
        {"method": r.method, "params_b": r.params_b, "params": r.params_label, "geneval": r.geneval, "dpg": r.dpg,
         "imgedit": r.imgedit, "gedit_en_q": r.gedit_en_q}
        for r in HEADLINE_TABLE
    ]


# --------------------------------------------------------------------------------------------------------------------
# Added by the arch area (notebook 01): SnapGen's design-path effects, Apple's SDXL timing, device assumptions.
# --------------------------------------------------------------------------------------------------------------------

#: SnapGen's published design path from SDXL, each step with the effect SnapGen reports (arXiv 2412.09619, as
#: summarised in ../shared/PAPER_FACTS.md). Negative = reduction, relative to SnapGen's model before that step;
#: None where SnapGen reports no number for that quantity.
SNAPGEN_DESIGN_STEPS = {
    "self_attention_removed": {"change": "self-attention removed except at the lowest resolution",
                               "params_pct": None, "flops_pct": -17.0, "latency_pct": -24.0},
    "separable_conv": {"change": "depthwise-separable convs with expansion 2",
                       "params_pct": -15.0, "flops_pct": -27.0, "latency_pct": None},
    "ffn_expansion_3": {"change": "FFN expansion 4 -> 3 (about)", "params_pct": -12.0, "flops_pct": -12.0,
                        "latency_pct": None},
    "multi_query": {"change": "multi-head -> multi-query attention", "params_pct": -16.0, "flops_pct": None,
                    "latency_pct": -9.0},
}
SNAPGEN_DESIGN_SOURCE = "SnapGen (arXiv 2412.09619), per-step effects as in ../shared/PAPER_FACTS.md"

#: SnapGen's model (arXiv 2412.09619): 379M parameters, 1024x1024 in about 1.4 s on iPhone 16 Pro Max.
SNAPGEN_MODEL = {"params": 379_000_000, "iphone16promax_seconds": 1.4, "geneval": 0.66, "dpg": 81.1}

#: Apple's own Stable Diffusion on iPhone (apple/ml-stable-diffusion README): SDXL on iPhone 15 Pro Max at 768x768
#: in about 31 s (a whole generation, with Apple's recipe: split-einsum attention, chunked, palettized).
APPLE_SDXL_IPHONE = {"device": "iPhone 15 Pro Max", "resolution": 768, "seconds": 31.0,
                     "source": "apple/ml-stable-diffusion README"}

#: DreamLite's on-device deployment (PAPER_FACTS.md, "Deployment"): what runs per 1024x1024 generation.
DREAMLITE_DEPLOYMENT = {
    "device": "iPhone 17 Pro", "seconds": 3.0, "unet_calls": 4, "unet_input": (1, 4, 128, 256),
    "unet_precision": "fp16 Core ML", "vae": "TAESDXL decoder (AutoencoderTiny), fp16 Core ML",
    "text_encoder": "Qwen3-VL-2B, 4-bit via MLX (about 0.8 GB)", "export_text_len_default": 77,
}

#: TAESDXL (``AutoencoderTiny``): about 1.22M parameters in the encoder and 1.22M in the decoder (PAPER_FACTS.md).
TAESDXL_PARAMS = {"encoder": 1_220_000, "decoder": 1_220_000}

#: Qwen3-VL-2B-Instruct (the frozen text encoder): about 2B parameters (model name), last hidden state 2048-d.
QWEN3_VL_2B_PARAMS = 2_000_000_000
