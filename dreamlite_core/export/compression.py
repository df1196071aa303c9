"""Weight compression for Core ML: the variants, their ``coremltools.optimize.coreml`` configs, and the same
compression applied to PyTorch weights so that parity can be measured on Linux.

Implements: the deployment recipe of DreamLite (arXiv 2603.28713; PAPER_FACTS.md "Deployment": the authors ship the
U-Net as *uncompressed* fp16 Core ML) beside Apple's recipe for Stable Diffusion (apple/ml-stable-diffusion: 6-bit
palettization recommended, mixed-bit recipes). Introduced in ``notebooks/10_coreml_iphone.py``.

Two kinds of weight compression, as coremltools 9 implements them (``coremltools/optimize/_utils.py``,
``optimize/coreml/_quantization_passes.py``, ``models/neural_network/quantization_utils.py``):

* **Linear quantization** (``OpLinearQuantizerConfig(mode="linear_symmetric", dtype="int8",
  granularity="per_channel")``), per output channel c:

      s_c = max_i |w_ci| / 127,      q_ci = clip(round(w_ci / s_c), -127, 127),      w'_ci = s_c q_ci

* **K-means palettization** (``OpPalettizerConfig(mode="kmeans", nbits=b, granularity="per_tensor")``): one
  look-up table (LUT) of 2^b values per tensor, chosen by 1-D k-means on the tensor's (fp16) values,

      LUT = argmin_{c_1..c_K} sum_i min_k (w_i - c_k)^2,     K = 2^b,     w'_i = LUT[argmin_k |w_i - c_k|]

  coremltools solves this exactly with its bundled ``kmeans1d`` (dynamic programming over the sorted unique values,
  used for fp16 tensors of >= 10,000 elements) and with scikit-learn's ``KMeans`` (k-means++, ``random_state=0``)
  for smaller ones. :func:`kmeans_lut` here is Lloyd's algorithm on the unique values weighted by their counts,
  started from evenly spaced quantiles: deterministic, a local optimum where coremltools' 1-D solver finds the
  global one. ``tests/test_export_compression.py`` measures the gap in squared error on real tensors.

Both are applied only to tensors with more than ``weight_threshold`` (2048) elements, like coremltools' default;
smaller tensors stay fp16. :func:`compress_torch_model` returns a *decompressed* copy: the float weights the
Core ML package would compute with, in an ordinary PyTorch model.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

#: coremltools' default: tensors with at most this many elements are left uncompressed.
WEIGHT_THRESHOLD = 2048


@dataclass(frozen=True)
class Compression:
    """One weight-compression rule: ``kind`` is "fp16" (no compression), "linear" (int8 linear quantization,
    symmetric, per output channel) or "palettize" (k-means LUT of ``2**nbits`` entries per tensor)."""

    kind: str
    nbits: int = 16

    def __post_init__(self):
        if self.kind not in ("fp16", "linear", "palettize"):
            raise ValueError(f"unknown compression kind {self.kind!r}; use 'fp16', 'linear' or 'palettize'")
        if self.kind == "linear" and self.nbits != 8:
            raise ValueError(f"linear quantization here is int8; got nbits={self.nbits}")
        if self.kind == "palettize" and self.nbits not in (1, 2, 3, 4, 6, 8):
            raise ValueError(f"coremltools palettizes to 1, 2, 3, 4, 6 or 8 bits; got nbits={self.nbits}")


@dataclass(frozen=True)
class Variant:
    """A compression variant of a Core ML package: a global rule and per-op-type overrides.

    ``op_types`` maps a MIL op type ("linear", "conv") to the rule for the weights that feed it; in PyTorch terms
    "linear" is every ``nn.Linear`` (attention projections, feed-forward, time and text embeddings) and "conv" every
    ``nn.Conv2d`` (res-blocks, samplers, I/O convs).
    """

    name: str
    description: str
    default: Compression
    op_types: dict = field(default_factory=dict)

    def rule_for(self, op_type: str | None) -> Compression:
        return self.op_types.get(op_type, self.default)

    @property
    def nominal_bits(self) -> str:
        bits = sorted({self.default.nbits, *(c.nbits for c in self.op_types.values())}, reverse=True)
        return "/".join(str(b) for b in bits)


#: The variants notebook 10 builds and compares, in the order of the size table.
VARIANTS: dict[str, Variant] = {
    "fp16": Variant("fp16", "float16 weights and compute (the authors' DreamLite export)", Compression("fp16")),
    "int8": Variant("int8", "int8 linear quantization, symmetric, per output channel", Compression("linear", 8)),
    "mixed": Variant("mixed", "mixed-bit palettization: 6-bit attention/feed-forward (linear), 8-bit convs",
                     Compression("palettize", 8), {"linear": Compression("palettize", 6)}),
    "pal6": Variant("pal6", "6-bit k-means palettization per tensor (Apple's recommended minimum)",
                    Compression("palettize", 6)),
    "pal4": Variant("pal4", "4-bit k-means palettization per tensor", Compression("palettize", 4)),
}


def get_variant(name: str) -> Variant:
    if name not in VARIANTS:
        raise ValueError(f"unknown compression variant {name!r}; valid variants: {', '.join(VARIANTS)}")
    return VARIANTS[name]


# --------------------------------------------------------------------------- coremltools configs
#: Who computes the k-means LUTs: "coremltools" (its ``mode="kmeans"``: kmeans1d / scikit-learn) or "ours"
#: (:func:`kmeans_lut` passed as ``mode="custom"``; fast, and the PyTorch parity then sees exactly the package's LUTs).
KMEANS_BACKENDS = ("coremltools", "ours")


def _lut_function(nbits: int):
    def lut_function(weight: np.ndarray):
        lut, indices = kmeans_lut(weight, nbits)
        return lut.astype(weight.dtype), indices.astype(np.uint8)

    return lut_function


def _op_config(rule: Compression, kmeans: str = "coremltools"):
    import coremltools.optimize.coreml as cto

    if kmeans not in KMEANS_BACKENDS:
        raise ValueError(f"unknown k-means backend {kmeans!r}; use one of {KMEANS_BACKENDS}")
    if rule.kind == "linear":
        return cto.OpLinearQuantizerConfig(mode="linear_symmetric", dtype="int8", granularity="per_channel",
                                           weight_threshold=WEIGHT_THRESHOLD)
    if rule.kind == "palettize" and kmeans == "ours":
        return cto.OpPalettizerConfig(mode="custom", lut_function=_lut_function(rule.nbits),
                                      granularity="per_tensor", weight_threshold=WEIGHT_THRESHOLD)
    if rule.kind == "palettize":
        return cto.OpPalettizerConfig(mode="kmeans", nbits=rule.nbits, granularity="per_tensor",
                                      weight_threshold=WEIGHT_THRESHOLD)
    return None


def apply_variant_to_mlmodel(mlmodel, variant: Variant, kmeans: str = "coremltools"):
    """Compress a Core ML ``MLModel`` (mlprogram) with coremltools' post-training weight compression.

    The per-op-type rules are resolved weight by weight (``get_weights_metadata``: a weight whose consumers are all
    of one op type gets that type's rule, set by name in ``op_name_configs``); coremltools' own ``op_type_configs``
    refuses a const shared by ops of two types (diffusers' zero biases are deduplicated across layers). Rules of one
    kind go in one ``OptimizationConfig``; a variant that mixes kinds runs ``palettize_weights`` then
    ``linear_quantize_weights``. ``kmeans`` picks who computes the LUTs (``KMEANS_BACKENDS``).
    """
    import coremltools.optimize.coreml as cto

    names: dict[str, Compression] = {}
    if variant.op_types:
        for name, meta in cto.get_weights_metadata(mlmodel, weight_threshold=WEIGHT_THRESHOLD).items():
            types = {child.op_type for child in meta.child_ops}
            if len(types) == 1 and next(iter(types)) in variant.op_types:
                names[name] = variant.op_types[next(iter(types))]
    rules = [variant.default, *names.values()]
    for kind, fn in (("palettize", cto.palettize_weights), ("linear", cto.linear_quantize_weights)):
        if not any(rule.kind == kind for rule in rules):
            continue
        global_config = _op_config(variant.default, kmeans) if variant.default.kind == kind else None
        op_name_configs = {n: (_op_config(rule, kmeans) if rule.kind == kind else None) for n, rule in names.items()}
        config = cto.OptimizationConfig(global_config=global_config, op_name_configs=op_name_configs or None)
        mlmodel = fn(mlmodel, config=config)
    return mlmodel


# --------------------------------------------------------------------------- the same, on numpy / torch weights
def to_fp16(weight: np.ndarray) -> np.ndarray:
    """The fp16 value each weight is stored as in the package (round to nearest), back in float32."""
    return np.asarray(weight, dtype=np.float32).astype(np.float16).astype(np.float32)


def linear_quantize(weight: np.ndarray, nbits: int = 8, axis: int = 0) -> np.ndarray:
    """Symmetric per-channel linear quantization, decompressed (module docstring, first equation).

    ``axis`` is the output-channel axis; the scale is shared by everything else. Range [-(2^(b-1)-1), 2^(b-1)-1]
    as coremltools' ``linear_symmetric`` mode. Returns float32 values ``s_c * q``.
    """
    w = to_fp16(weight)
    qmax = 2 ** (nbits - 1) - 1
    reduce = tuple(i for i in range(w.ndim) if i != axis % max(w.ndim, 1))
    max_abs = np.max(np.abs(w), axis=reduce, keepdims=True) if reduce else np.abs(w)
    scale = (max_abs / qmax).astype(np.float16).astype(np.float32)  # the scale is stored in fp16 too
    safe = np.where(scale == 0, 1.0, scale)
    q = np.clip(np.round(w / safe), -qmax, qmax)
    return (q * scale).astype(np.float32)


def _unique_fp16(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sorted unique fp16 values as float64, inverse indices, counts) in O(n): a histogram over the 65,536 fp16 bit
    patterns instead of a sort (``np.unique`` on a 5M-element tensor is 20x slower)."""
    w16 = np.ascontiguousarray(np.asarray(values, dtype=np.float32).astype(np.float16)).ravel()
    w16 = np.where(w16 == 0, np.float16(0), w16)  # -0.0 and +0.0 are one value
    bits = w16.view(np.uint16)
    hist = np.bincount(bits, minlength=1 << 16)
    present = np.flatnonzero(hist).astype(np.uint16)
    vals = present.view(np.float16).astype(np.float64)
    order = np.argsort(vals, kind="stable")
    rank = np.empty(1 << 16, dtype=np.int64)
    rank[present[order]] = np.arange(len(order))
    return vals[order], rank[bits], hist[present[order]]


def kmeans_lut(values: np.ndarray, nbits: int, iterations: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """1-D k-means with ``K = 2**nbits`` centroids: ``(lut (K,), indices)`` with ``values ~= lut[indices]``.

    Lloyd's algorithm on the sorted unique fp16 values weighted by their counts (module docstring, second equation),
    initialised at the quantiles of the cube root of the values' density (the asymptotically optimal point density of
    a mean-squared-error quantizer, Panter & Dite 1951; plain quantiles start too dense in the middle and converge
    slowly); deterministic. A tensor with at most K distinct values is represented exactly. The LUT is returned in
    float32 after rounding to fp16, as the package stores it.
    """
    x, inverse, counts = _unique_fp16(values)
    k = 1 << nbits
    if len(x) <= k:
        lut = np.zeros(k, dtype=np.float32)
        lut[: len(x)] = x
        return lut, inverse
    weights = counts.astype(np.float64)
    edges = np.linspace(x[0], x[-1], 4097)
    density, _ = np.histogram(x, edges, weights=weights)
    cum = np.concatenate([[0.0], np.cumsum(np.cbrt(density))])
    # initial centroids: at the centres of K equal-mass bins of density^(1/3)
    centroids = np.interp((np.arange(k) + 0.5) / k, cum / cum[-1], edges)
    assign = None
    for _ in range(iterations):
        bounds = (centroids[1:] + centroids[:-1]) / 2  # sorted centroids -> nearest = searchsorted on midpoints
        new_assign = np.searchsorted(bounds, x)
        if assign is not None and np.array_equal(new_assign, assign):
            break
        assign = new_assign
        mass = np.bincount(assign, weights=weights, minlength=k)
        total = np.bincount(assign, weights=weights * x, minlength=k)
        keep = mass > 0
        centroids = np.sort(np.where(keep, total / np.where(keep, mass, 1.0), centroids))
    lut = centroids.astype(np.float16).astype(np.float32)
    bounds = (lut[1:].astype(np.float64) + lut[:-1]) / 2
    return lut, np.searchsorted(bounds, x)[inverse].astype(np.int64)


def palettize(weight: np.ndarray, nbits: int) -> np.ndarray:
    """Per-tensor k-means palettization, decompressed: every value replaced by its LUT entry (float32)."""
    lut, indices = kmeans_lut(weight, nbits)
    return lut[indices].reshape(np.shape(weight)).astype(np.float32)


def coremltools_palettize(weight: np.ndarray, nbits: int) -> np.ndarray:
    """The LUT coremltools itself computes for a fp16 tensor (its ``kmeans1d`` / scikit-learn path), decompressed.

    Used to measure how far :func:`palettize` is from the converter; not needed to build packages.
    """
    from coremltools.models.neural_network.quantization_utils import _get_kmeans_lookup_table_and_weight

    w = np.asarray(weight, dtype=np.float32).astype(np.float16)
    lut, indices = _get_kmeans_lookup_table_and_weight(nbits, w)
    lut = np.asarray(lut, dtype=np.float16).astype(np.float32).ravel()
    return lut[np.asarray(indices).ravel()].reshape(w.shape)


def compress_array(weight: np.ndarray, rule: Compression, axis: int = 0,
                   weight_threshold: int = WEIGHT_THRESHOLD, kmeans: str = "ours") -> np.ndarray:
    """Apply one rule to one tensor, decompressed; tensors of at most ``weight_threshold`` elements stay fp16."""
    if rule.kind == "fp16" or np.size(weight) <= weight_threshold:
        return to_fp16(weight)
    if rule.kind == "linear":
        return linear_quantize(weight, rule.nbits, axis=axis)
    if kmeans == "coremltools":
        return coremltools_palettize(weight, rule.nbits)
    return palettize(weight, rule.nbits)


def _op_type_of(module) -> str | None:
    import torch

    if isinstance(module, torch.nn.Linear):
        return "linear"
    if isinstance(module, (torch.nn.Conv1d, torch.nn.Conv2d)):
        return "conv"
    return None


def compress_torch_model(model, variant: Variant | str, weight_threshold: int = WEIGHT_THRESHOLD,
                         kmeans: str = "ours"):
    """A deep copy of ``model`` whose float parameters are replaced by the decompressed weights of ``variant``.

    Weight rules follow the Core ML op each parameter feeds: ``nn.Linear`` -> "linear", ``nn.Conv2d`` -> "conv",
    anything else (norm scales, embeddings) -> the variant's default rule. All weights are first rounded to fp16,
    since the package stores fp16. Compute stays in the model's dtype (see ``parity.py`` for fp16 compute).
    ``kmeans`` must name the backend the package was palettized with for the copy to hold the package's LUTs.
    """
    import torch

    variant = get_variant(variant) if isinstance(variant, str) else variant
    clone = copy.deepcopy(model)
    with torch.no_grad():
        for module in clone.modules():
            rule = variant.rule_for(_op_type_of(module))
            for name, param in module.named_parameters(recurse=False):
                if not param.dtype.is_floating_point:
                    continue
                axis = 0  # output channels: Linear (out, in), Conv (out, in, kh, kw)
                compressed = compress_array(param.detach().float().cpu().numpy(), rule, axis=axis,
                                            weight_threshold=weight_threshold, kmeans=kmeans)
                param.copy_(torch.from_numpy(compressed).to(param.dtype))
    return clone


def estimate_size_bytes(model, variant: Variant | str, weight_threshold: int = WEIGHT_THRESHOLD) -> int:
    """Weight bytes of ``variant`` from first principles, per parameter tensor (works on the meta device):

        fp16: 2 n;   int8: n + 2 x channels (fp16 scales);   b-bit LUT: ceil(n b / 8) + 2 x 2^b;

    tensors of at most ``weight_threshold`` elements count as fp16. Ignores the program text and metadata.
    """
    variant = get_variant(variant) if isinstance(variant, str) else variant
    total = 0
    for module in model.modules():
        rule = variant.rule_for(_op_type_of(module))
        for _, p in module.named_parameters(recurse=False):
            n = p.numel()
            if rule.kind == "fp16" or n <= weight_threshold:
                total += 2 * n
            elif rule.kind == "linear":
                total += n + 2 * p.shape[0]
            else:
                total += -(-n * rule.nbits // 8) + 2 * (1 << rule.nbits)
    return int(total)


def unique_values_per_tensor(model) -> dict[str, int]:
    """``{parameter name: number of distinct values}``: a palettized tensor has at most 2^bits."""
    return {name: int(np.unique(p.detach().cpu().numpy()).size) for name, p in model.named_parameters()}
