"""The flow-matching objective and sampler schedule of DreamLite (rectified flow).

Implements: the training objective and sampler of arXiv 2603.28713 (PAPER_FACTS.md "The rest of the model"):

- Eq. (forward process)  x_t = (1 - s) x_0 + s eps,  s in [0, 1],  timestep t = 1000 s
- Eq. (velocity target)  v = eps - x_0
- Eq. (loss)             L_fm = E || v_theta([x_t | c], t, text)_left - v ||^2  (left, target half only)
- the sampler: ``FlowMatchEulerDiscreteScheduler`` with a dynamic (exponential) shift whose mu grows linearly with
  the un-concatenated latent's sequence length (h * w / 4, as diffusers' ``DreamLitePipeline`` computes it).

Introduced in ``notebooks/03_in_context_concatenation.py``.
"""

from __future__ import annotations

from .in_context import pack_in_context, target_half

NUM_TRAIN_TIMESTEPS = 1000
SIGMA_SCHEMES = ("logit_normal", "uniform")


def _expand(sigmas, like):
    return sigmas.to(like.dtype).reshape(-1, *([1] * (like.ndim - 1)))


def add_noise(latents, noise, sigmas):
    """x_t = (1 - s) x_0 + s eps (per-sample s, broadcast over C, h, w). s = 0 gives x_0, s = 1 gives eps."""
    s = _expand(sigmas, latents)
    return (1.0 - s) * latents + s * noise


def flow_matching_target(latents, noise):
    """The velocity the U-Net learns: v = eps - x_0 (independent of s)."""
    return noise - latents


def object_cell_weights(latents, object_weight: float, threshold: float = 0.5):
    """Per-cell loss weights (B, 1, h, w) that up-weight the latent cells holding objects (ours, not the paper's).

    A cell is an object cell when its latent vector differs from the scene's background, the per-channel median over
    the sample's cells, by more than ``threshold`` in root-mean-square over channels (the latents are scaled to unit
    std, so 0.5 is half a standard deviation; ShapesWorld's backgrounds are plain, so the median cell is background).
    Object cells weigh ``1 + object_weight``, the rest 1; ``object_weight = 0`` gives all ones (the paper's loss).
    """
    x0 = latents.float()
    return plain_background_weights(x0, object_weight, lambda d: d.pow(2).mean(dim=1, keepdim=True).sqrt() > threshold)


def plain_background_weights(x, object_weight: float, is_object):
    """Weights (B, 1, h, w): ``1 + object_weight`` where ``is_object(deviation)`` holds, 1 elsewhere (all ones when
    ``object_weight`` is 0). ``deviation`` is ``x`` minus the sample's background, its per-channel median over
    positions (ShapesWorld's backgrounds are plain); ``is_object`` maps it (B, C, h, w) to a (B, 1, h, w) mask.
    The U-Net's object cells (:func:`object_cell_weights`) and the VAE's object pixels (``vae.object_pixel_weights``)
    differ only in that rule."""
    import torch

    if not object_weight:
        return torch.ones_like(x[:, :1])
    background = x.flatten(2).median(dim=2).values[:, :, None, None]
    return 1.0 + float(object_weight) * is_object(x - background).to(x.dtype)


def flow_matching_loss(model_pred_packed, latents, noise, weights=None, cell_weights=None):
    """L_fm = mean || pred_left - (eps - x_0) ||^2 over the LEFT (target) half of the packed prediction only.

    ``model_pred_packed`` is the U-Net output on ``[x_t | condition]`` (B, C, h, 2w); ``latents`` and ``noise`` are
    the clean target and its noise (B, C, h, w). ``weights`` (B,) optionally weight samples (normalised by their
    sum); ``cell_weights`` (B, 1, h, w) optionally weight latent cells (each sample's weighted mean, normalised by
    its weights' sum: :func:`object_cell_weights`). The right half of the prediction does not enter the loss or its
    gradient.
    """
    pred = target_half(model_pred_packed, latents.shape[-1])
    if pred.shape != latents.shape:
        raise ValueError(f"the prediction's target half {tuple(pred.shape)} does not match the latents "
                         f"{tuple(latents.shape)}")
    err = (pred.float() - flow_matching_target(latents, noise).float()) ** 2
    if cell_weights is None:
        per_sample = err.flatten(1).mean(dim=1)
    else:
        cell_weights = cell_weights.to(err).expand_as(err)
        per_sample = (err * cell_weights).flatten(1).sum(dim=1) / cell_weights.flatten(1).sum(dim=1)
    if weights is None:
        return per_sample.mean()
    weights = weights.to(per_sample)
    return (per_sample * weights).sum() / weights.sum()


