"""DreamLite-Nano's components for the Core ML export, and the effect of each compression variant on mini-GenEval.

Implements: the deployment step of DreamLite (arXiv 2603.28713, PAPER_FACTS.md "Deployment") at ShapesWorld scale:
the nano U-Net, VAE and MiniLM text encoder that notebook 10 exports, and the question "does compressing the U-Net's
weights change what it draws?" answered with the mini-GenEval of ``dreamlite_core.eval``. Introduced in
``notebooks/10_coreml_iphone.py``.

A trained pipeline folder (``dreamlite_core.train.find_trained_pipeline``, found by the notebook: ``export`` does
not import ``train``) is used when there is one; otherwise a randomly initialised nano U-Net of the same config
stands in, with an untrained VAE, and :attr:`NanoComponents.note` says so. Sizes, signatures and PSNR are meaningful
for a random model too (the weight statistics differ from a trained one's); mini-GenEval is not, and is skipped.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class NanoComponents:
    """What notebook 10 exports: the U-Net, the VAE, the text encoder (model + tokenizer) and where they came from."""

    unet: object
    vae: object
    text_model: object
    tokenizer: object
    pipeline: object | None  #: the ``DreamLiteNanoPipeline`` when trained, else None
    trained: bool
    source: str  #: the pipeline folder, or "random initialisation (seed N)"
    note: str  #: one sentence for the reader

    @property
    def unet_params(self) -> int:
        return sum(p.numel() for p in self.unet.parameters())

    @property
    def latent_packing(self) -> int:
        """p of the U-Net's p x p latent packing (``nano.latent_packing_of``): the app unpacks (pixel-shuffles) the
        U-Net's output before the VAE decoder reads it."""
        from ..nano import latent_packing_of

        return latent_packing_of(self.unet, self.vae)


def load_nano_components(pipeline_folder: str | Path | None = None, seed: int = 0) -> NanoComponents:
    """The trained DreamLite-Nano pipeline at ``pipeline_folder``, or a seeded random stand-in of the same config."""
    import torch

    from ..nano import DreamLiteNanoPipeline, build_nano_unet, build_nano_vae, load_minilm

    if pipeline_folder is not None:
        pipe = DreamLiteNanoPipeline.from_pretrained(pipeline_folder)
        return NanoComponents(pipe.unet.eval(), pipe.vae.eval(), pipe.text_encoder, pipe.tokenizer, pipe, True,
                              str(pipeline_folder),
                              f"The trained DreamLite-Nano pipeline from {pipeline_folder} is exported.")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        unet = build_nano_unet(prune=False).eval()
        vae = build_nano_vae().eval()
    model, tokenizer = load_minilm()
    return NanoComponents(unet, vae, model, tokenizer, None, False, f"random initialisation (seed {seed})",
                          "No trained DreamLite-Nano pipeline was found (train one with notebooks 04-06 under this "
                          "profile), so a randomly initialised nano U-Net of the same config stands in: package "
                          "sizes, signatures and PSNR are measured on it; mini-GenEval is skipped.")


def geneval_by_variant(pipeline, variants, n_items: int = 48, num_inference_steps: int = 8,
                       guidance_scale: float = 2.5, seed: int = 0, kmeans: str = "ours") -> list[dict]:
    """Mini-GenEval (held-out test items) of the pipeline with each variant's decompressed U-Net weights.

    Same items, same seeds, same sampler for every variant, so differences come from the weights alone. Rows:
    variant, overall, per-task accuracies; plus the oracle (ground-truth renders) and chance (shuffled pairings)
    calibration rows of ``dreamlite_core.eval.calibration_points``.
    """
    import torch

    from ..eval import benchmark_items, calibration_points, geneval_score
    from .compression import compress_torch_model

    items = benchmark_items("geneval", n_items, split="test", seed=seed)
    prompts = [it.prompt for it in items]
    original = pipeline.unet
    rows = []
    try:
        for name in ["fp32", *variants]:
            pipeline.unet = original if name == "fp32" else compress_torch_model(original, name, kmeans=kmeans)
            generator = torch.Generator().manual_seed(seed)
            images = pipeline.generate(prompts, num_inference_steps=num_inference_steps,
                                       guidance_scale=guidance_scale, generator=generator, output_type="uint8").images
            report = geneval_score(np.asarray(images), items)
            rows.append({"variant": name, "overall": report["overall"], **report["by_task"]})
    finally:
        pipeline.unet = original
    calib = calibration_points("geneval", items, size=pipeline.resolution, seed=seed)
    for name in ("oracle", "chance"):
        rows.append({"variant": name, "overall": calib[name]["overall"], **calib[name]["by_task"]})
    return rows


