"""DreamLite-Nano's VAE: a diffusers ``AutoencoderTiny`` (TAESD family) trained on ShapesWorld renders.

Implements: DreamLite's latent space (arXiv 2603.28713; PAPER_FACTS.md "The rest of the model": TAESDXL, an
``AutoencoderTiny`` with a 4-channel latent at x8). The nano VAE maps 32x32 RGB to 16x16x4 latents (x2, 4 channels;
``NanoConfig`` and the profiles): at x4, with 4 or even 16 channels, small stars and crosses blur into diamonds and
cap the checker's oracle (FIELD_NOTES; notebook 03 and the README measure it). Introduced in
``notebooks/03_in_context_concatenation.py``.

Latent convention (as diffusers' DreamLite pipeline decodes): the U-Net works on *scaled* latents
    z = (E(x) - shift_factor) * scaling_factor,     x = D(z / scaling_factor + shift_factor)
with ``shift_factor`` and ``scaling_factor`` measured on training renders (mean and 1 / std of E(x)) and stored in
the VAE's config. Images cross the API as uint8 (B, H, W, 3) in [0, 255]; ``AutoencoderTiny`` itself takes and
returns [-1, 1] (its encoder maps to [0, 1]; its decoder clamps latents with tanh(x/3)*3).

The U-Net may read these latents packed: :func:`pack_latents` stacks each p x p patch along channels (FLUX's 2x2
latent packing), so a x2 VAE's 16x16x4 latents reach the U-Net as the 8x8x16 grid a x4 VAE would give it
(``latent_packing`` in ``[<profile>.train]``; the pipeline packs after encoding and unpacks before decoding).

Training the VAE is a cached artifact: :func:`load_or_train_vae` with the ``[<profile>.nano]`` settings.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from pathlib import Path

import numpy as np

from ..repro.provenance import compute_context
from .config import NanoConfig

VAE_METRICS_FILE = "nano_vae_metrics.json"


class _OwnTinyKeyFilter(logging.Filter):
    """Drops one diffusers warning that is about diffusers itself: ``AutoencoderTiny.__init__`` records its own
    ``block_out_channels`` in the config it saves, then warns that this key "is not expected" each time the saved
    folder loads. Any other unexpected key, or any other class, still warns."""

    pattern = re.compile(r"The config attributes \{'block_out_channels': \[[\d, ]*\]\} were passed to AutoencoderTiny,")

    def filter(self, record: logging.LogRecord) -> bool:
        return not self.pattern.match(record.getMessage())


def _quiet_own_tiny_key() -> None:
    logger = logging.getLogger("diffusers.configuration_utils")
    if not any(isinstance(f, _OwnTinyKeyFilter) for f in logger.filters):
        logger.addFilter(_OwnTinyKeyFilter())


_quiet_own_tiny_key()  # every path that loads a nano VAE (load_vae, the pipeline) imports this module


class VAETrainingError(RuntimeError):
    """The trained VAE reconstructs validation renders worse than the profile's ``vae_min_psnr_db``."""


def build_nano_vae(config: NanoConfig | None = None):
    """An untrained ``AutoencoderTiny`` at x``vae_downsample`` with ``latent_channels`` channels (same width in
    every block, as ``AutoencoderTiny`` requires)."""
    from diffusers import AutoencoderTiny

    config = config or NanoConfig()
    levels = int(round(math.log2(config.vae_downsample))) + 1
    if 2 ** (levels - 1) != config.vae_downsample:
        raise ValueError(f"vae_downsample must be a power of two; got {config.vae_downsample}")
    if len(config.vae_encoder_blocks) != levels or len(config.vae_decoder_blocks) != levels:
        raise ValueError(f"x{config.vae_downsample} needs {levels} encoder and decoder levels; got "
                         f"{config.vae_encoder_blocks} and {config.vae_decoder_blocks}")
    width = config.vae_width
    return AutoencoderTiny(
        in_channels=3, out_channels=3, encoder_block_out_channels=(width,) * levels,
        decoder_block_out_channels=(width,) * levels, latent_channels=config.latent_channels,
        num_encoder_blocks=tuple(config.vae_encoder_blocks), num_decoder_blocks=tuple(config.vae_decoder_blocks),
        scaling_factor=1.0, shift_factor=0.0)


