"""Architecture accounting on the meta device: exact parameters, MACs per U-Net call, weight and activation memory.

Implements: the numbers behind the paper's U-Net description (DreamLite arXiv 2603.28713, "The U-Net": 0.39B
parameters, 15.2% of SDXL's U-Net, by type and by stage) and the cost of one call at 1024x1024, for the plain
128x128 latent and the in-context ``[target | condition]`` 128x256 input. Introduced in
``notebooks/01_sdxl_to_dreamlite.py``.

Everything runs on diffusers' own classes built on the meta device (no memory, no weights, under a second):

* parameters: ``sum(p.numel())``, broken down by stage (embeddings and I/O, each down level, mid, each up level) and by
  module type (self-attention ``attn1``, cross-attention ``attn2``, feed-forward ``ff``, the rest of each transformer
  (norms, ``proj_in``/``proj_out``), res-blocks, down/up-samplers, embeddings and I/O);
* MACs: the real modules run under ``torch.utils.flop_counter.FlopCounterMode`` on meta tensors (shapes only); the
  counter counts matrix products and convolutions (``addmm``, ``mm``, ``bmm``, ``convolution``; SDPA on the meta
  device decomposes into ``bmm``), not norms or element-wise ops. MACs = FLOPs / 2. On real CPU tensors torch's fused
  CPU attention kernel is *not* counted (measured: a nano U-Net's count drops by exactly its attention products), so
  :func:`measure_macs` always measures a meta copy;
  :func:`analytic_macs` counts the same thing in closed form from the config; a test checks that both agree exactly;
* memory at fp16: weights = 2 bytes x parameters; activations = the outputs of every leaf module and every attention
  score matrix of one call (what an unfused runtime writes and reads back), plus the largest single tensor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import torch

from .pruning import build_unet

__all__ = ["BYTES_FP16", "UNetCost", "STAGES", "TYPES", "build_meta", "count_params", "count_transformer_blocks",
           "params_by_stage", "params_by_type", "unet_inputs", "measure_macs", "analytic_macs", "activation_memory",
           "unet_cost", "unet_class"]

BYTES_FP16 = 2
TYPES = ("self_attention", "cross_attention", "feed_forward", "transformer_other", "res_blocks", "samplers",
         "embeddings_io")
STAGES_DOC = "embeddings_io, down.<i>, mid, up.<i>"
STAGES = STAGES_DOC


def unet_class(name: str):
    """The diffusers class by name (``"DreamLiteUNetModel"`` or ``"UNet2DConditionModel"``)."""
    import diffusers

    if name not in ("DreamLiteUNetModel", "UNet2DConditionModel"):
        raise ValueError(f"unet class {name!r}: use 'DreamLiteUNetModel' or 'UNet2DConditionModel'")
    return getattr(diffusers, name)


def build_meta(cls, config: dict):
    """Build ``cls`` from ``config`` on the meta device (shapes only; a 2.6B SDXL U-Net in well under a second)."""
    if isinstance(cls, str):
        cls = unet_class(cls)
    with torch.device("meta"):
        return build_unet(cls, config)


def count_params(model) -> int:
    """Exact number of parameters."""
    return int(sum(p.numel() for p in model.parameters()))


def count_transformer_blocks(model) -> int:
    """Number of transformer blocks (``...transformer_blocks.<t>``); SDXL 70, DreamLite 36."""
    return sum(1 for n, _ in model.named_modules() if re.search(r"transformer_blocks\.\d+$", n))


def _stage_of(name: str) -> str:
    m = re.match(r"(down|up)_blocks\.(\d+)\.", name)
    if m:
        return f"{m.group(1)}.{m.group(2)}"
    if name.startswith("mid_block."):
        return "mid"
    return "embeddings_io"


def _type_of(name: str) -> str:
    if ".attn1." in name:
        return "self_attention"
    if ".attn2." in name:
        return "cross_attention"
    if ".ff." in name:
        return "feed_forward"
    if ".attentions." in name:
        return "transformer_other"
    if ".resnets." in name:
        return "res_blocks"
    if ".downsamplers." in name or ".upsamplers." in name:
        return "samplers"
    return "embeddings_io"


def params_by_stage(model) -> dict[str, int]:
    """Parameters per stage: ``embeddings_io``, ``down.0``.., ``mid``, ``up.0``.. (up.0 is the lowest resolution)."""
    out: dict[str, int] = {}
    for name, p in model.named_parameters():
        out[_stage_of(name)] = out.get(_stage_of(name), 0) + p.numel()
    order = ["embeddings_io"] + sorted(k for k in out if k.startswith("down")) + ["mid"] + \
        sorted(k for k in out if k.startswith("up"))
    return {k: int(out.get(k, 0)) for k in order}


def params_by_type(model) -> dict[str, int]:
    """Parameters per module type (see ``TYPES``); ``transformer_other`` = a transformer's norms and projections."""
    out = dict.fromkeys(TYPES, 0)
    for name, p in model.named_parameters():
        out[_type_of(name)] += p.numel()
    return {k: int(v) for k, v in out.items()}


