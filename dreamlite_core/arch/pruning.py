"""Structured pruning with weight inheritance: a smaller U-Net whose every tensor is a slice of a bigger one.

Implements: the companion's route from a paper-scale U-Net to a smaller one of the same family. DreamLite's U-Net is
SDXL-derived (paper, "The U-Net"; SnapGen's design path, arXiv 2412.09619); pruning recipes for SDXL such as BK-SDM
(arXiv 2305.15798), SSD-1B / Segmind-Vega (arXiv 2401.02677), KOALA (arXiv 2312.04005) and LAPTOP-Diff
(arXiv 2404.11098) keep a subset of the teacher's layers and initialise the student from the kept weights. This
module does that for diffusers' ``UNet2DConditionModel`` and ``DreamLiteUNetModel``.
Introduced in: ``notebooks/01_sdxl_to_dreamlite.py``; used by ``dreamlite_core.nano`` to build DreamLite-Nano.

Public API
----------
``prune_unet(parent, child_config, rule="first") -> child``
    Builds ``type(parent)`` from ``child_config`` and fills every child tensor with a slice of a parent tensor.
``pruning_map(parent, child, rule="first") -> [(child_param, parent_param, kept_index_description), ...]``
    The same plan as a list, for documentation.

The rules (which parent indices each child tensor keeps)
--------------------------------------------------------
Layers (which parent module a child module copies):

* transformer blocks inside one transformer (``...attentions.j.transformer_blocks.t``): ``"first"`` keeps blocks
  0..k-1; ``"norm"`` keeps the k blocks with the largest weight L2 norm, in their original order.
* res-blocks (a down level's ``(resnets.j, attentions.j)`` pair, an up level's ``resnets.j`` and its attention, the
  mid block's ``(attentions.j, resnets.j+1)`` pair). Positions that change the tensor shapes are structural and
  always map to themselves: a down level's first res-block (it changes the channel count), an up level's first
  (it reads the level below) and last (it reads the skip from the level above: child last -> parent last). The
  positions in between are interchangeable: ``"first"`` keeps the first ones, ``"norm"`` the largest-norm ones
  (res-block + its attention together), in order.

Dimensions (which indices of a tensor's axis are kept), identical for every tensor that shares that axis:

* residual-stream channels (everything a level's res-blocks, norms, ``proj_in``/``proj_out``, samplers and skip
  connections share), cross-attention input width, text projection: the leading slice ``[:c]`` under both rules,
  because one choice must hold through every block, GroupNorm and skip connection of the U-Net.
* attention heads (``to_q``/``to_k``/``to_v`` rows, ``to_out.0`` columns, grouped as ``heads x head_dim``; the
  QK-RMSNorm weight over ``head_dim``): ``"first"`` keeps heads 0..h-1, ``"norm"`` the h heads with the largest
  ``|to_q rows|^2 + |to_out columns|^2`` (+ K/V rows under multi-head attention); inside a head, the leading
  ``head_dim`` slice. Multi-query attention (1 K/V head) keeps its single K/V head (sliced to the child's head dim)
  whatever query heads are kept. Other grouped-query ratios, or a change from multi-head to multi-query, are refused.
* feed-forward hidden units: GEGLU's ``proj`` is ``[hidden; gate]`` stacked, so the same units are kept in both
  halves and in ``net.2``'s columns; ``"first"`` leading units, ``"norm"`` the largest ``|hidden|^2 + |gate|^2 +
  |out|^2``.
* a res-block's inner width (``conv1`` out, ``time_emb_proj``, ``norm2``, ``conv2`` in; x2 wide with
  depthwise-separable convs): ``"first"`` leading channels, ``"norm"`` the largest ``|conv1 out|^2 + |conv2 in|^2``.
* an up level's res-block input is ``[main | skip]`` concatenated: each part keeps its own leading slice.
* the sinusoidal timestep features feeding ``time_embedding.linear_1`` (``[cos | sin]`` of ``block_out_channels[0]``
  frequencies): in each half, the parent frequency nearest to each child frequency (exact when the widths are equal).

A child that is not a sub-structure of its parent (another class or block type, a config field that changes what a
tensor means, a module or parameter the parent lacks, any tensor axis larger than the parent's) raises ``ValueError``
naming the field or parameter. Pruning to the parent's own config reproduces the parent exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["PRUNING_RULES", "prune_unet", "pruning_map", "build_unet"]

PRUNING_RULES = ("first", "norm")

#: Config fields that change what a tensor *means* (not only its size): a child must match its parent on these.
FUNCTIONAL_FIELDS = (
    "in_channels", "out_channels", "down_block_types", "up_block_types", "mid_block_type", "encoder_hid_dim",
    "encoder_hid_dim_type", "addition_embed_type", "addition_time_embed_dim", "projection_class_embeddings_input_dim",
    "time_embedding_type", "flip_sin_to_cos", "freq_shift", "act_fn", "resnet_time_scale_shift",
    "use_linear_projection",
    "conv_in_kernel", "conv_out_kernel", "class_embed_type", "num_class_embeds", "time_cond_proj_dim",
    "only_cross_attention", "dual_cross_attention", "attention_type", "qk_norm", "use_sep_conv",
    "time_embedding_dim", "class_embeddings_concat",
)


def _as_list(value, n):
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value] * n


def _plain(value):
    """Config values as plain Python (tuples -> lists) so that comparisons ignore the container type."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def build_unet(cls, config: dict):
    """Build ``cls`` (a diffusers U-Net class) from a full config dict; unknown keys and build failures -> ValueError.

    Used by :func:`prune_unet` and by the design path (``dreamlite_core.arch.design``) so that a config diffusers
    cannot build fails with a message naming the class and the config.
    """
    import inspect

    accepted = set(inspect.signature(cls.__init__).parameters) - {"self"}
    config = {k: v for k, v in dict(config).items() if not k.startswith("_")}
    unknown = sorted(set(config) - accepted)
    if unknown:
        raise ValueError(f"{cls.__name__} has no config field(s) {unknown}; accepted fields include "
                         f"{sorted(accepted)[:8]}... (check the spelling or the class)")
    try:
        return cls(**config)
    except Exception as exc:  # diffusers raises ValueError, TypeError, KeyError, AttributeError ...
        raise ValueError(f"diffusers cannot build {cls.__name__} from this config: "
                         f"{type(exc).__name__}: {exc}") from exc