def images_to_tensor(images):
    """uint8 images (B, H, W, 3) or (H, W, 3), numpy or torch, -> float32 (B, 3, H, W) in [-1, 1]."""
    import torch

    if isinstance(images, np.ndarray):
        images = torch.from_numpy(np.ascontiguousarray(images))
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"images must be a uint8 numpy array or torch tensor (B, H, W, 3); got {type(images).__name__}")
    if images.ndim == 3:
        images = images[None]
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"images must be (B, H, W, 3) RGB; got shape {tuple(images.shape)}")
    if images.dtype != torch.uint8:
        raise ValueError(f"images must be uint8 in [0, 255]; got {images.dtype}")
    return images.permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def tensor_to_images(pixels) -> np.ndarray:
    """float (B, 3, H, W) in [-1, 1] -> uint8 numpy (B, H, W, 3) (clamped, rounded)."""
    x = ((pixels.detach().float().clamp(-1, 1) + 1.0) * 127.5).round().to("cpu").byte()
    return x.permute(0, 2, 3, 1).numpy()


def encode_images(vae, images, batch_size: int = 256):
    """Scaled latents z = (E(x) - shift_factor) * scaling_factor for uint8 images (B, H, W, 3) -> (B, C, h, w)."""
    import torch

    pixels = images_to_tensor(images)
    scale = float(vae.config.scaling_factor)
    shift = float(getattr(vae.config, "shift_factor", 0.0) or 0.0)
    device = next(vae.parameters()).device
    out = []
    with torch.no_grad():
        for start in range(0, pixels.shape[0], batch_size):
            raw = vae.encode(pixels[start:start + batch_size].to(device)).latents
            out.append(((raw - shift) * scale).float().cpu())
    return torch.cat(out)


def decode_latents(vae, latents, batch_size: int = 256, output_type: str = "uint8"):
    """uint8 images (B, H, W, 3) from scaled latents (B, C, h, w): x = D(z / scaling_factor + shift_factor).

    ``output_type="pt"`` returns the decoder's float (B, 3, H, W) in [-1, 1] instead (differentiable).
    """
    import torch

    scale = float(vae.config.scaling_factor)
    shift = float(getattr(vae.config, "shift_factor", 0.0) or 0.0)
    device = next(vae.parameters()).device
    if output_type == "pt":
        return vae.decode(latents.to(device) / scale + shift).sample
    if output_type != "uint8":
        raise ValueError(f"output_type must be 'uint8' or 'pt'; got {output_type!r}")
    out = []
    with torch.no_grad():
        for start in range(0, latents.shape[0], batch_size):
            z = latents[start:start + batch_size].to(device) / scale + shift
            out.append(tensor_to_images(vae.decode(z).sample))
    return np.concatenate(out)


def pack_latents(latents, packing: int):
    """The U-Net's latents from the VAE's: (B, C, h, w) -> (B, C p^2, h/p, w/p), each p x p patch stacked along
    channels (FLUX's 2x2 latent packing; ``torch.nn.functional.pixel_unshuffle``). ``packing`` 1 returns the input.
    Not to be confused with ``pack_in_context``, which sets target and condition side by side."""
    import torch

    if packing == 1:
        return latents
    if latents.shape[-1] % packing or latents.shape[-2] % packing:
        raise ValueError(f"latent_packing {packing} does not divide latents of shape {tuple(latents.shape)}")
    return torch.nn.functional.pixel_unshuffle(latents, packing)


def latent_packing_of(unet, vae) -> int:
    """p of the p x p packing by which ``unet`` reads ``vae``'s latents (:func:`pack_latents`), read off their configs:
    the U-Net has p^2 times the VAE's latent channels (p = 1: it reads them as they are). A pair whose channels are
    not p^2 apart for any p raises ``ValueError``: they were not trained together."""
    unet_channels, vae_channels = int(unet.config.in_channels), int(vae.config.latent_channels)
    ratio, rest = divmod(unet_channels, vae_channels)
    packing = int(round(ratio ** 0.5))
    if rest or packing * packing != ratio:
        raise ValueError(f"the U-Net reads {unet_channels} latent channels and the VAE writes {vae_channels}: not "
                         f"p^2 times as many for any p, so these two were not trained together")
    return packing