def unet_inputs(model, height: int, width: int, text_len: int = 77, batch: int = 1, device="meta",
                dtype=torch.float32) -> dict:
    """Keyword inputs for one U-Net call on a ``height x width`` latent (meta tensors by default).

    DreamLite (``addition_embed_type="time"``): ``time_ids`` = [width, height]; SDXL (``"text_time"``): a pooled
    text embedding and 6 time ids; ``encoder_hidden_states`` is (batch, text_len, encoder_hid_dim or
    cross_attention_dim).
    """
    cfg = model.config
    text_dim = cfg.encoder_hid_dim if cfg.encoder_hid_dim_type else cfg.cross_attention_dim
    if isinstance(text_dim, (list, tuple)):
        text_dim = text_dim[0]
    g = None if device == "meta" else torch.Generator().manual_seed(0)

    def rand(*shape):
        if device == "meta":
            return torch.empty(*shape, device="meta", dtype=dtype)
        return torch.randn(*shape, generator=g, dtype=dtype).to(device)

    kw = dict(sample=rand(batch, cfg.in_channels, height, width),
              timestep=torch.full((batch,), 500.0, device=device),
              encoder_hidden_states=rand(batch, text_len, text_dim))
    if cfg.addition_embed_type == "time":
        kw["added_cond_kwargs"] = {"time_ids": torch.tensor([[8.0 * width, 8.0 * height]] * batch, device=device)}
    elif cfg.addition_embed_type == "text_time":
        n_ids = (cfg.projection_class_embeddings_input_dim - _pooled_dim(cfg)) // cfg.addition_time_embed_dim
        kw["added_cond_kwargs"] = {"text_embeds": rand(batch, _pooled_dim(cfg)),
                                   "time_ids": torch.ones(batch, n_ids, device=device)}
    return kw


def _pooled_dim(cfg) -> int:
    # SDXL: projection_class_embeddings_input_dim = pooled (1280) + 6 * addition_time_embed_dim (256) = 2816
    return cfg.projection_class_embeddings_input_dim - 6 * cfg.addition_time_embed_dim


