"""An iPhone latency model for one 1024x1024 DreamLite generation: a (low, high) range from MACs and memory traffic.

Implements: a back-of-the-envelope check of the paper's deployment claim (DreamLite arXiv 2603.28713, "Deployment":
about 3 s on iPhone 17 Pro for a 1024x1024 generation or edit: 4 U-Net calls on the in-context 1x4x128x256 input,
fp16 Core ML, plus the TAESDXL decoder; the Qwen3-VL text encoder runs 4-bit via MLX). Introduced in
``notebooks/01_sdxl_to_dreamlite.py``; called again by ``notebooks/10_coreml_iphone.py``.

The model (a roofline, per network call)::

    t_compute = 2 * MACs / (peak_fp16_flops * utilisation)
    t_memory  = bytes_moved / (memory_bandwidth * bandwidth_utilisation)
    low  = max(t_compute, t_memory)   at the optimistic end of both utilisations, best compute unit,
                                      bytes = fp16 weights + every activation written once
    high = t_compute + t_memory       at the pessimistic end, slowest compute unit (no overlap),
                                      bytes = fp16 weights + every activation written and read back,
                                      plus unfused attention score matrices

    generation = steps x U-Net call + one decoder call      (the text encoder is reported separately)

Every device number lives in :class:`DeviceAssumptions` with its source or the word "assumption". Nothing here is
measured on an iPhone; the range is only as good as these assumptions, and the notebook says so.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import NamedTuple

__all__ = ["DeviceAssumptions", "A19_PRO", "LatencyRange", "NetworkCost", "iphone_latency", "latency_breakdown",
           "text_encoder_latency", "dreamlite_network_costs", "taesdxl_decoder_cost", "unet_network_cost"]


@dataclass(frozen=True)
class DeviceAssumptions:
    """Throughput and bandwidth of one phone, each with where it comes from.

    ``compute_tflops`` maps a compute unit to its peak dense fp16 throughput in TFLOP/s (1 MAC = 2 FLOP).
    ``utilisation`` and ``bandwidth_utilisation`` are (pessimistic, optimistic) fractions of peak that a real network
    sustains.
    """

    name: str = "iPhone 17 Pro (A19 Pro)"
    compute_tflops: tuple[tuple[str, float], ...] = (
        # assumption: 6-core GPU, 768 FP32 ALUs (spec leak reported by the press) x 2 FLOP x ~1.45 GHz ~ 2.2 TFLOP/s,
        # times 3 for the per-core "Neural Accelerators" (Apple's "up to 3x peak GPU compute" vs A18 Pro, Sept 2025).
        ("gpu", 6.6),
        # assumption: Apple quotes 35 TOPS for the 16-core Neural Engine of A17 Pro / A18 Pro (int8); fp16 at half
        # that; Apple published no figure for A19 Pro's Neural Engine.
        ("neural_engine", 17.5),
    )
    # LPDDR5X-9600 on a 64-bit bus = 75.8 GB/s (spec leak reported by the press; Apple does not publish it).
    memory_bandwidth_gbs: float = 75.8
    # assumption: convolution/attention networks sustain 25-60% of peak compute on mobile accelerators.
    utilisation: tuple[float, float] = (0.25, 0.60)
    # assumption: 50-80% of peak DRAM bandwidth is reachable.
    bandwidth_utilisation: tuple[float, float] = (0.50, 0.80)
    sources: str = ("GPU ALU count and LPDDR5X-9600 bandwidth: press reports of a spec leak (Sept 2025); "
                    "'up to 3x peak GPU compute': Apple's iPhone 17 event as reported by the press; "
                    "35 TOPS Neural Engine: Apple A17 Pro announcement (2023); utilisations: assumption")

    def as_dict(self) -> dict:
        return asdict(self)


#: The default device: iPhone 17 Pro, the paper's phone.
A19_PRO = DeviceAssumptions()


class LatencyRange(NamedTuple):
    """Seconds; unpacks as ``low, high = iphone_latency(...)``."""

    low: float
    high: float


@dataclass(frozen=True)
class NetworkCost:
    """What one call of a network costs: MACs, fp16 weight bytes, activation bytes written once, attention scores."""

    name: str
    macs: int
    weight_bytes: int
    activation_bytes: int
    attention_score_bytes: int = 0


def _peaks(device: DeviceAssumptions, compute_unit: str | None) -> dict[str, float]:
    peaks = dict(device.compute_tflops)
    if compute_unit is None:
        return peaks
    if compute_unit not in peaks:
        raise ValueError(f"compute_unit={compute_unit!r}: {device.name} has {sorted(peaks)}")
    return {compute_unit: peaks[compute_unit]}


def _call_seconds(cost: NetworkCost, device: DeviceAssumptions, compute_unit: str | None = None) -> LatencyRange:
    peaks = _peaks(device, compute_unit)
    u_lo, u_hi = device.utilisation
    b_lo, b_hi = device.bandwidth_utilisation
    bw = device.memory_bandwidth_gbs * 1e9
    flops = 2 * cost.macs
    best, worst = max(peaks.values()) * 1e12, min(peaks.values()) * 1e12
    bytes_low = cost.weight_bytes + cost.activation_bytes
    bytes_high = cost.weight_bytes + 2 * cost.activation_bytes + 2 * cost.attention_score_bytes
    low = max(flops / (best * u_hi), bytes_low / (bw * b_hi))
    high = flops / (worst * u_lo) + bytes_high / (bw * b_lo)
    return LatencyRange(low, high)


def iphone_latency(unet: NetworkCost, decoder: NetworkCost, steps: int = 4,
                   device: DeviceAssumptions = A19_PRO, compute_unit: str | None = None) -> LatencyRange:
    """(low, high) seconds for one generation: ``steps`` U-Net calls + one decoder call (text encoder excluded).

    ``unet`` and ``decoder`` describe one call each (see :func:`dreamlite_network_costs` for DreamLite's, or build a
    :class:`NetworkCost` from your own model's MACs and bytes, e.g. with ``dreamlite_core.arch.accounting``).
    Equation (per call): low = max(2 MACs / (peak x u_hi), bytes / (bw x b_hi)); high = 2 MACs / (peak x u_lo) +
    bytes / (bw x b_lo); see the module docstring. ``compute_unit`` (``"gpu"`` or ``"neural_engine"``) pins both
    ends to one unit; ``None`` spans all of the device's units (Core ML's "all compute units").
    """
    if steps < 1:
        raise ValueError(f"steps={steps}: a generation needs at least one U-Net call")
    u = _call_seconds(unet, device, compute_unit)
    d = _call_seconds(decoder, device, compute_unit)
    return LatencyRange(steps * u.low + d.low, steps * u.high + d.high)


def latency_breakdown(unet: NetworkCost, decoder: NetworkCost, steps: int = 4,
                      device: DeviceAssumptions = A19_PRO, compute_unit: str | None = None) -> list[dict]:
    """One row per part (U-Net call, all U-Net calls, decoder, total) with low/high seconds, for a table."""
    u, d = _call_seconds(unet, device, compute_unit), _call_seconds(decoder, device, compute_unit)
    total = iphone_latency(unet, decoder, steps, device, compute_unit)
    return [
        {"part": f"U-Net, one call ({unet.name})", "gmacs": unet.macs / 1e9, "low_s": u.low, "high_s": u.high},
        {"part": f"U-Net, {steps} calls", "gmacs": steps * unet.macs / 1e9, "low_s": steps * u.low,
         "high_s": steps * u.high},
        {"part": f"decoder ({decoder.name})", "gmacs": decoder.macs / 1e9, "low_s": d.low, "high_s": d.high},
        {"part": "generation (without text encoder)", "gmacs": (steps * unet.macs + decoder.macs) / 1e9,
         "low_s": total.low, "high_s": total.high},
    ]


def text_encoder_latency(params: int, tokens: int = 77, bits: int = 4,
                         device: DeviceAssumptions = A19_PRO) -> LatencyRange:
    """(low, high) seconds for one prefill of a decoder-only text encoder (Qwen3-VL-2B at 4 bits in the paper).

    MACs = params x tokens; bytes = params x bits / 8 (weights read once). Same roofline as the U-Net, on the GPU.
    """
    cost = NetworkCost("text encoder", macs=params * tokens, weight_bytes=params * bits // 8, activation_bytes=0)
    gpu_only = DeviceAssumptions(**{**device.as_dict(), "compute_tflops": tuple(
        (k, v) for k, v in device.compute_tflops if k == "gpu") or device.compute_tflops})
    return _call_seconds(cost, gpu_only)


def taesdxl_decoder_cost(latent_hw: tuple[int, int] = (128, 128)) -> NetworkCost:
    """TAESDXL's decoder (diffusers ``AutoencoderTiny``, default config) measured on the meta device."""
    import torch
    from diffusers import AutoencoderTiny
    from torch.utils.flop_counter import FlopCounterMode

    with torch.device("meta"):
        vae = AutoencoderTiny()
    params = sum(p.numel() for p in vae.decoder.parameters())
    latents = torch.empty(1, vae.config.latent_channels, *latent_hw, device="meta")
    outputs = {"bytes": 0}

    def hook(module, args, output):
        if isinstance(output, torch.Tensor):
            outputs["bytes"] += output.numel() * 2

    handles = [m.register_forward_hook(hook) for m in vae.decoder.modules() if not list(m.children())]
    counter = FlopCounterMode(display=False)
    try:
        with counter, torch.no_grad():
            vae.decoder(latents)
    finally:
        for h in handles:
            h.remove()
    return NetworkCost("TAESDXL decoder", macs=counter.get_total_flops() // 2, weight_bytes=2 * params,
                       activation_bytes=outputs["bytes"])


