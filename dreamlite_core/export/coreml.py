"""Core ML export of DreamLite's components: U-Net, VAE decoder, VAE encoder (for edits) and the text encoder.

Implements: the authors' on-device export (arXiv 2603.28713; PAPER_FACTS.md "Deployment"): the U-Net traced and
converted with ``coremltools.convert`` to an ML program, fp16 compute precision, iOS16 target, a flexible text
length (10..512, default 77 at paper scale), and the inputs

    sample (1, C, H/8, 2W/8)      # [noisy target | condition] side by side (in-context concatenation)
    timestep (1,)
    encoder_hidden_states (1, L, D)
    encoder_attention_mask (1, L)
    time_ids (1, 2)               # [width, height]

with the output ``noise_pred`` (the flow-matching velocity). Introduced in ``notebooks/10_coreml_iphone.py``.

Like apple/ml-stable-diffusion's ``torch2coreml.py``, every export is idempotent and frees memory between
components: a package is named by a hash of (component, config, weights, shapes, variant, coremltools version) and
an existing package with that name is returned without converting again. Packages are written to a temporary folder
and renamed into place, so an interrupted export leaves nothing half-written.

Tracing diffusers' attention: ``DreamLiteAttnProcessor2_0`` repeats the single key/value head with
``torch.repeat_interleave``, which coremltools 9 cannot convert when the text length is flexible (its ``tile`` gets
float repeats), and expands the attention mask per head the same way. :class:`CoreMLAttnProcessor` computes the same
multi-query attention with ``expand`` + broadcasting instead; ``tests/test_export.py`` checks that it matches the
diffusers processor exactly.

Prediction (``MLModel.predict``) needs macOS; on Linux :func:`predict` raises a clear error and parity is measured
on PyTorch weights instead (``dreamlite_core.export.parity``).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import json
import logging
import os
import platform
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from .compression import Variant, apply_variant_to_mlmodel, get_variant

logger = logging.getLogger(__name__)

#: Deterministic input and output names per component (the U-Net's follow diffusers' argument names).
UNET_INPUTS = ("sample", "timestep", "encoder_hidden_states", "encoder_attention_mask", "time_ids")
OUTPUT_NAMES = {"unet": ("noise_pred",), "vae_decoder": ("image",), "vae_encoder": ("latent",),
                "text_encoder": ("last_hidden_state",)}


class CoreMLUnavailable(RuntimeError):
    """coremltools is missing or cannot convert here; the message names the fix."""


class PredictionUnavailable(RuntimeError):
    """Core ML prediction was asked for on a host that cannot run it (anything but macOS)."""


def require_coremltools():
    """Import coremltools, or raise :class:`CoreMLUnavailable` saying what to install.

    coremltools 9.0 with numpy >= 2.4 fails inside ``ct.convert`` ("only 0-dimensional arrays can be converted to
    Python scalars", apple/coremltools#2633): refuse early with the fix rather than fail mid-conversion.
    """
    try:
        import coremltools as ct
    except ImportError as err:
        raise CoreMLUnavailable(f"coremltools cannot be imported ({err}); fix: pip install coremltools==9.0 "
                                f"(pinned in pyproject.toml)") from err
    major, minor = (int(x) for x in np.__version__.split(".")[:2])
    if (major, minor) >= (2, 4):
        raise CoreMLUnavailable(f"numpy {np.__version__} breaks coremltools' converter (apple/coremltools#2633); "
                                f"fix: pip install 'numpy<2.4' (the project pins numpy==2.3.5)")
    return ct


def can_predict() -> tuple[bool, str]:
    """Whether ``MLModel.predict`` can run here, with the reason when not."""
    if platform.system() != "Darwin":
        return False, (f"Core ML prediction needs macOS (this host is {platform.system()}); coremltools converts and "
                       f"saves packages anywhere, but MLModel.predict raises 'Model prediction is only supported on "
                       f"macOS'. Run this on a Mac, or use the PyTorch parity of dreamlite_core.export.parity")
    return True, "macOS: Core ML prediction available"


# --------------------------------------------------------------------------- attention that traces
class CoreMLAttnProcessor:
    """Multi-/grouped-query attention for tracing: the same computation as diffusers' ``DreamLiteAttnProcessor2_0``,

        Attention(Q, K, V) = softmax(Q K^T / sqrt(d) + M) V,    K, V shared by ``heads / kv_heads`` query heads,

    with the key/value heads broadcast by ``expand`` (not ``repeat_interleave``) and the additive text mask
    M (B, 1, L) broadcast over heads and queries, so that coremltools converts it with a flexible length L.
    """

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, temb=None):
        import torch.nn.functional as F

        residual = hidden_states
        if attn.spatial_norm is not None:
            hidden_states = attn.spatial_norm(hidden_states, temb)
        input_ndim = hidden_states.ndim
        if input_ndim == 4:
            batch, channel, height, width = hidden_states.shape
            hidden_states = hidden_states.view(batch, channel, height * width).transpose(1, 2)
        batch_size = hidden_states.shape[0]
        if attn.group_norm is not None:
            hidden_states = attn.group_norm(hidden_states.transpose(1, 2)).transpose(1, 2)
        query = attn.to_q(hidden_states)
        if encoder_hidden_states is None:
            encoder_hidden_states = hidden_states
        elif attn.norm_cross:
            encoder_hidden_states = attn.norm_encoder_hidden_states(encoder_hidden_states)
        key = attn.to_k(encoder_hidden_states)
        value = attn.to_v(encoder_hidden_states)

        heads = attn.heads
        head_dim = query.shape[-1] // heads
        kv_heads = key.shape[-1] // head_dim
        query = query.view(batch_size, -1, heads, head_dim)
        key = key.view(batch_size, -1, kv_heads, head_dim)
        value = value.view(batch_size, -1, kv_heads, head_dim)
        if attn.norm_q is not None:
            query = attn.norm_q(query)
        if attn.norm_k is not None:
            key = attn.norm_k(key)
        query, key, value = query.transpose(1, 2), key.transpose(1, 2), value.transpose(1, 2)  # (B, heads, S, d)
        if kv_heads != heads:  # each key/value head serves heads // kv_heads consecutive query heads
            group = heads // kv_heads
            length = key.shape[2]
            key = key[:, :, None].expand(batch_size, kv_heads, group, length, head_dim)
            key = key.reshape(batch_size, heads, length, head_dim)
            value = value[:, :, None].expand(batch_size, kv_heads, group, length, head_dim)
            value = value.reshape(batch_size, heads, length, head_dim)
        if attention_mask is not None:  # (B, 1, L) additive bias -> (B, 1, 1, L), broadcast over heads and queries
            attention_mask = attention_mask.view(batch_size, 1, -1, attention_mask.shape[-1])
        out = F.scaled_dot_product_attention(query, key, value, attn_mask=attention_mask)
        out = out.transpose(1, 2).reshape(batch_size, -1, heads * head_dim).to(query.dtype)
        out = attn.to_out[1](attn.to_out[0](out))
        if input_ndim == 4:
            out = out.transpose(-1, -2).reshape(batch, channel, height, width)
        if attn.residual_connection:
            out = out + residual
        return out / attn.rescale_output_factor


# --------------------------------------------------------------------------- wrappers with a fixed argument order
class UNetForCoreML(torch.nn.Module):
    """``DreamLiteUNetModel`` with positional arguments in the authors' order, returning the velocity tensor.

    ``forward(sample, timestep, encoder_hidden_states, encoder_attention_mask, time_ids) -> noise_pred``.
    The attention processors are switched to :class:`CoreMLAttnProcessor` (same math, traceable).
    """

    def __init__(self, unet):
        super().__init__()
        unet.set_attn_processor(CoreMLAttnProcessor())
        self.unet = unet.eval()

    def forward(self, sample, timestep, encoder_hidden_states, encoder_attention_mask, time_ids):
        return self.unet(sample, timestep, encoder_hidden_states=encoder_hidden_states,
                         encoder_attention_mask=encoder_attention_mask, added_cond_kwargs={"time_ids": time_ids},
                         return_dict=False)[0]


class VAEDecoderForCoreML(torch.nn.Module):
    """``AutoencoderTiny`` decoder on *scaled* latents (what the sampler produces) -> image in [0, 1].

    image = (D(z / scaling_factor + shift_factor) + 1) / 2, clamped to [0, 1].
    """

    def __init__(self, vae):
        super().__init__()
        self.decoder = vae.decoder.eval()
        self.scaling_factor = float(vae.config.scaling_factor)
        self.shift_factor = float(getattr(vae.config, "shift_factor", 0.0) or 0.0)

    def forward(self, z):
        image = self.decoder(z / self.scaling_factor + self.shift_factor)
        return ((image + 1) / 2).clamp(0, 1)


class VAEEncoderForCoreML(torch.nn.Module):
    """``AutoencoderTiny`` encoder for edits: image in [0, 1] -> scaled latent ``(E(2x-1) - shift) * scale``."""

    def __init__(self, vae):
        super().__init__()
        self.encoder = vae.encoder.eval()
        self.scaling_factor = float(vae.config.scaling_factor)
        self.shift_factor = float(getattr(vae.config, "shift_factor", 0.0) or 0.0)

    def forward(self, image):
        latent = self.encoder(image * 2 - 1)
        return (latent - self.shift_factor) * self.scaling_factor


class TextEncoderForCoreML(torch.nn.Module):
    """A transformers encoder (MiniLM here, Qwen3-VL in the paper): ``(input_ids, attention_mask) ->
    last_hidden_state`` with padded positions zeroed, as the pipeline feeds the U-Net."""

    def __init__(self, model):
        super().__init__()
        self.model = model.eval()

    def forward(self, input_ids, attention_mask):
        # transformers 5 builds its padding mask with ops coremltools cannot convert (``new_ones`` in
        # ``masking_utils``); the encoder takes the additive (B, 1, 1, L) mask directly, which is the same computation
        mask = attention_mask.to(torch.float32)
        additive = ((1.0 - mask) * torch.finfo(torch.float16).min)[:, None, None, :]
        states = self.model.encoder(self.model.embeddings(input_ids=input_ids), attention_mask=additive)[0]
        return states * mask[..., None]


# --------------------------------------------------------------------------- signature, hashing, results
@dataclass(frozen=True)
class UNetSignature:
    """The U-Net's Core ML inputs: latent channels, latent height, in-context width (= 2 x latent width), text
    width and the flexible text-length range (``ct.RangeDim(min_length, max_length, default_length)``)."""

    latent_channels: int
    latent_height: int
    latent_width: int  #: the in-context width: [target | condition] = 2 x the latent's own width
    text_dim: int
    min_length: int = 10
    max_length: int = 512
    default_length: int = 77

    @classmethod
    def for_unet(cls, unet, latent_size: int | None = None, **lengths) -> "UNetSignature":
        """The signature of a ``DreamLiteUNetModel``: square latents of ``latent_size`` (default: its sample_size),
        doubled in width for the in-context input."""
        cfg = unet.config
        size = int(latent_size or (cfg.sample_size if isinstance(cfg.sample_size, int) else cfg.sample_size[0]))
        return cls(latent_channels=cfg.in_channels, latent_height=size, latent_width=2 * size,
                   text_dim=int(cfg.encoder_hid_dim or cfg.cross_attention_dim), **lengths)

    @property
    def sample_shape(self) -> tuple[int, int, int, int]:
        return (1, self.latent_channels, self.latent_height, self.latent_width)


def example_unet_inputs(signature: UNetSignature, length: int | None = None, seed: int = 0,
                        timestep: float = 500.0, pixels_per_latent: int = 8):
    """Deterministic example inputs in the authors' order (a CPU generator seeded by ``seed``)."""
    g = torch.Generator().manual_seed(seed)
    length = int(length or signature.default_length)
    sample = torch.randn(signature.sample_shape, generator=g)
    states = torch.randn(1, length, signature.text_dim, generator=g)
    mask = torch.ones(1, length)
    mask[:, max(1, (3 * length) // 4):] = 0  # a padded tail, as real prompts have
    side = signature.latent_height * pixels_per_latent
    time_ids = torch.tensor([[float(side), float(side)]])  # [width, height] of the generated image
    return sample, torch.tensor([float(timestep)]), states, mask, time_ids


def weights_digest(module) -> str:
    """sha256 over every tensor of ``module.state_dict()`` (name, dtype, shape, bytes), in name order."""
    h = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        t = tensor.detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def export_key(component: str, config: dict, digest: str, signature: dict, variant: str = "fp16") -> str:
    """The 16-hex-digit name of a package: hash of everything that changes its bytes."""
    import coremltools as ct

    config = {k: v for k, v in config.items() if not k.startswith("_")}  # diffusers' "_use_default_values" is a set
    blob = json.dumps({"component": component, "config": config, "weights": digest, "signature": signature,
                       "variant": variant, "coremltools": ct.__version__, "target": "iOS16",
                       "precision": "fp16"}, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


@dataclass
class ExportResult:
    """One Core ML package on disk and how it was made."""

    component: str
    variant: str
    path: Path
    key: str
    skipped: bool  #: True when the package already existed (idempotent no-op)
    seconds: float
    size_bytes: int = 0
    inputs: dict = field(default_factory=dict)
    outputs: tuple = ()

    def to_dict(self) -> dict:
        d = asdict(self)
        d["path"] = str(self.path)
        return d


def package_size_bytes(path: str | os.PathLike) -> int:
    """Bytes on disk of an ``.mlpackage`` folder (sum of its files' sizes)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no Core ML package at {path}")
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _atomic_save(mlmodel, final: Path) -> None:
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir = Path(tempfile.mkdtemp(prefix=f".{final.stem}-", dir=final.parent))
    try:
        tmp = tmp_dir / final.name
        mlmodel.save(str(tmp))
        if final.exists():
            shutil.rmtree(final)
        tmp.rename(final)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


def _metadata(mlmodel, component: str, key: str, variant: str, description: str) -> None:
    mlmodel.short_description = description
    mlmodel.author = "dreamlite-companion (dreamlite_core.export)"
    mlmodel.user_defined_metadata["dreamlite.component"] = component
    mlmodel.user_defined_metadata["dreamlite.key"] = key
    mlmodel.user_defined_metadata["dreamlite.variant"] = variant


def _convert(traced, inputs, outputs, precision_fp16: bool = True):
    ct = require_coremltools()
    try:
        return ct.convert(traced, inputs=inputs, outputs=[ct.TensorType(name=n) for n in outputs],
                          convert_to="mlprogram", minimum_deployment_target=ct.target.iOS16,
                          compute_precision=ct.precision.FLOAT16 if precision_fp16 else ct.precision.FLOAT32,
                          compute_units=ct.ComputeUnit.ALL, skip_model_load=True)
    except Exception as err:  # noqa: BLE001 - add the known fixes to any converter failure
        raise CoreMLUnavailable(
            f"coremltools {ct.__version__} could not convert this model ({type(err).__name__}: {err}). Known fixes: "
            f"numpy<2.4 (apple/coremltools#2633); the pinned torch/coremltools versions of pyproject.toml") from err


def _trace(module, example):
    with torch.no_grad():
        return torch.jit.trace(module, example, check_trace=False, strict=False)


def _fp32(name, shape):
    ct = require_coremltools()
    return ct.TensorType(name=name, shape=shape, dtype=np.float32)


# --------------------------------------------------------------------------- one function per component
def export_unet(unet, out_dir: str | os.PathLike, signature: UNetSignature | None = None,
                variant: str = "fp16", name: str = "unet", kmeans: str = "ours", fast: bool = False) -> ExportResult:
    """Export a ``DreamLiteUNetModel`` to ``<out_dir>/<name>-<key>-<variant>.mlpackage`` (idempotent).

    The fp16 package is converted from a trace of :class:`UNetForCoreML` with the authors' five inputs (fp32 I/O,
    fp16 compute); another ``variant`` is made by compressing the fp16 package (see :func:`compress_package`). The
    model is left untouched apart from its attention processors (switched to :class:`CoreMLAttnProcessor`, which
    computes the same outputs).
    """
    ct = require_coremltools()
    signature = signature or UNetSignature.for_unet(unet)
    config = dict(unet.config)
    key = export_key(name, config, weights_digest(unet), asdict(signature))
    out_dir = Path(out_dir)
    final = out_dir / f"{name}-{key}-fp16.mlpackage"
    start = time.perf_counter()
    length = ct.RangeDim(signature.min_length, signature.max_length, default=signature.default_length)
    input_shapes = {"sample": signature.sample_shape, "timestep": (1,),
                    "encoder_hidden_states": (1, f"L[{signature.min_length}..{signature.max_length}]",
                                              signature.text_dim),
                    "encoder_attention_mask": (1, "L"), "time_ids": (1, 2)}
    if not final.exists():
        wrapper = UNetForCoreML(unet).eval()
        logger.info("tracing %s (sample %s)", name, signature.sample_shape)
        traced = _trace(wrapper, example_unet_inputs(signature))
        logger.info("traced in %.1f s; converting", time.perf_counter() - start)
        inputs = [_fp32("sample", signature.sample_shape), _fp32("timestep", (1,)),
                  _fp32("encoder_hidden_states", (1, length, signature.text_dim)),
                  _fp32("encoder_attention_mask", (1, length)), _fp32("time_ids", (1, 2))]
        mlmodel = _convert(traced, inputs, OUTPUT_NAMES["unet"])
        logger.info("converted at %.1f s; saving", time.perf_counter() - start)
        del traced, wrapper
        gc.collect()
        _metadata(mlmodel, name, key, "fp16", "DreamLite U-Net: velocity for [noisy target | condition] latents")
        _atomic_save(mlmodel, final)
        logger.info("saved %s at %.1f s", final.name, time.perf_counter() - start)
        del mlmodel
        gc.collect()
        skipped = False
    else:
        skipped = True
    fp16 = ExportResult(name, "fp16", final, key, skipped, time.perf_counter() - start, package_size_bytes(final),
                        input_shapes, OUTPUT_NAMES["unet"])
    return fp16 if variant == "fp16" else compress_package(fp16, variant, kmeans=kmeans, fast=fast)


def export_vae_decoder(vae, out_dir: str | os.PathLike, latent_size: int, name: str = "vae_decoder") -> ExportResult:
    """Export an ``AutoencoderTiny`` decoder: input ``z`` (1, C, h, w) scaled latents -> ``image`` (1, 3, H, W) in
    [0, 1]. Only the left (target) half of the U-Net's output is decoded, so ``w = h = latent_size``."""
    channels = int(vae.config.latent_channels)
    shape = (1, channels, latent_size, latent_size)
    return _export_simple(VAEDecoderForCoreML(vae), vae, name, {"z": shape}, (torch.zeros(shape),),
                          "DreamLite VAE decoder: scaled latents -> RGB in [0, 1]", out_dir)


def export_vae_encoder(vae, out_dir: str | os.PathLike, image_size: int, name: str = "vae_encoder") -> ExportResult:
    """Export an ``AutoencoderTiny`` encoder for edits: input ``image`` (1, 3, H, W) in [0, 1] -> ``latent``
    (scaled), the condition half of the in-context input."""
    shape = (1, 3, image_size, image_size)
    return _export_simple(VAEEncoderForCoreML(vae), vae, name, {"image": shape}, (torch.rand(shape),),
                          "DreamLite VAE encoder (edits): RGB in [0, 1] -> scaled latents", out_dir)


def _export_simple(wrapper, model, name, shapes, example, description, out_dir) -> ExportResult:
    key = export_key(name, dict(model.config), weights_digest(wrapper), {k: list(v) for k, v in shapes.items()})
    final = Path(out_dir) / f"{name}-{key}-fp16.mlpackage"
    start = time.perf_counter()
    skipped = final.exists()
    if not skipped:
        traced = _trace(wrapper, example)
        mlmodel = _convert(traced, [_fp32(k, v) for k, v in shapes.items()], OUTPUT_NAMES[name])
        del traced
        gc.collect()
        _metadata(mlmodel, name, key, "fp16", description)
        _atomic_save(mlmodel, final)
        del mlmodel
        gc.collect()
    return ExportResult(name, "fp16", final, key, skipped, time.perf_counter() - start, package_size_bytes(final),
                        shapes, OUTPUT_NAMES[name])


def export_text_encoder(model, out_dir: str | os.PathLike, max_length: int = 64, min_length: int = 1,
                        default_length: int = 16, name: str = "text_encoder") -> ExportResult:
    """Export a transformers text encoder (the nano MiniLM): ``input_ids``, ``attention_mask`` (1, L) int32 with
    a flexible L -> ``last_hidden_state`` (1, L, D), padded positions zeroed.

    The paper's text encoder (Qwen3-VL-2B) is *not* a Core ML model: the authors run it 4-bit in MLX. An app may
    also skip the text encoder entirely and ship precomputed ``encoder_hidden_states`` for fixed prompts (the
    Snapdragon recipe).
    """
    ct = require_coremltools()
    wrapper = TextEncoderForCoreML(model)
    shapes = {"input_ids": [1, f"L[{min_length}..{max_length}]"], "attention_mask": [1, "L"]}
    key = export_key(name, model.config.to_dict() if hasattr(model.config, "to_dict") else dict(model.config),
                     weights_digest(wrapper), shapes)
    final = Path(out_dir) / f"{name}-{key}-fp16.mlpackage"
    start = time.perf_counter()
    skipped = final.exists()
    if not skipped:
        ids = torch.ones(1, default_length, dtype=torch.int32)
        mask = torch.ones(1, default_length, dtype=torch.int32)
        traced = _trace(wrapper, (ids, mask))
        length = ct.RangeDim(min_length, max_length, default=default_length)
        inputs = [ct.TensorType(name="input_ids", shape=(1, length), dtype=np.int32),
                  ct.TensorType(name="attention_mask", shape=(1, length), dtype=np.int32)]
        mlmodel = _convert(traced, inputs, OUTPUT_NAMES[name])
        del traced
        gc.collect()
        _metadata(mlmodel, name, key, "fp16", "Text encoder: token ids -> last hidden states")
        _atomic_save(mlmodel, final)
        del mlmodel
        gc.collect()
    return ExportResult(name, "fp16", final, key, skipped, time.perf_counter() - start, package_size_bytes(final),
                        shapes, OUTPUT_NAMES[name])


@contextlib.contextmanager
def _skip_default_pipeline(enabled: bool):
    """While active, coremltools' weight compression converts the compressed program back *without* re-running its
    92-pass default optimisation pipeline (already run once by ``ct.convert``). 5x faster on the nano U-Net; the
    package differs from the public path by constant deduplication only (0.6% of the int8 nano package's bytes,
    same op counts). Falls back to the public path when coremltools' internals moved."""
    if not enabled:
        yield
        return
    try:
        import coremltools.models.utils as mu
        from coremltools.converters.mil.mil.passes.pass_pipeline import PassPipeline

        original = mu._mil_convert
    except (ImportError, AttributeError):
        yield
        return
    mu._mil_convert = functools.partial(original, pass_pipeline=PassPipeline.EMPTY)
    try:
        yield
    finally:
        mu._mil_convert = original


def compress_package(source: ExportResult, variant: str | Variant, kmeans: str = "ours",
                     fast: bool = False) -> ExportResult:
    """Compress an fp16 package with ``variant`` into ``<name>-<key>-<variant>.mlpackage`` beside it (idempotent).

    Uses ``coremltools.optimize.coreml`` (``palettize_weights`` / ``linear_quantize_weights``) on the saved
    package, loaded without compiling (``skip_model_load=True``), so it works on Linux. ``kmeans``: who computes
    the palettization LUTs (``compression.KMEANS_BACKENDS``); it is part of the package's name. ``fast`` skips
    coremltools' second run of its default pass pipeline (see :func:`_skip_default_pipeline`).
    """
    ct = require_coremltools()
    variant = get_variant(variant) if isinstance(variant, str) else variant
    if variant.name == "fp16":
        return source
    plain = variant.default.kind != "palettize" and not variant.op_types
    suffix = variant.name if plain else f"{variant.name}-{kmeans}"
    suffix += "-fast" if fast else ""
    final = source.path.with_name(f"{source.component}-{source.key}-{suffix}.mlpackage")
    start = time.perf_counter()
    skipped = final.exists()
    if not skipped:
        logger.info("compressing %s -> %s", source.path.name, final.name)
        mlmodel = ct.models.MLModel(str(source.path), skip_model_load=True)
        with _skip_default_pipeline(fast):
            compressed = apply_variant_to_mlmodel(mlmodel, variant, kmeans=kmeans)
        compressed.user_defined_metadata["dreamlite.variant"] = variant.name
        _atomic_save(compressed, final)
        logger.info("saved %s in %.1f s", final.name, time.perf_counter() - start)
        del mlmodel, compressed
        gc.collect()
    return ExportResult(source.component, variant.name, final, source.key, skipped, time.perf_counter() - start,
                        package_size_bytes(final), source.inputs, source.outputs)


# --------------------------------------------------------------------------- reading packages back
def _program(path):
    ct = require_coremltools()
    spec = ct.models.MLModel(str(path), skip_model_load=True).get_spec()
    if not spec.HasField("mlProgram"):
        raise ValueError(f"{path} is not an ML program package (spec type {spec.WhichOneof('Type')})")
    return spec


def count_ops(path: str | os.PathLike) -> Counter:
    """Ops by type in the saved package's ML program (all functions and nested blocks), e.g. ``{"conv": 44, ...}``."""
    spec = _program(path)
    counts: Counter = Counter()

    def walk(block):
        for op in block.operations:
            counts[op.type] += 1
            for inner in op.blocks:
                walk(inner)

    for function in spec.mlProgram.functions.values():
        for block in function.block_specializations.values():
            walk(block)
    return counts


def read_signature(path: str | os.PathLike) -> dict:
    """``{"inputs": {name: {"shape", "range"}}, "outputs": [names], "metadata": {...}}`` from the saved package."""
    spec = _program(path)
    inputs = {}
    for inp in spec.description.input:
        arr = inp.type.multiArrayType
        ranges = [(r.lowerBound, r.upperBound) for r in arr.shapeRange.sizeRanges]
        inputs[inp.name] = {"shape": list(arr.shape), "range": ranges}
    return {"inputs": inputs, "outputs": [o.name for o in spec.description.output],
            "metadata": dict(spec.description.metadata.userDefined)}


def predict(path: str | os.PathLike, inputs: dict, compute_units: str = "ALL") -> dict:
    """Run a package with Core ML (macOS only); raises :class:`PredictionUnavailable` elsewhere."""
    ok, reason = can_predict()
    if not ok:
        raise PredictionUnavailable(reason)
    ct = require_coremltools()
    model = ct.models.MLModel(str(path), compute_units=ct.ComputeUnit[compute_units])
    return model.predict({k: np.asarray(v, dtype=np.float32) for k, v in inputs.items()})