# --------------------------------------------------------------------------------------------------------------------
# Layer mapping: child module prefix -> parent module prefix
# --------------------------------------------------------------------------------------------------------------------
def _sq_norm(module: nn.Module) -> float:
    return float(sum(p.detach().float().pow(2).sum() for p in module.parameters()))


def _choose(candidates: list[int], k: int, rule: str, score) -> list[int]:
    """Pick ``k`` of ``candidates`` (parent positions): the first ``k``, or the ``k`` largest ``score``, kept in
    order."""
    if k > len(candidates):
        raise ValueError(f"needs {k} positions but the parent has {len(candidates)}")
    if rule == "first" or k == len(candidates):
        return candidates[:k]
    ranked = sorted(candidates, key=lambda p: -score(p))[:k]
    return sorted(ranked)


def _pair_score(block, p: int, resnet_offset: int = 0) -> float:
    s = _sq_norm(block.resnets[p + resnet_offset])
    attentions = getattr(block, "attentions", None)
    if attentions is not None and p < len(attentions):
        s += _sq_norm(attentions[p])
    return s


def _layer_maps(parent, child, rule: str) -> dict[str, dict[int, int]]:
    """For every ModuleList of layers: ``{child_list_prefix: {child_index: parent_index}}``."""
    maps: dict[str, dict[int, int]] = {}
    if len(child.down_blocks) != len(parent.down_blocks) or len(child.up_blocks) != len(parent.up_blocks):
        raise ValueError(f"block_out_channels: the child has {len(child.down_blocks)} levels, the parent "
                         f"{len(parent.down_blocks)}; pruning keeps the number of levels")
    for i, (pb, cb) in enumerate(zip(parent.down_blocks, child.down_blocks)):
        n, k = len(pb.resnets), len(cb.resnets)
        if k > n:
            raise ValueError(f"layers_per_block: down level {i} of the child has {k} res-blocks, the parent {n}")
        kept = [0] + _choose(list(range(1, n)), k - 1, rule, lambda p: _pair_score(pb, p)) if k else []
        m = dict(enumerate(kept))
        maps[f"down_blocks.{i}.resnets"] = m
        maps[f"down_blocks.{i}.attentions"] = m
    for i, (pb, cb) in enumerate(zip(parent.up_blocks, child.up_blocks)):
        n, k = len(pb.resnets), len(cb.resnets)
        if k > n:
            raise ValueError(f"layers_per_block: up level {i} of the child has {k} res-blocks, the parent {n}")
        middle = _choose(list(range(1, n - 1)), k - 2, rule, lambda p: _pair_score(pb, p)) if k >= 2 else []
        kept = [0] + middle + [n - 1] if k >= 2 else [0]
        m = dict(enumerate(kept))
        maps[f"up_blocks.{i}.resnets"] = m
        maps[f"up_blocks.{i}.attentions"] = m
    pm, cm = parent.mid_block, child.mid_block
    if (pm is None) != (cm is None):
        raise ValueError("mid_block_type: the child and the parent must both have a mid block or both lack one")
    if cm is not None and hasattr(cm, "attentions"):
        n, k = len(pm.attentions), len(cm.attentions)
        if k > n:
            raise ValueError(f"num_mid_layers: the child's mid block has {k} transformers, the parent's {n}")
        kept = _choose(list(range(n)), k, rule, lambda p: _pair_score(pm, p, resnet_offset=1))
        maps["mid_block.attentions"] = dict(enumerate(kept))
        maps["mid_block.resnets"] = {0: 0, **{j + 1: p + 1 for j, p in enumerate(kept)}}
    return maps