def unpack_latents(latents, packing: int):
    """The inverse of :func:`pack_latents`: (B, C p^2, h, w) -> (B, C, h p, w p) (``pixel_shuffle``)."""
    import torch

    if packing == 1:
        return latents
    if latents.shape[-3] % (packing * packing):
        raise ValueError(f"latent_packing {packing} needs a multiple of {packing * packing} channels; got latents of "
                         f"shape {tuple(latents.shape)}")
    return torch.nn.functional.pixel_shuffle(latents, packing)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB between uint8 image batches (over all pixels): 10 log10(255^2 / MSE)."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * math.log10(255.0 ** 2 / mse)


def round_trip(vae, images: np.ndarray) -> np.ndarray:
    """D(E(x)) as uint8: what the diffusion model can at best reproduce."""
    return decode_latents(vae, encode_images(vae, images))


def object_pixel_weights(target, object_weight: float, threshold: float = 0.1):
    """Per-pixel loss weights (B, 1, H, W): ``1 + object_weight`` on object pixels, 1 on the background (ours).

    A pixel is an object pixel when it differs from its image's background, the per-channel median over the image's
    pixels (ShapesWorld's backgrounds are plain), by more than ``threshold`` in [-1, 1] units (about 13 of 255) in
    any channel. Background pixels outnumber a small star's about 100 to 1 in a 32x32 scene, so an unweighted loss
    barely hears the detail that tells a star from a blob."""
    from .flow import plain_background_weights

    return plain_background_weights(target, object_weight, lambda d: (d.abs() > threshold).any(dim=1, keepdim=True))


def _weighted_mean(err, weights):
    weights = weights.expand_as(err)
    return (err * weights).sum() / weights.sum()


def _vae_loss(recon, target, edge_weight: float, object_weight: float = 0.0):
    """Pixel loss in [-1, 1]: MSE + L1 + ``edge_weight`` x L1 between finite-difference gradients (keeps small
    shapes' corners sharp), each a mean over pixels weighted by :func:`object_pixel_weights` (all ones, the plain
    mean, when ``object_weight`` is 0; a difference between two pixels weighs as the heavier of the two)."""
    import torch

    w = object_pixel_weights(target, object_weight)
    diff = recon - target
    loss = _weighted_mean(diff ** 2 + diff.abs(), w)
    if edge_weight:
        dx = lambda x: x[..., :, 1:] - x[..., :, :-1]  # noqa: E731
        dy = lambda x: x[..., 1:, :] - x[..., :-1, :]  # noqa: E731
        wx = torch.maximum(w[..., :, 1:], w[..., :, :-1])
        wy = torch.maximum(w[..., 1:, :], w[..., :-1, :])
        loss = loss + edge_weight * (_weighted_mean((dx(recon) - dx(target)).abs(), wx)
                                     + _weighted_mean((dy(recon) - dy(target)).abs(), wy))
    return loss


