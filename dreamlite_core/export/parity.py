"""Parity of compressed Core ML weights with the fp32 model, measured in PyTorch (so it runs on Linux).

Implements: the correctness gate of Apple's Core ML Stable Diffusion converter (apple/ml-stable-diffusion,
``python_coreml_stable_diffusion/torch2coreml.py``: ``compute_psnr`` and ``ABSOLUTE_MIN_PSNR = 35``) applied to the
compression variants of DreamLite's U-Net (arXiv 2603.28713, PAPER_FACTS.md "Deployment").
Introduced in ``notebooks/10_coreml_iphone.py``.

Apple's PSNR compares an output ``a`` with the reference ``b`` using the reference's peak and the RMS error:

    PSNR(a, b) = 20 log10( (max|b| + 1e-5) / (sqrt(mean((a - b)^2)) + 1e-10) )

so a tensor against itself scores 20 log10(max|b| / 1e-10), about 200 dB for max|b| ~ 1: "capped", not infinite.
The gate passes at PSNR >= 35 dB.

On Linux each variant's weights are compressed and decompressed back into a copy of the PyTorch model
(``compression.compress_torch_model``); the copy runs either in fp32 (the weight error alone) or in fp16 on the CPU
(weights and activations in half precision, closer to what Core ML computes on the GPU / Neural Engine). Neither is
the Core ML runtime: on macOS ``tests/test_export.py`` runs ``MLModel.predict`` against the same gate.
"""

from __future__ import annotations

import copy

import numpy as np

from .compression import VARIANTS, compress_torch_model, get_variant

#: Apple's gate (apple/ml-stable-diffusion ``torch2coreml.py``: ``ABSOLUTE_MIN_PSNR = 35``).
APPLE_MIN_PSNR = 35.0


def psnr(output, reference) -> float:
    """Apple's ``compute_psnr(a=output, b=reference)`` (module docstring), in dB."""
    a = np.asarray(output, dtype=np.float64)
    b = np.asarray(reference, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"PSNR needs equal shapes; got output {a.shape} and reference {b.shape}")
    rms = np.sqrt(((a - b) ** 2).sum() / b.size)
    return float(20 * np.log10((np.abs(b).max() + 1e-5) / (rms + 1e-10)))


def _run(wrapper, inputs, dtype):
    import torch

    with torch.no_grad():
        cast = [x.to(dtype) if x.is_floating_point() else x for x in inputs]
        return wrapper(*cast).float().numpy()


def unet_parity(unet, signature, variants=tuple(VARIANTS), timesteps=(999.0, 500.0, 50.0), seed: int = 0,
                fp16_compute: bool = True, kmeans: str = "ours") -> list[dict]:
    """PSNR of every variant's U-Net output against the fp32 model, one row per variant.

    Inputs: one seeded example per timestep (``coreml.example_unet_inputs``); the row reports the worst (minimum)
    PSNR over them, as a gate should. Columns: ``psnr_weights_db`` (compressed weights, fp32 compute),
    ``psnr_fp16_compute_db`` (compressed weights, fp16 compute on CPU; ``None`` when disabled), and
    ``passes_apple_gate`` on the fp16-compute column when present, else the weights column. A first row ``fp32``
    compares the reference with itself (Apple's cap).
    """
    import torch

    from .coreml import UNetForCoreML, example_unet_inputs

    reference = UNetForCoreML(copy.deepcopy(unet)).float().eval()
    examples = [example_unet_inputs(signature, seed=seed + i, timestep=t) for i, t in enumerate(timesteps)]
    ref_out = [_run(reference, ex, torch.float32) for ex in examples]
    rows = [{"variant": "fp32", "description": "the PyTorch reference against itself",
             "psnr_weights_db": min(psnr(o, o) for o in ref_out), "psnr_fp16_compute_db": None}]
    for name in variants:
        variant = get_variant(name)
        model = UNetForCoreML(compress_torch_model(reference.unet, variant, kmeans=kmeans)).eval()
        row = {"variant": name, "description": variant.description,
               "psnr_weights_db": min(psnr(_run(model, ex, torch.float32), ref)
                                      for ex, ref in zip(examples, ref_out)),
               "psnr_fp16_compute_db": None}
        if fp16_compute:
            half = copy.deepcopy(model).half()
            row["psnr_fp16_compute_db"] = min(psnr(_run(half, ex, torch.float16), ref)
                                              for ex, ref in zip(examples, ref_out))
            del half
        del model
        rows.append(row)
    for row in rows:
        gate_value = row["psnr_fp16_compute_db"] if row["psnr_fp16_compute_db"] is not None else row["psnr_weights_db"]
        row["passes_apple_gate"] = bool(gate_value >= APPLE_MIN_PSNR)
    return rows


def recommend(rows: list[dict], sizes: dict[str, int] | None = None) -> str | None:
    """The smallest variant (by package size when given, else by nominal bits) that passes Apple's gate."""
    passing = [r["variant"] for r in rows if r["passes_apple_gate"] and r["variant"] in VARIANTS]
    if not passing:
        return None
    if sizes:
        return min(passing, key=lambda v: sizes.get(v, float("inf")))
    order = list(VARIANTS)
    return passing[-1] if all(v in order for v in passing) else passing[0]