def measure_macs(model, height: int, width: int, text_len: int = 77) -> dict:
    """Run one forward of ``model``'s config on the meta device under ``FlopCounterMode`` and return MACs.

    Returns ``{"total": int, "by_stage": {...}, "by_type": {...}, "by_op": {...}}``; MACs = counted FLOPs / 2.
    """
    from torch.utils.flop_counter import FlopCounterMode

    if next(model.parameters()).device.type != "meta":
        # On real CPU tensors SDPA runs a fused kernel (_scaled_dot_product_flash_attention_for_cpu) that the flop
        # counter of torch 2.13 does not count, so the attention products would be missed; on the meta device
        # SDPA decomposes into bmm, which is counted. Measure a meta copy of the same config instead.
        model = build_meta(type(model), dict(model.config))
    kw = unet_inputs(model, height, width, text_len, device="meta")
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(**kw)
    counts = counter.get_flop_counts()
    root = type(model).__name__
    total = counter.get_total_flops() // 2
    per_module = {k[len(root) + 1:]: sum(v.values()) // 2 for k, v in counts.items() if k.startswith(root + ".")}
    by_op = {str(op).replace("aten.", ""): int(v) // 2 for op, v in counts["Global"].items()}

    def sum_matching(pattern):
        rx = re.compile(pattern)
        return sum(v for k, v in per_module.items() if rx.search(k))

    by_stage = {"embeddings_io": 0}
    for k, v in per_module.items():
        if re.fullmatch(r"(down|up)_blocks\.\d+", k):
            by_stage[k.replace("_blocks", "")] = v
        elif k == "mid_block":
            by_stage["mid"] = v
    by_stage = {"embeddings_io": total - sum(by_stage.values()),
                **{k: by_stage[k] for k in sorted(by_stage) if k.startswith("down")},
                "mid": by_stage.get("mid", 0), **{k: by_stage[k] for k in sorted(by_stage) if k.startswith("up")}}
    transformers = sum_matching(r"\.attentions\.\d+$")
    by_type = {"self_attention": sum_matching(r"\.attn1$"), "cross_attention": sum_matching(r"\.attn2$"),
               "feed_forward": sum_matching(r"\.ff$")}
    by_type["transformer_other"] = transformers - sum(by_type.values())
    by_type["res_blocks"] = sum_matching(r"\.resnets\.\d+$")
    by_type["samplers"] = sum_matching(r"\.(down|up)samplers\.\d+$")
    by_type["embeddings_io"] = total - transformers - by_type["res_blocks"] - by_type["samplers"]
    return {"total": int(total), "by_stage": {k: int(v) for k, v in by_stage.items()},
            "by_type": {k: int(v) for k, v in by_type.items()}, "by_op": by_op}


# --------------------------------------------------------------------------------------------------------------------
# Closed-form MACs from a config (the cross-check of measure_macs)
# --------------------------------------------------------------------------------------------------------------------
def analytic_macs(class_name: str, config: dict, height: int, width: int, text_len: int = 77) -> int:
    """MACs of one call (batch 1) in closed form: every convolution, linear layer and attention product.

    With N = h*w tokens at a level of width C, L text tokens, head dim d, kv = K/V heads x d:
      res-block (3x3 convs):  N*9*(C_in*C + C*C) [+ N*C_in*C shortcut] + temb*C
      separable res-block:    N*(9*C_in + C_in*2C + 9*2C + 2C*C) [+ shortcut] + temb*2C
      transformer:            N*C*C*2 (proj_in, proj_out) + per block:
        self-attention        N*C*(C + 2kv) + 2*N*N*C + N*C*C
        cross-attention       N*C*C + 2*L*D*kv + 2*N*L*C + N*C*C    (D = cross_attention_dim)
        feed-forward (GEGLU)  N*C*2mC + N*mC*C                      (m = ff_mult)
      samplers: a 3x3 conv at the output resolution; conv_in, conv_out: 3x3 at the top level;
      embeddings: the timestep and added-condition MLPs and the text projection (L*E*D).
    """
    dreamlite = class_name == "DreamLiteUNetModel"
    cls = unet_class(class_name)
    import inspect

    defaults = {k: v.default for k, v in inspect.signature(cls.__init__).parameters.items()
                if v.default is not inspect.Parameter.empty}
    cfg = {**defaults, **{k: v for k, v in config.items() if not k.startswith("_")}}
    chans = list(cfg["block_out_channels"])
    n_levels = len(chans)
    layers = _list(cfg["layers_per_block"], n_levels)
    tlpb = _list(cfg["transformer_layers_per_block"], n_levels)
    heads = _list(cfg["attention_head_dim"], n_levels)
    cross = _list(cfg["cross_attention_dim"], n_levels)
    sep = dreamlite and cfg.get("use_sep_conv", False)
    ff_mult = cfg.get("ff_mult", 4) if dreamlite else 4
    kv_heads = cfg.get("num_kv_heads") if dreamlite else None
    c0 = chans[0]
    temb = cfg.get("time_embedding_dim") or c0 * 4
    L = text_len

    def res(n, cin, c):
        if sep:
            macs = n * (9 * cin + cin * 2 * c + 9 * 2 * c + 2 * c * c) + temb * 2 * c
        else:
            macs = n * 9 * (cin * c + c * c) + temb * c
        return macs + (n * cin * c if cin != c else 0)

    def transformer(n, c, n_blocks, level_heads, d_cross, self_attn):
        d = c // level_heads
        kv = (kv_heads if kv_heads is not None else level_heads) * d
        macs = 2 * n * c * c
        block = 0
        if self_attn:
            block += n * c * (c + 2 * kv) + 2 * n * n * c + n * c * c
        block += n * c * c + 2 * L * d_cross * kv + 2 * n * L * c + n * c * c
        block += n * c * 2 * ff_mult * c + n * ff_mult * c * c
        return macs + n_blocks * block

    def kind(block_type):
        """(has_transformer, has_self_attention) of a block type."""
        if "NoSelfAttn" in block_type:
            return True, False
        if "CrossAttn" in block_type:
            return True, True
        return False, False

    macs = 0
    h, w = height, width
    # embeddings and I/O
    macs += c0 * temb + temb * temb  # time_embedding
    if cfg.get("addition_embed_type") in ("time", "text_time"):
        macs += cfg["projection_class_embeddings_input_dim"] * temb + temb * temb
    if cfg.get("encoder_hid_dim_type") in ("text_proj", "text_proj_rms"):
        macs += L * cfg["encoder_hid_dim"] * cross[0]
    macs += h * w * 9 * cfg["in_channels"] * c0 + h * w * 9 * c0 * cfg["out_channels"]
    # down
    sizes = []
    for i, bt in enumerate(cfg["down_block_types"]):
        sizes.append((h, w))
        n = h * w
        cin = chans[i - 1] if i else c0
        has_t, self_attn = kind(bt)
        for j in range(layers[i]):
            macs += res(n, cin if j == 0 else chans[i], chans[i])
            if has_t:
                macs += transformer(n, chans[i], _list(tlpb[i], layers[i])[j], heads[i], cross[i], self_attn)
        if i < n_levels - 1:
            h, w = (h + 1) // 2, (w + 1) // 2
            macs += h * w * 9 * chans[i] * chans[i]
    # mid
    n = h * w
    c = chans[-1]
    n_mid = cfg.get("num_mid_layers", 1) if dreamlite else 1
    if cfg.get("mid_block_type") is not None:
        macs += res(n, c, c)
        for _ in range(n_mid):
            macs += transformer(n, c, _list(tlpb[-1], 1)[0], heads[-1], cross[-1], True) + res(n, c, c)
    # up
    rev = list(reversed(chans))
    rev_layers, rev_tlpb = list(reversed(layers)), list(reversed(tlpb))
    rev_heads, rev_cross = list(reversed(heads)), list(reversed(cross))
    for i, bt in enumerate(cfg["up_block_types"]):
        hh, ww = sizes[n_levels - 1 - i]
        n = hh * ww
        has_t, self_attn = kind(bt)
        count = rev_layers[i] + 1
        for j in range(count):
            main = (rev[i - 1] if i else rev[0]) if j == 0 else rev[i]
            skip = rev[min(i + 1, n_levels - 1)] if j == count - 1 else rev[i]
            macs += res(n, main + skip, rev[i])
            if has_t:
                macs += transformer(n, rev[i], _list(rev_tlpb[i], count)[j], rev_heads[i], rev_cross[i], self_attn)
        if i < n_levels - 1:
            h2, w2 = sizes[n_levels - 2 - i]
            macs += h2 * w2 * 9 * rev[i] * rev[i]
    return int(macs)


def _list(value, n):
    return list(value) if isinstance(value, (list, tuple)) else [value] * n


# --------------------------------------------------------------------------------------------------------------------
# Memory
# --------------------------------------------------------------------------------------------------------------------
def activation_memory(model, height: int, width: int, text_len: int = 77, bytes_per_value: int = BYTES_FP16) -> dict:
    """Activation bytes of one call at ``bytes_per_value`` (fp16: 2), from the shapes of a meta forward.

    ``leaf_outputs_bytes``: every leaf module's output (conv, linear, norm, activation); ``attention_scores_bytes``:
    every attention score matrix (queries x keys x heads) an unfused attention writes; ``largest_tensor_bytes``: the
    biggest of all these, a lower bound on the peak working set when activations are freed eagerly.
    """
    from diffusers.models.attention_processor import Attention

    totals = {"leaf": 0, "scores": 0, "largest": 0}
    handles = []

    def leaf_hook(module, args, output):
        if isinstance(output, torch.Tensor):
            b = output.numel() * bytes_per_value
            totals["leaf"] += b
            totals["largest"] = max(totals["largest"], b)

    def attn_hook(module, args, kwargs):
        hs = args[0] if args else kwargs["hidden_states"]
        enc = kwargs.get("encoder_hidden_states")
        q_len = hs.shape[1] if hs.ndim == 3 else hs.shape[2] * hs.shape[3]
        kv_len = enc.shape[1] if enc is not None else q_len
        b = hs.shape[0] * module.heads * q_len * kv_len * bytes_per_value
        totals["scores"] += b
        totals["largest"] = max(totals["largest"], b)

    for module in model.modules():
        if isinstance(module, Attention):
            handles.append(module.register_forward_pre_hook(attn_hook, with_kwargs=True))
        elif not list(module.children()):
            handles.append(module.register_forward_hook(leaf_hook))
    try:
        device = next(model.parameters()).device
        with torch.no_grad():
            model(**unet_inputs(model, height, width, text_len, device=device))
    finally:
        for h in handles:
            h.remove()
    return {"leaf_outputs_bytes": int(totals["leaf"]), "attention_scores_bytes": int(totals["scores"]),
            "largest_tensor_bytes": int(totals["largest"])}


@dataclass
class UNetCost:
    """Everything :func:`unet_cost` measures for one U-Net config at one latent size."""

    name: str
    class_name: str
    params: int
    params_by_stage: dict[str, int]
    params_by_type: dict[str, int]
    latent_hw: tuple[int, int]
    macs: int
    macs_by_stage: dict[str, int]
    macs_by_type: dict[str, int]
    weight_bytes_fp16: int
    activations: dict[str, int] = field(default_factory=dict)
    transformer_blocks: int = 0

    def row(self) -> dict:
        """A flat dict for a table row."""
        return {"name": self.name, "class": self.class_name, "params": self.params,
                "latent": f"{self.latent_hw[0]}x{self.latent_hw[1]}", "macs_g": self.macs / 1e9,
                "weights_mb_fp16": self.weight_bytes_fp16 / 2**20,
                "activations_mb_fp16": (self.activations.get("leaf_outputs_bytes", 0)
                                        + self.activations.get("attention_scores_bytes", 0)) / 2**20,
                "transformer_blocks": self.transformer_blocks}


def unet_cost(name: str, class_name: str, config: dict, height: int = 128, width: int = 128, text_len: int = 77,
              with_activations: bool = True, measure: bool = True) -> UNetCost:
    """Parameters, MACs and fp16 memory of one config at a ``height x width`` latent (1024 px -> 128), on meta.

    ``measure=False`` takes the MAC total from :func:`analytic_macs` (identical, faster) and leaves the MAC
    breakdowns empty."""
    model = build_meta(class_name, config)
    if measure:
        macs = measure_macs(model, height, width, text_len)
    else:
        macs = {"total": analytic_macs(class_name, config, height, width, text_len), "by_stage": {}, "by_type": {}}
    n_blocks = count_transformer_blocks(model)
    params = count_params(model)
    return UNetCost(name=name, class_name=class_name, params=params, params_by_stage=params_by_stage(model),
                    params_by_type=params_by_type(model), latent_hw=(height, width), macs=macs["total"],
                    macs_by_stage=macs["by_stage"], macs_by_type=macs["by_type"],
                    weight_bytes_fp16=params * BYTES_FP16,
                    activations=activation_memory(model, height, width, text_len) if with_activations else {},
                    transformer_blocks=n_blocks)