def train_nano_vae(vae, images: np.ndarray, steps: int, batch_size: int = 64, lr: float = 2e-3, seed: int = 0,
                   edge_weight: float = 0.5, warmup: int = 50, progress: bool = True, time_limit_s: float | None = None,
                   crop: int | None = None, device: str | None = None, object_weight: float = 0.0):
    """Train ``vae`` to reconstruct uint8 ``images`` (N, H, W, 3); AdamW, warmup + cosine decay, horizontal flips,
    and (``crop``) random square crops aligned to the latent grid: the convolutions see local patches, 4x cheaper
    per sample at half the side (the usual VAE recipe; the model then runs on whole images). ``object_weight``
    weighs the loss on object pixels ``1 + object_weight`` times the background's (:func:`object_pixel_weights`).

    Afterwards sets ``shift_factor`` / ``scaling_factor`` to the mean and 1 / std of the raw latents of (up to 2048
    of) the training images, so scaled latents have mean 0 and std 1. Returns the loss history (list of floats).
    ``time_limit_s`` stops early (the schedule still ends at ``steps``; used to cap the smoke profile).
    ``device`` ("cuda" under the paper profile) trains there and hands ``vae`` back on the device it came on; the
    batches are drawn on the CPU either way, so the random stream does not depend on the device.
    """
    import torch
    from tqdm.auto import tqdm

    if images.ndim != 4 or images.dtype != np.uint8:
        raise ValueError(f"training images must be uint8 (N, H, W, 3); got {images.dtype} {images.shape}")
    generator = torch.Generator().manual_seed(seed)
    data = images_to_tensor(images)
    home = next(vae.parameters()).device
    device = torch.device(device) if device is not None else home
    vae.to(device).train()
    optimizer = torch.optim.AdamW(vae.parameters(), lr=lr, weight_decay=1e-4, betas=(0.9, 0.99))

    def lr_at(step):
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup))) * 0.95 + 0.05

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_at)
    history: list = []
    factor = 2 ** (len(vae.config.encoder_block_out_channels) - 1)
    if crop is not None and crop % factor:
        raise ValueError(f"crop {crop} must be a multiple of the VAE's downsampling factor {factor}")
    start = time.perf_counter()
    bar = tqdm(range(steps), desc="nano VAE", disable=not progress)
    for step in bar:
        idx = torch.randint(0, data.shape[0], (batch_size,), generator=generator)
        batch = data[idx]
        flip = torch.rand(batch_size, generator=generator) < 0.5
        batch = torch.where(flip[:, None, None, None], batch.flip(-1), batch)
        if crop is not None and crop < batch.shape[-1]:
            cells = (batch.shape[-1] - crop) // factor + 1  # offsets on the latent grid
            top, left = (factor * torch.randint(0, cells, (2,), generator=generator)).tolist()
            batch = batch[..., top:top + crop, left:left + crop]
        batch = batch.to(device)
        raw = vae.encode(batch).latents
        recon = vae.decode(raw).sample
        loss = _vae_loss(recon, batch, edge_weight, object_weight)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        history.append(loss.detach())  # read back every 20 steps, not every step (a GPU sync each)
        if step % 20 == 0:
            bar.set_postfix(loss=f"{torch.stack(history[-20:]).mean().item():.4f}")
        if time_limit_s is not None and time.perf_counter() - start > time_limit_s:
            break
    vae.to(home).eval()
    set_latent_scaling(vae, images[: min(len(images), 2048)])
    return torch.stack(history).tolist() if history else []


def set_latent_scaling(vae, images: np.ndarray) -> tuple[float, float]:
    """Measure the raw latents' mean and std on ``images`` and store ``shift_factor = mean`` and
    ``scaling_factor = 1 / std`` in the VAE config. Returns (shift_factor, scaling_factor)."""
    import torch

    vae.register_to_config(scaling_factor=1.0, shift_factor=0.0)
    with torch.no_grad():
        raw = encode_images(vae, images)
    shift, std = float(raw.mean()), float(raw.std())
    vae.register_to_config(scaling_factor=1.0 / max(std, 1e-6), shift_factor=shift)
    return shift, 1.0 / max(std, 1e-6)


# ---------------------------------------------------------------------- the cached artifact
def vae_config_from_settings(settings: dict, base: NanoConfig | None = None) -> NanoConfig:
    """The ``NanoConfig`` of the VAE described by a ``[<profile>.nano]`` section (``vae_width``,
    ``latent_channels``, ``vae_encoder_blocks``, ``vae_decoder_blocks``); the downsampling factor follows from the
    number of levels (``AutoencoderTiny`` halves the size between levels: 3 levels -> x4, 2 -> x2)."""
    base = base or NanoConfig()
    encoder_blocks = tuple(settings.get("vae_encoder_blocks", base.vae_encoder_blocks))
    return base.replace(vae_width=int(settings.get("vae_width", base.vae_width)),
                        latent_channels=int(settings.get("latent_channels", base.latent_channels)),
                        vae_encoder_blocks=encoder_blocks,
                        vae_decoder_blocks=tuple(settings.get("vae_decoder_blocks", base.vae_decoder_blocks)),
                        vae_downsample=2 ** (len(encoder_blocks) - 1))


