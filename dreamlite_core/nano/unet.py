"""DreamLite-Nano's U-Net: diffusers' ``DreamLiteUNetModel`` with the paper's block types at nano width, made by
pruning an SDXL-shaped nano parent.

Implements: the DreamLite U-Net design (arXiv 2603.28713; PAPER_FACTS.md "The U-Net": cross-attention only at the
two high-resolution levels, self-attention only at the lowest, multi-query attention, QK-RMSNorm, depthwise-
separable res-blocks, FFN x3, ``addition_embed_type="time"`` with time_ids = [width, height], text projected by
``encoder_hid_dim_type="text_proj_rms"``) and its origin in a structured pruning of an SDXL-shaped U-Net.
Introduced in ``notebooks/03_in_context_concatenation.py`` (the parameter table and the pruning map).

The in-context input is ``[noisy target | condition]``: the U-Net sees ``unet_channels`` channels (the VAE's
``latent_channels`` times ``latent_packing ** 2``) on a ``latent_size x 2*latent_size`` grid (8x16 for the nano
default: the x2 VAE's 16x16x4 latents packed 2x2 into 8x8x16).

Parent -> child (nano default, 16 U-Net input channels; measured, notebook 03 prints the full tables):

| | parent (SDXL-shaped) | child (DreamLite-Nano) |
|---|---|---|
| block_out_channels | (40, 80, 160) = SDXL / 8 | (32, 64, 128) (x0.8, as SnapGen's 320 -> 256) |
| res-blocks per level | 2 | 1 |
| transformer layers per level | (1, 2, 10) | (1, 1, 1); mid block 10 -> 1 |
| heads (diffusers' attention_head_dim) | (1, 2, 4), head dim 40 | (1, 2, 4), head dim 32 |
| cross_attention_dim | 160 | 128 |
| parameters | 25,308,896 | 2,414,032 (9.5%) |

Rule "first" keeps leading layers, heads and channels; the up levels' structural res-blocks map first -> first and
last -> last (child ``up_blocks.i.resnets.1`` copies parent ``resnets.2``), as ``arch.pruning`` documents.
"""

from __future__ import annotations

from .config import NanoConfig

DOWN_BLOCK_TYPES = ("DreamLiteCrossAttnNoSelfAttnDownBlock2D", "DreamLiteCrossAttnNoSelfAttnDownBlock2D",
                    "DreamLiteCrossAttnDownBlock2D")
UP_BLOCK_TYPES = ("DreamLiteCrossAttnUpBlock2D", "DreamLiteCrossAttnNoSelfAttnUpBlock2D", "DreamLiteUpBlock2D")


def _unet_config(config: NanoConfig, *, block_out_channels, layers_per_block, transformer_layers_per_block,
                 cross_attention_dim, ff_mult) -> dict:
    if len(block_out_channels) != 3:
        raise ValueError(f"the DreamLite U-Net has 3 levels; got block_out_channels={tuple(block_out_channels)}")
    for width, heads in zip(block_out_channels, config.attention_head_dim):
        if width % heads:
            raise ValueError(f"width {width} is not divisible by {heads} heads (attention_head_dim is the number of "
                             f"heads in diffusers' DreamLiteUNetModel)")
        if width % config.norm_num_groups:
            raise ValueError(f"width {width} is not divisible by norm_num_groups={config.norm_num_groups}")
    return {
        "sample_size": config.latent_size,
        "in_channels": config.unet_channels,
        "out_channels": config.unet_channels,
        "down_block_types": list(DOWN_BLOCK_TYPES),
        "up_block_types": list(UP_BLOCK_TYPES),
        "block_out_channels": list(block_out_channels),
        "layers_per_block": layers_per_block,
        "transformer_layers_per_block": list(transformer_layers_per_block),
        "attention_head_dim": list(config.attention_head_dim),
        "cross_attention_dim": cross_attention_dim,
        "encoder_hid_dim": config.text_hidden_dim,
        "encoder_hid_dim_type": "text_proj_rms",
        "addition_embed_type": "time",
        "addition_time_embed_dim": config.addition_time_embed_dim,
        "projection_class_embeddings_input_dim": 2 * config.addition_time_embed_dim,  # time_ids = [width, height]
        "norm_num_groups": config.norm_num_groups,
        "use_linear_projection": True,
        "ff_mult": ff_mult,
        "num_kv_heads": config.num_kv_heads,
        "qk_norm": config.qk_norm,
        "use_sep_conv": config.use_sep_conv,
        "num_mid_layers": 1,
    }