def sample_sigmas(batch: int, generator=None, scheme: str = "logit_normal", logit_mean: float = 0.0,
                  logit_std: float = 1.0, device="cpu"):
    """Training noise levels s in (0, 1), shape (batch,), float32.

    - ``"uniform"``: s ~ U(0, 1) (the paper's stated choice).
    - ``"logit_normal"``: s = sigmoid(n), n ~ N(logit_mean, logit_std^2) (SD3's choice: more weight mid-way).
    The timesteps the U-Net sees are ``t = 1000 s`` (:func:`timesteps_from_sigmas`).
    """
    import torch

    if scheme == "uniform":
        s = torch.rand(batch, generator=generator, device=device)
    elif scheme == "logit_normal":
        s = torch.sigmoid(torch.randn(batch, generator=generator, device=device) * logit_std + logit_mean)
    else:
        raise ValueError(f"unknown sigma scheme {scheme!r}; schemes: {', '.join(SIGMA_SCHEMES)}")
    return s.float()


def timesteps_from_sigmas(sigmas):
    """t = 1000 s (the U-Net's timestep input)."""
    return sigmas * NUM_TRAIN_TIMESTEPS


def time_ids_for(batch: int, resolution=32, device="cpu", dtype=None):
    """The U-Net's ``added_cond_kwargs["time_ids"]``: (batch, 2) = [width, height] of the target image (not of the
    packed input), as diffusers' ``DreamLitePipeline`` passes ``original_size = (width, height)``."""
    import torch

    width, height = (resolution, resolution) if isinstance(resolution, int) else resolution
    return torch.tensor([[float(width), float(height)]], device=device, dtype=dtype or torch.float32).repeat(batch, 1)


def in_context_velocity(unet, x_t, timesteps, encoder_hidden_states, encoder_attention_mask, condition=None,
                        resolution=32):
    """v_theta([x_t | condition], t, text)_left: one U-Net call on the in-context input, the target half of its
    output. ``condition`` None (zeros) is generation; ``timesteps`` (B,) are t = 1000 s; ``resolution`` is the
    target image's size, passed as ``time_ids``. The sampler and the probes call the U-Net through this."""
    packed = pack_in_context(x_t, condition)
    time_ids = time_ids_for(x_t.shape[0], resolution, device=x_t.device, dtype=x_t.dtype)
    out = unet(packed, timestep=timesteps, encoder_hidden_states=encoder_hidden_states,
               encoder_attention_mask=encoder_attention_mask, added_cond_kwargs={"time_ids": time_ids},
               return_dict=False)[0]
    return target_half(out, x_t.shape[-1])


def calculate_shift(image_seq_len: int, base_seq_len: int = 256, max_seq_len: int = 4096, base_shift: float = 0.5,
                    max_shift: float = 1.16) -> float:
    """mu = base_shift + (max_shift - base_shift) (L - base_seq_len) / (max_seq_len - base_seq_len).

    L is the un-concatenated latent's sequence length h * w / 4 (2x2 patches, as in diffusers' DreamLite pipeline):
    256 at 1024 px (mu 0.5)... and 16 for 8x8 nano latents (mu slightly below 0.5).
    """
    m = (max_shift - base_shift) / (max_seq_len - base_seq_len)
    return image_seq_len * m + base_shift - m * base_seq_len


def image_seq_len(latent_height: int, latent_width: int) -> int:
    """The sequence length the dynamic shift uses: (h * w) // 4 of the target latent (not the packed one)."""
    return latent_height * latent_width // 4


def make_scheduler(config=None):
    """A ``FlowMatchEulerDiscreteScheduler`` with the dynamic exponential shift, configured from ``NanoConfig``."""
    from diffusers import FlowMatchEulerDiscreteScheduler

    from .config import NanoConfig

    config = config or NanoConfig()
    return FlowMatchEulerDiscreteScheduler(
        num_train_timesteps=NUM_TRAIN_TIMESTEPS, use_dynamic_shifting=True, time_shift_type="exponential",
        base_image_seq_len=config.base_image_seq_len, max_image_seq_len=config.max_image_seq_len,
        base_shift=config.base_shift, max_shift=config.max_shift)


def set_sampling_timesteps(scheduler, num_inference_steps: int, latent_height: int, latent_width: int,
                           device="cpu"):
    """Call ``scheduler.set_timesteps`` for one sampling run (it keeps a step counter: call before EVERY run).

    sigmas = linspace(1, 1/N, N) as in ``DreamLitePipeline``, shifted by mu from :func:`calculate_shift`.
    Returns the timesteps (N,).
    """
    import numpy as np

    if num_inference_steps < 1:
        raise ValueError(f"num_inference_steps must be at least 1; got {num_inference_steps}")
    cfg = scheduler.config
    mu = calculate_shift(image_seq_len(latent_height, latent_width), cfg.get("base_image_seq_len", 256),
                         cfg.get("max_image_seq_len", 4096), cfg.get("base_shift", 0.5), cfg.get("max_shift", 1.16))
    sigmas = np.linspace(1.0, 1.0 / num_inference_steps, num_inference_steps)
    scheduler.set_timesteps(sigmas=sigmas, device=device, mu=mu)
    return scheduler.timesteps