def _vae_artifact_config(settings: dict, seed: int) -> dict:
    keys = ("latent_channels", "vae_width", "vae_encoder_blocks", "vae_decoder_blocks", "vae_steps",
            "vae_batch_size", "vae_crop", "vae_lr", "vae_edge_weight", "vae_object_weight", "vae_dpg_weight",
            "vae_train_scenes", "vae_time_limit_s", "vae_finetune_steps", "vae_finetune_lr")
    missing = [k for k in keys if k not in settings]
    if missing:
        raise KeyError(f"the [<profile>.nano] section lacks VAE settings {missing} "
                       "(dreamlite_core/repro/profiles.toml)")
    config = {k: settings[k] for k in keys}
    config.update(seed=seed, version=1)
    return config


def finetune_cycles(settings: dict) -> list[tuple[int, float]]:
    """The warm-restart cycles ``[(steps, peak lr), ...]`` of ``vae_finetune_steps`` / ``vae_finetune_lr`` (lists of
    equal length, or single numbers; 0 or empty for none)."""
    steps, lrs = settings["vae_finetune_steps"], settings["vae_finetune_lr"]
    steps = [steps] if isinstance(steps, (int, float)) else list(steps)
    lrs = [lrs] if isinstance(lrs, (int, float)) else list(lrs)
    if len(steps) != len(lrs):
        raise ValueError(f"vae_finetune_steps {steps} and vae_finetune_lr {lrs} need one learning rate per cycle")
    return [(int(n), float(lr)) for n, lr in zip(steps, lrs) if int(n) > 0]


def dpg_task_weights(dpg_weight: float) -> dict[str, float]:
    """Text-to-image task weights with dense DPG scenes weighing ``dpg_weight`` and GenEval's six tasks 1 each
    (1 is ShapesWorld's own mix). Dense scenes hold most of the small objects a VAE can blur away."""
    from ..world import T2I_TASKS

    return {task: (float(dpg_weight) if task == "dpg" else 1.0) for task in T2I_TASKS}


def vae_training_images(n: int, seed: int, size: int = 32, t2i_task_weights: dict | None = None) -> np.ndarray:
    """uint8 (n, size, size, 3) renders of ShapesWorld TRAIN scenes: half text-to-image scenes (drawn with
    ``t2i_task_weights``, default ShapesWorld's own mix), half edit sources and targets (never the validation or test
    split)."""
    from ..world import make_edit_items, make_t2i_items, render_scene

    n_t2i = n // 2
    n_edit = (n - n_t2i + 1) // 2
    scenes = [item_scene(it) for it in make_t2i_items("train", n_t2i, seed, task_weights=t2i_task_weights)]
    for it in make_edit_items("train", n_edit, seed + 1):
        scenes.extend(edit_item_scenes(it))
    return np.stack([render_scene(s, size=size) for s in scenes[:n]]).astype(np.uint8)


def item_scene(item):
    """The scene of a text-to-image item (attribute ``scene`` or key ``"scene"``)."""
    return item["scene"] if isinstance(item, dict) else item.scene


def edit_item_scenes(item):
    """(source scene, target scene) of an edit item."""
    get = (lambda k: item[k]) if isinstance(item, dict) else (lambda k: getattr(item, k))
    for src, tgt in (("source", "target"), ("source_scene", "target_scene")):
        try:
            return [get(src), get(tgt)]
        except (KeyError, AttributeError):
            continue
    raise AttributeError(f"cannot find source/target scenes on edit item {item!r}")