def unet_network_cost(unet, latent_hw: tuple[int, int] = (128, 256), text_len: int = 77,
                      name: str | None = None) -> NetworkCost:
    """The :class:`NetworkCost` of one call of any diffusers U-Net (``DreamLiteUNetModel`` or
    ``UNet2DConditionModel``, real or on meta) at a ``latent_hw`` input: MACs, fp16 weights and activations,
    measured on a meta copy of its config. Use it for your own (e.g. nano) U-Net before :func:`iphone_latency`."""
    from .accounting import unet_cost

    cost = unet_cost(name or type(unet).__name__, type(unet).__name__, dict(unet.config), *latent_hw,
                     text_len=text_len)
    return NetworkCost(name or f"{type(unet).__name__} {latent_hw[0]}x{latent_hw[1]}", macs=cost.macs,
                       weight_bytes=cost.weight_bytes_fp16, activation_bytes=cost.activations["leaf_outputs_bytes"],
                       attention_score_bytes=cost.activations["attention_scores_bytes"])


def dreamlite_network_costs(latent_hw: tuple[int, int] = (128, 256), text_len: int = 77) -> tuple[NetworkCost,
                                                                                                  NetworkCost]:
    """(U-Net, decoder) costs of the authors' DreamLite at 1024x1024: the U-Net on the in-context 128x256 input."""
    from .. import paper
    from .accounting import build_meta

    model = build_meta("DreamLiteUNetModel", paper.DREAMLITE_UNET_CONFIG)
    unet = unet_network_cost(model, latent_hw, text_len, name=f"DreamLite {latent_hw[0]}x{latent_hw[1]}")
    return unet, taesdxl_decoder_cost((latent_hw[0], latent_hw[0]))