def kmeans_gap(model, nbits: int = 6, max_tensors: int = 6, weight_threshold: int = 2048) -> list[dict]:
    """Squared error of our k-means LUT and of coremltools' on the largest weight tensors of ``model``.

    ``sse_ratio`` = ours / coremltools (1.0 = as good; coremltools' 1-D solver is optimal for tensors of >= 10,000
    fp16 values, scikit-learn's k-means++ below that).
    """
    from .compression import coremltools_palettize, palettize, to_fp16

    params = sorted(((n, p) for n, p in model.named_parameters() if p.numel() > weight_threshold),
                    key=lambda item: -item[1].numel())[:max_tensors]
    rows = []
    for name, p in params:
        w = to_fp16(p.detach().float().numpy())
        ours = float(((palettize(w, nbits) - w) ** 2).sum())
        theirs = float(((coremltools_palettize(w, nbits) - w) ** 2).sum())
        rows.append({"tensor": name, "elements": int(w.size), "sse_ours": ours, "sse_coremltools": theirs,
                     "sse_ratio": ours / theirs if theirs > 0 else float("nan")})
    return rows


def clone_unet(unet):
    """A deep copy (the export switches attention processors; the notebook keeps the original untouched)."""
    return copy.deepcopy(unet)


def export_nano(components: NanoComponents, out_dir: str | Path, settings: dict, text_length=(4, 64, 32)) -> dict:
    """Export the nano U-Net (fp16) and compress it into every variant of ``settings["variants"]``; with
    ``settings["vae"]`` also the VAE decoder and encoder, with ``settings["text_encoder"]`` the MiniLM.

    Returns ``{"unet": {variant: ExportResult}, "vae_decoder": ExportResult | None, "vae_encoder": ...,
    "text_encoder": ...}``. Every step is idempotent (a second call finds the packages and converts nothing).
    """
    import gc

    from .coreml import (UNetSignature, compress_package, export_text_encoder, export_unet, export_vae_decoder,
                         export_vae_encoder)

    lo, hi, default = text_length
    unet = clone_unet(components.unet)
    signature = UNetSignature.for_unet(unet, min_length=lo, max_length=hi, default_length=default)
    fp16 = export_unet(unet, out_dir, signature)
    del unet
    gc.collect()
    results = {"signature": signature, "unet": {"fp16": fp16}}
    for name in settings["variants"]:
        if name != "fp16":
            results["unet"][name] = compress_package(fp16, name, kmeans=settings["kmeans"],
                                                     fast=bool(settings["fast_compress"]))
    results["vae_decoder"] = results["vae_encoder"] = results["text_encoder"] = None
    if settings.get("vae"):
        latent = signature.latent_height * components.latent_packing  # the VAE's latent side, before packing
        scale = 2 ** (len(components.vae.config.encoder_block_out_channels) - 1)
        results["vae_decoder"] = export_vae_decoder(copy.deepcopy(components.vae), out_dir, latent)
        results["vae_encoder"] = export_vae_encoder(copy.deepcopy(components.vae), out_dir, latent * scale)
    if settings.get("text_encoder"):
        results["text_encoder"] = export_text_encoder(components.text_model, out_dir, max_length=hi,
                                                      min_length=1, default_length=default)
    gc.collect()
    return results


def size_rows(results: dict, model, weight_threshold: int = 2048) -> list[dict]:
    """One row per U-Net variant: bytes on disk, MB, ratio to fp16, our first-principles estimate
    (``compression.estimate_size_bytes``) and the seconds it took (0 when the package already existed)."""
    from .compression import estimate_size_bytes, get_variant

    fp16 = results["unet"]["fp16"].size_bytes
    rows = []
    for name, r in results["unet"].items():
        rows.append({"variant": name, "description": get_variant(name).description, "bytes": r.size_bytes,
                     "MB": r.size_bytes / 1e6, "vs_fp16": r.size_bytes / fp16,
                     "estimate_MB": estimate_size_bytes(model, name, weight_threshold) / 1e6,
                     "seconds": 0.0 if r.skipped else r.seconds})
    return rows