def nano_vae_artifact(run, settings: dict, progress: bool = True) -> Path:
    """The folder of the trained nano VAE for these settings (``run.artifact("nano_vae", ...)``): trained once per
    config, written with ``save_pretrained`` plus ``nano_vae_metrics.json`` (PSNR on held-out VALIDATION renders,
    training time, latent statistics)."""
    config = _vae_artifact_config(settings, run.seed)

    def build(folder: Path) -> None:
        import torch

        nano = vae_config_from_settings(settings)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(run.seed)
            vae = build_nano_vae(nano)
        # the first cosine cycle, then the warm restarts at lower peaks; cycle k trains on fresh TRAIN renders
        # (seed + k)
        cycles = [(int(settings["vae_steps"]), float(settings["vae_lr"])), *finetune_cycles(settings)]
        task_weights = dpg_task_weights(float(settings["vae_dpg_weight"]))
        start = time.perf_counter()
        history: list[float] = []
        for cycle, (steps, lr) in enumerate(cycles):
            images = vae_training_images(int(settings["vae_train_scenes"]), seed=run.seed + cycle,
                                         size=nano.resolution, t2i_task_weights=task_weights)
            history += train_nano_vae(vae, images, steps=steps, batch_size=int(settings["vae_batch_size"]), lr=lr,
                                      edge_weight=float(settings["vae_edge_weight"]), seed=run.seed + cycle,
                                      object_weight=float(settings["vae_object_weight"]),
                                      progress=progress, crop=int(settings["vae_crop"]) or None,
                                      time_limit_s=float(settings["vae_time_limit_s"]) or None,
                                      device=run.device)
        seconds = time.perf_counter() - start
        val = validation_images(256, seed=run.seed, size=nano.resolution)
        metrics = {"psnr_val_db": psnr(val, round_trip(vae, val)), "train_seconds": seconds,
                   "steps_done": len(history), "final_loss": float(np.mean(history[-20:])),
                   "scaling_factor": float(vae.config.scaling_factor),
                   "shift_factor": float(vae.config.shift_factor), "params": sum(p.numel() for p in vae.parameters()),
                   **compute_context(), "loss_history": [float(x) for x in history]}
        floor = float(settings.get("vae_min_psnr_db", 0.0))
        if metrics["psnr_val_db"] < floor:  # checked before anything is saved: a failed build leaves no artifact
            raise VAETrainingError(
                f"the nano VAE reconstructs validation renders at {metrics['psnr_val_db']:.1f} dB, under "
                f"vae_min_psnr_db = {floor:g} in [{run.profile}.nano]; its loss went from {history[0]:.3f} to "
                f"{metrics['final_loss']:.3f}: training collapsed or is far too short, and a U-Net trained on its "
                "latents would learn nothing. Nothing was cached; lower vae_lr, train on crops (vae_crop) or on "
                "more steps, then run again.")
        vae.save_pretrained(folder)
        (folder / VAE_METRICS_FILE).write_text(json.dumps(metrics, indent=1) + "\n")

    return run.artifact("nano_vae", config, build)


def validation_images(n: int, seed: int = 0, size: int = 32) -> np.ndarray:
    """uint8 renders of ShapesWorld VALIDATION text-to-image scenes (for reporting, never for training)."""
    from ..world import make_t2i_items, render_scene

    items = make_t2i_items("validation", n, seed)
    return np.stack([render_scene(item_scene(it), size=size) for it in items]).astype(np.uint8)


def load_vae(folder: str | Path):
    """An ``AutoencoderTiny`` saved by :func:`nano_vae_artifact` (or any ``save_pretrained`` folder), eval mode."""
    from diffusers import AutoencoderTiny

    folder = Path(folder)
    if not (folder / "config.json").exists():
        raise FileNotFoundError(f"no VAE at {folder} (config.json missing); train one with load_or_train_vae")
    return AutoencoderTiny.from_pretrained(folder).eval().requires_grad_(False)


def load_or_train_vae(run, settings: dict, progress: bool = True):
    """The trained nano VAE for this run's ``[<profile>.nano]`` settings: loaded from the artifact cache, or trained
    first (seconds under smoke, minutes under default). Its folder is ``vae.config._name_or_path``; its metrics
    are in ``<folder>/nano_vae_metrics.json`` (:func:`vae_metrics`)."""
    return load_vae(nano_vae_artifact(run, settings, progress=progress))


def vae_metrics(vae_or_folder) -> dict:
    """The ``nano_vae_metrics.json`` saved beside a trained VAE."""
    folder = Path(vae_or_folder if isinstance(vae_or_folder, (str, Path)) else vae_or_folder.config._name_or_path)
    return json.loads((folder / VAE_METRICS_FILE).read_text())