def nano_unet_config(config: NanoConfig | None = None) -> dict:
    """The ``DreamLiteUNetModel`` config (diffusers keys) of the nano U-Net described by ``config``."""
    config = config or NanoConfig()
    return _unet_config(config, block_out_channels=config.block_out_channels,
                        layers_per_block=config.layers_per_block,
                        transformer_layers_per_block=config.transformer_layers_per_block,
                        cross_attention_dim=config.cross_attention_dim, ff_mult=config.ff_mult)


def nano_parent_config(config: NanoConfig | None = None) -> dict:
    """The SDXL-shaped parent: SDXL's width ratios 1:2:4 (its channels / 8), 2 res-blocks per level and its deep
    lowest level (transformer depth 10), in DreamLite's block types so that pruning only removes layers and
    channels."""
    config = config or NanoConfig()
    return _unet_config(config, block_out_channels=config.parent_block_out_channels,
                        layers_per_block=config.parent_layers_per_block,
                        transformer_layers_per_block=config.parent_transformer_layers_per_block,
                        cross_attention_dim=config.parent_cross_attention_dim, ff_mult=config.parent_ff_mult)


def build_nano_parent(config: NanoConfig | None = None, seed: int | None = None):
    """The randomly initialised SDXL-shaped parent ``DreamLiteUNetModel`` (seeded)."""
    import torch
    from diffusers import DreamLiteUNetModel

    config = config or NanoConfig()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.parent_seed if seed is None else seed)
        return DreamLiteUNetModel(**nano_parent_config(config))


def _prune_unet():
    """``dreamlite_core.arch.pruning.prune_unet`` when that module exists, else ``None``."""
    try:
        from ..arch.pruning import prune_unet
    except ImportError:
        return None
    return prune_unet


def build_nano_unet(config: NanoConfig | None = None, parent=None, prune: bool = True):
    """The nano ``DreamLiteUNetModel``: pruned (rule "first") from ``parent`` (default: the seeded SDXL-shaped
    parent of :func:`build_nano_parent`) with notebook 01's tool, or, with ``prune=False`` or before that tool
    exists, built directly from :func:`nano_unet_config` under the current torch seed."""
    from diffusers import DreamLiteUNetModel

    config = config or NanoConfig()
    child_config = nano_unet_config(config)
    prune_unet = _prune_unet() if prune else None
    if prune_unet is None:
        return DreamLiteUNetModel(**child_config)
    if parent is None:
        parent = build_nano_parent(config)
    child = prune_unet(parent, child_config, rule="first")
    return child[0] if isinstance(child, tuple) else child


def count_parameters(model) -> int:
    return sum(p.numel() for p in model.parameters())


def parameter_table(model) -> list[dict]:
    """Parameters by top-level part of the U-Net (conv_in, time/text embeddings, each down/up block, mid block,
    conv_out), as plain dicts for ``pandas.DataFrame``."""
    rows = []
    for name, module in model.named_children():
        if hasattr(module, "__len__") and name in ("down_blocks", "up_blocks"):
            for i, block in enumerate(module):
                rows.append({"part": f"{name}.{i}", "type": type(block).__name__,
                             "params": count_parameters(block)})
        else:
            n = count_parameters(module)
            if n:
                rows.append({"part": name, "type": type(module).__name__, "params": n})
    return rows


def parameters_by_kind(model) -> dict[str, int]:
    """Parameters by kind, as the paper breaks its U-Net down: transformer blocks, res-blocks, samplers, the rest."""
    out = {"transformer_blocks": 0, "resnets": 0, "samplers": 0, "embeddings_and_io": 0}
    for name, p in model.named_parameters():
        if ".transformer_blocks." in name or ".attentions." in name:
            out["transformer_blocks"] += p.numel()
        elif ".resnets." in name:
            out["resnets"] += p.numel()
        elif "samplers." in name:
            out["samplers"] += p.numel()
        else:
            out["embeddings_and_io"] += p.numel()
    return out