_INDEXED = re.compile(r"^(.*?)\.(\d+)$")


def _map_prefix(child_prefix: str, parent, child, layer_maps, rule: str, cache: dict) -> str:
    """Translate a child module path to the parent module path it copies (recursively, outermost list first)."""
    if child_prefix in cache:
        return cache[child_prefix]
    parts = child_prefix.split(".")
    out: list[str] = []
    i = 0
    while i < len(parts):
        out.append(parts[i])
        child_list = ".".join(parts[: i + 1])
        if i + 1 < len(parts) and parts[i + 1].isdigit():
            idx = int(parts[i + 1])
            parent_list = ".".join(out)
            if child_list in layer_maps:
                out.append(str(layer_maps[child_list][idx]))
            elif parts[i] == "transformer_blocks":
                key = (parent_list, "transformer_blocks")
                if key not in cache:
                    p_blocks = parent.get_submodule(parent_list)
                    c_blocks = child.get_submodule(child_list)
                    if len(c_blocks) > len(p_blocks):
                        raise ValueError(f"transformer_layers_per_block: '{child_list}' has {len(c_blocks)} "
                                         f"transformer blocks, the parent's '{parent_list}' only {len(p_blocks)}")
                    cache[key] = _choose(list(range(len(p_blocks))), len(c_blocks), rule,
                                         lambda p: _sq_norm(p_blocks[p]))
                out.append(str(cache[key][idx]))
            else:
                out.append(str(idx))
            i += 2
        else:
            i += 1
    cache[child_prefix] = ".".join(out)
    return cache[child_prefix]


# --------------------------------------------------------------------------------------------------------------------
# Dimension selections
# --------------------------------------------------------------------------------------------------------------------
def _top(scores: torch.Tensor, k: int, rule: str) -> torch.Tensor:
    if rule == "first" or k == scores.numel():
        return torch.arange(k)
    return torch.sort(torch.topk(scores, k).indices).values


def _segments(blocks: list[tuple[int, torch.Tensor]]) -> torch.Tensor:
    """Concatenate ``offset + indices`` over segments of a parent axis."""
    return torch.cat([off + idx for off, idx in blocks]) if blocks else torch.zeros(0, dtype=torch.long)


def _heads_index(heads: torch.Tensor, head_dim_p: int, head_dim_c: int) -> torch.Tensor:
    return _segments([(int(h) * head_dim_p, torch.arange(head_dim_c)) for h in heads])


@dataclass
class _Plan:
    child_name: str
    parent_name: str
    index: list[torch.Tensor | None]  # per axis: parent indices, or None for "all"
    note: str


def _attention_plans(pname, cname, pa, ca, rule) -> dict[str, list]:
    """Per-parameter axis indices of one diffusers ``Attention`` (heads x head_dim structure)."""
    hp, hc = pa.heads, ca.heads
    dp, dc = pa.inner_dim // hp, ca.inner_dim // hc
    kvp, kvc = pa.inner_kv_dim // dp, ca.inner_kv_dim // dc
    where = f"'{cname}'"
    if hc > hp:
        raise ValueError(f"attention_head_dim (heads): {where} has {hc} heads, the parent {hp}")
    if dc > dp:
        raise ValueError(f"block_out_channels/attention_head_dim: {where} has head dim {dc}, the parent {dp}")
    mha_p, mha_c = kvp == hp, kvc == hc
    if not ((mha_p and mha_c) or (kvp == kvc == 1)):
        raise ValueError(f"num_kv_heads: {where} has {kvc} K/V heads for {hc} heads, the parent {kvp} for {hp}; "
                         "pruning keeps multi-head as multi-head and multi-query (1 K/V head) as multi-query")
    q = pa.to_q.weight.detach().float().reshape(hp, dp, -1).pow(2).sum((1, 2))
    o = pa.to_out[0].weight.detach().float().reshape(-1, hp, dp).pow(2).sum((0, 2))
    score = q + o
    if mha_p:
        for lin in (pa.to_k, pa.to_v):
            score = score + lin.weight.detach().float().reshape(hp, dp, -1).pow(2).sum((1, 2))
    heads = _top(score, hc, rule)
    kv_heads = heads if mha_p else torch.arange(1)
    q_idx = _heads_index(heads, dp, dc)
    kv_idx = _heads_index(kv_heads, dp, dc)
    desc = f"heads {_short(heads, hp)}, head dim [:{dc}] of {dp}"
    kv_desc = desc if mha_p else f"the single K/V head (multi-query), head dim [:{dc}] of {dp}"
    plans = {"to_q.weight": [q_idx, None], "to_q.bias": [q_idx],
             "to_k.weight": [kv_idx, None], "to_k.bias": [kv_idx],
             "to_v.weight": [kv_idx, None], "to_v.bias": [kv_idx],
             "to_out.0.weight": [None, q_idx]}
    descs = {k: (kv_desc if k.startswith(("to_k", "to_v", "norm_k")) else desc) for k in
             ("to_q.weight", "to_q.bias", "to_k.weight", "to_k.bias", "to_v.weight", "to_v.bias", "to_out.0.weight",
              "norm_q.weight", "norm_q.bias", "norm_k.weight", "norm_k.bias")}
    for norm in ("norm_q", "norm_k"):
        mod = getattr(pa, norm, None)
        w = getattr(mod, "weight", None) if mod is not None else None
        if w is None:
            continue
        if w.shape[0] == dp:  # per-head QK norm over head_dim
            plans[f"{norm}.weight"] = [torch.arange(dc)]
            if getattr(mod, "bias", None) is not None:
                plans[f"{norm}.bias"] = [torch.arange(dc)]
        else:  # across heads
            idx = q_idx if norm == "norm_q" else kv_idx
            plans[f"{norm}.weight"] = [idx]
            if getattr(mod, "bias", None) is not None:
                plans[f"{norm}.bias"] = [idx]
    return {k: (v, descs[k]) for k, v in plans.items()}


def _ff_plans(pname, cname, pf, cf, rule) -> dict[str, list]:
    from diffusers.models.activations import GEGLU, SwiGLU

    act_p, act_c = pf.net[0], cf.net[0]
    if type(act_p) is not type(act_c):
        raise ValueError(f"'{cname}': feed-forward activation {type(act_c).__name__} differs from the parent's "
                         f"{type(act_p).__name__}")
    gated = isinstance(act_p, (GEGLU, SwiGLU))
    wp = act_p.proj.weight.detach().float()
    hidden_p = wp.shape[0] // 2 if gated else wp.shape[0]
    hidden_c = act_c.proj.weight.shape[0] // 2 if gated else act_c.proj.weight.shape[0]
    if hidden_c > hidden_p:
        raise ValueError(f"ff_mult: '{cname}' has {hidden_c} feed-forward units, the parent {hidden_p}")
    out_w = pf.net[2].weight.detach().float()
    score = wp[:hidden_p].pow(2).sum(1) + out_w.pow(2).sum(0)
    if gated:
        score = score + wp[hidden_p:].pow(2).sum(1)
    units = _top(score, hidden_c, rule)
    proj_idx = torch.cat([units, hidden_p + units]) if gated else units  # GEGLU: [hidden; gate] stacked
    desc = (f"units {_short(units, hidden_p)} in both halves [hidden; gate]" if gated
            else f"units {_short(units, hidden_p)}")
    return {"net.0.proj.weight": ([proj_idx, None], desc), "net.0.proj.bias": ([proj_idx], desc),
            "net.2.weight": ([None, units], f"columns: units {_short(units, hidden_p)}")}


def _up_split(config, level: int, position: int, n_resnets: int) -> tuple[int, int]:
    """(main, skip) input channels of up level ``level``'s res-block ``position`` (diffusers' UNet construction)."""
    rev = list(reversed(config["block_out_channels"]))
    out = rev[level]
    prev = rev[level - 1] if level > 0 else rev[0]
    inp = rev[min(level + 1, len(rev) - 1)]
    main = prev if position == 0 else out
    skip = inp if position == n_resnets - 1 else out
    return main, skip


def _resnet_plans(pname, cname, pr, cr, rule, parent_cfg, child_cfg, pos) -> dict[str, list]:
    """Res-block inner width (x2 with separable convs) and, in up levels, the ``[main | skip]`` input split."""
    sep = hasattr(pr.conv1, "pointwise")
    if sep != hasattr(cr.conv1, "pointwise"):
        raise ValueError(f"use_sep_conv: '{cname}' and its parent differ in convolution type")
    c1p = pr.conv1.pointwise if sep else pr.conv1
    c2p_in = pr.conv2.pointwise if sep else pr.conv2
    width_p = c1p.weight.shape[0]
    width_c = (cr.conv1.pointwise if sep else cr.conv1).weight.shape[0]
    if width_c > width_p:
        raise ValueError(f"block_out_channels: '{cname}' is {width_c} channels wide inside, the parent {width_p}")
    score = c1p.weight.detach().float().pow(2).flatten(1).sum(1) + \
        c2p_in.weight.detach().float().pow(2).transpose(0, 1).flatten(1).sum(1)
    inner = _top(score, width_c, rule)
    desc = f"inner channels {_short(inner, width_p)}"
    plans = {"norm2.weight": [inner], "norm2.bias": [inner]}
    if cr.time_emb_proj is not None:
        halves = 2 if cr.time_embedding_norm == "scale_shift" else 1
        idx = torch.cat([h * width_p + inner for h in range(halves)])
        plans["time_emb_proj.weight"] = [idx, None]
        plans["time_emb_proj.bias"] = [idx]
    if sep:
        plans["conv1.pointwise.weight"] = [inner, None, None, None]
        plans["conv2.depthwise.weight"] = [inner, None, None, None]
        plans["conv2.pointwise.weight"] = [None, inner, None, None]
    else:
        plans["conv1.weight"] = [inner, None, None, None]
        plans["conv1.bias"] = [inner]
        plans["conv2.weight"] = [None, inner, None, None]
    # up levels: the input is [main | skip] concatenated; keep the leading slice of each part
    m = re.match(r"up_blocks\.(\d+)\.resnets\.(\d+)$", cname)
    if m is not None:
        level, cpos = int(m.group(1)), int(m.group(2))
        mp, sp = _up_split(parent_cfg, level, pos, pos_count(parent_cfg, level))
        mc, sc = _up_split(child_cfg, level, cpos, pos_count(child_cfg, level))
        if mp + sp != pr.in_channels or mc + sc != cr.in_channels:
            raise ValueError(f"'{cname}': cannot split the input into [main | skip] ({mc}+{sc} vs {cr.in_channels})")
        if mc > mp or sc > sp:
            raise ValueError(f"block_out_channels: '{cname}' reads [{mc} | {sc}] channels, the parent [{mp} | {sp}]")
        in_idx = torch.cat([torch.arange(mc), mp + torch.arange(sc)])
        desc += f"; input [main [:{mc}] of {mp} | skip [:{sc}] of {sp}]"
        plans["norm1.weight"] = [in_idx]
        plans["norm1.bias"] = [in_idx]
        if sep:
            plans["conv1.depthwise.weight"] = [in_idx, None, None, None]
            plans["conv1.pointwise.weight"][1] = in_idx
        else:
            plans["conv1.weight"][1] = in_idx
        if cr.conv_shortcut is not None:
            plans["conv_shortcut.weight"] = [None, in_idx, None, None]
    return {k: (v, desc) for k, v in plans.items()}


def pos_count(config, level: int) -> int:
    """Number of res-blocks in up level ``level`` (``layers_per_block`` of the mirrored down level, plus one)."""
    layers = _as_list(config["layers_per_block"], len(config["block_out_channels"]))
    return list(reversed(layers))[level] + 1


def _sinusoid_index(half_p: int, half_c: int) -> torch.Tensor:
    """Nearest parent frequency for each child frequency of a ``[cos | sin]`` timestep embedding.

    The embedding of width 2h uses frequencies exp(-ln(10000) * k / h), k = 0..h-1 (diffusers ``get_timestep_embedding``
    with ``freq_shift`` 0), so child frequency k matches parent frequency k * h_p / h_c.
    """
    k = torch.round(torch.arange(half_c, dtype=torch.float64) * half_p / half_c).long().clamp(max=half_p - 1)
    return torch.cat([k, half_p + k])


def _short(idx: torch.Tensor, n: int) -> str:
    idx = idx.tolist()
    if idx == list(range(len(idx))):
        return f"[:{len(idx)}] of {n}"
    shown = ", ".join(map(str, idx[:6])) + (", ..." if len(idx) > 6 else "")
    return f"{len(idx)} of {n} ({shown})"


def _plan(parent, child, rule: str) -> list[_Plan]:
    from diffusers.models.attention import FeedForward
    from diffusers.models.attention_processor import Attention

    if rule not in PRUNING_RULES:
        raise ValueError(f"rule={rule!r}: use one of {PRUNING_RULES}")
    if type(child) is not type(parent):
        raise ValueError(f"class: the child is a {type(child).__name__}, the parent a {type(parent).__name__}")
    pcfg, ccfg = dict(parent.config), dict(child.config)
    for field in FUNCTIONAL_FIELDS:
        if field in pcfg and _plain(pcfg.get(field)) != _plain(ccfg.get(field)):
            raise ValueError(f"{field}: the child has {ccfg.get(field)!r}, the parent {pcfg.get(field)!r}; "
                             "this field changes what the weights mean, so the child is not a sub-structure")
    layer_maps = _layer_maps(parent, child, rule)
    cache: dict = {}
    parent_modules = dict(parent.named_modules())
    special: dict[str, tuple[list, str]] = {}  # child param name -> (axis indices, note)
    for cname, cmod in child.named_modules():
        if not cname:
            continue
        pname = _map_prefix(cname, parent, child, layer_maps, rule, cache)
        if pname not in parent_modules:
            raise ValueError(f"'{cname}' (parent '{pname}') does not exist in the parent: the child is not a "
                             "sub-structure (check the block types and layer counts)")
        pmod = parent_modules[pname]
        if type(pmod) is not type(cmod):
            raise ValueError(f"'{cname}' is a {type(cmod).__name__}, the parent's '{pname}' a {type(pmod).__name__}")
        if isinstance(cmod, Attention):
            found = _attention_plans(pname, cname, pmod, cmod, rule)
        elif isinstance(cmod, FeedForward):
            found = _ff_plans(pname, cname, pmod, cmod, rule)
        elif type(cmod).__name__ in ("ResnetBlock2D", "ResnetBlock2DDreamLite"):
            pos = int(pname.rsplit(".", 1)[1]) if re.search(r"\.resnets\.\d+$", pname) else 0
            found = _resnet_plans(pname, cname, pmod, cmod, rule, pcfg, ccfg, pos)
        else:
            continue
        for suffix, value in found.items():
            special[f"{cname}.{suffix}"] = value
    # the sinusoidal timestep features (width block_out_channels[0])
    if pcfg.get("time_embedding_type", "positional") == "positional":
        wp = parent.time_embedding.linear_1.weight.shape[1]
        wc = child.time_embedding.linear_1.weight.shape[1]
        if wc > wp:
            raise ValueError(f"block_out_channels[0]: the child's timestep features are {wc} wide, the parent's {wp}")
        if wc != wp:
            special["time_embedding.linear_1.weight"] = (
                [None, _sinusoid_index(wp // 2, wc // 2)], f"nearest sinusoid frequencies ({wc // 2} of {wp // 2})")

    parent_state = parent.state_dict()
    plans = []
    for cname, ctensor in child.state_dict().items():
        module, _, leaf = cname.rpartition(".")
        pname = (_map_prefix(module, parent, child, layer_maps, rule, cache) + "." + leaf) if module else leaf
        if pname not in parent_state:
            raise ValueError(f"parameter '{cname}' (parent '{pname}') does not exist in the parent")
        ptensor = parent_state[pname]
        if ctensor.ndim != ptensor.ndim:
            raise ValueError(f"parameter '{cname}' has {ctensor.ndim} axes, the parent's '{pname}' {ptensor.ndim}")
        for axis, (c, p) in enumerate(zip(ctensor.shape, ptensor.shape)):
            if c > p:
                raise ValueError(f"parameter '{cname}' axis {axis} is {c}, larger than the parent's '{pname}' ({p}): "
                                 "the child config is not a sub-structure of the parent")
        index, note = special.get(cname, ([None] * ctensor.ndim, None))
        index = list(index) + [None] * (ctensor.ndim - len(index))
        resolved, extra = [], []
        for axis, (c, p) in enumerate(zip(ctensor.shape, ptensor.shape)):
            idx = index[axis]
            if idx is None:
                idx = None if c == p else torch.arange(c)
                if idx is not None:
                    extra.append(f"axis {axis} [:{c}] of {p}")
            elif len(idx) != c:
                raise ValueError(f"parameter '{cname}' axis {axis}: the rule picked {len(idx)} indices for {c}")
            resolved.append(idx)
        if note is not None and extra:
            note = note + "; " + ", ".join(extra)
        if note is None:
            note = "; ".join("all" if i is None else f"[:{len(i)}] of {p}"
                             for i, p in zip(resolved, ptensor.shape)) if ctensor.ndim else "all"
        plans.append(_Plan(cname, pname, resolved, note))
    return plans


def _child_config(parent, child_config: dict) -> dict:
    config = {k: v for k, v in dict(child_config).items() if not k.startswith("_")}
    class_name = dict(child_config).get("_class_name")
    if class_name is not None and class_name != type(parent).__name__:
        raise ValueError(f"_class_name: the child config is for {class_name}, the parent is a "
                         f"{type(parent).__name__}; pruning keeps the class")
    unknown = sorted(set(config) - set(k for k in parent.config if not k.startswith("_")))
    if unknown:
        raise ValueError(f"{unknown}: not fields of the parent's {type(parent).__name__} config")
    return config


def prune_unet(parent, child_config: dict, rule: str = "first"):
    """Build ``type(parent)`` from ``child_config`` and copy every child tensor from a slice of the parent's.

    ``parent``: a diffusers ``DreamLiteUNetModel`` or ``UNet2DConditionModel`` (real tensors, not meta).
    ``child_config``: a full config dict (e.g. ``{**parent.config, "block_out_channels": [...]}``) or the kwargs a
    constructor takes; fields left out take the class defaults, so pass the parent's config as the base.
    ``rule``: ``"first"`` (leading layers, heads and channels) or ``"norm"`` (layers, heads, feed-forward units and
    res-block inner channels with the largest weight L2 norm; see the module docstring for the full rules).

    Returns the child model (same dtype and device as the parent, ``eval()`` mode). Raises ``ValueError`` naming the
    field or parameter when the child is not a sub-structure of the parent.
    """
    config = _child_config(parent, child_config)
    ref = next(parent.parameters())
    if ref.device.type == "meta":
        raise ValueError("parent: its tensors are on the meta device (no weights to copy); build or load it on CPU")
    child = build_unet(type(parent), config)
    plans = _plan(parent, child, rule)
    parent_state = parent.state_dict()
    new_state = {}
    with torch.no_grad():
        for plan in plans:
            t = parent_state[plan.parent_name]
            for axis, idx in enumerate(plan.index):
                if idx is not None:
                    t = t.index_select(axis, idx.to(t.device))
            new_state[plan.child_name] = t.clone()
    if ref.dtype != next(child.parameters()).dtype:
        child = child.to(dtype=ref.dtype)
    child.load_state_dict(new_state, strict=True)
    if ref.device.type != "cpu":
        child = child.to(device=ref.device)
    return child.eval()


def pruning_map(parent, child, rule: str = "first") -> list[tuple[str, str, str]]:
    """``[(child_param, parent_param, kept_index_description), ...]`` for every child tensor, in state-dict order.

    The same plan :func:`prune_unet` copies with ``rule``; use it to document where each child tensor came from.
    """
    return [(p.child_name, p.parent_name, p.note) for p in _plan(parent, child, rule)]
