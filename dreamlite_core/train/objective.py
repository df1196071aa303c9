"""The in-context flow-matching objective that every stage trains: text-to-image and editing in one batch.

Implements: DreamLite's unified objective (paper, "In-context spatial concatenation" and the rectified-flow loss;
PAPER_FACTS.md "The rest of the model"):

- x_t = (1 - s) x_0 + s eps, with s from ``sample_sigmas`` (logit-normal or uniform) and t = 1000 s;
- the U-Net input is ``pack_in_context(x_t, condition)``: condition = zeros for generation, the source latent for
  editing; the text is the task-prefixed caption's MiniLM states;
- L_fm = || v_theta(...)_left - (eps - x_0) ||^2 over the left (target) half only (``flow_matching_loss``).
- ours, off by default: ``object_weight`` > 0 weights the latent cells that hold objects by 1 + object_weight in
  the training loss (``flow.object_cell_weights``; notebook 04's recipe table measures it); validation losses stay
  unweighted.

Captions are dropped to the null caption with probability ``p_drop_text`` (classifier-free guidance for text, as the
pipeline's unconditional branch uses ``""``). For edits the source is kept when the caption is dropped: that is the
pipeline's image-conditioned, text-unconditioned branch. Introduced in ``notebooks/04_stage1_t2i.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .data import EditData, T2IData, gather_text


@dataclass
class ObjectiveConfig:
    """How a batch is drawn: the share of edit samples, caption dropout and the noise-level distribution."""

    edit_fraction: float = 0.0        # 0: stage 1 (text-to-image only); 1: stage 2 (edits only); between: stage 3
    p_drop_text: float = 0.1          # caption -> null caption (CFG)
    sigma_scheme: str = "logit_normal"
    logit_mean: float = 0.0
    logit_std: float = 1.0
    resolution: int = 32              # time_ids = [width, height] of the target image
    object_weight: float = 0.0        # > 0: object cells weigh 1 + this in the loss (ours; flow.object_cell_weights)
    latent_packing: int = 1           # the U-Net reads p x p patches of the VAE latents as channels (vae.pack_latents)


def _merge_text(a: tuple[torch.Tensor, torch.Tensor], b: tuple[torch.Tensor, torch.Tensor]):
    """Concatenate two (states, mask) batches along the batch axis, zero-padding the shorter caption length."""
    length = max(a[0].shape[1], b[0].shape[1])

    def pad(states, mask):
        extra = length - states.shape[1]
        if extra:
            states = torch.nn.functional.pad(states, (0, 0, 0, extra))
            mask = torch.nn.functional.pad(mask, (0, extra))
        return states, mask

    (sa, ma), (sb, mb) = pad(*a), pad(*b)
    return torch.cat([sa, sb]), torch.cat([ma, mb])


class InContextObjective:
    """``sample_batch`` draws text-to-image and edit samples (fraction ``edit_fraction``) from pre-encoded data;
    ``loss`` runs the U-Net on ``[x_t | condition]`` and returns the left-half flow-matching loss."""

    def __init__(self, config: ObjectiveConfig, t2i: T2IData | None = None, edits: EditData | None = None):
        if config.edit_fraction < 1.0 and t2i is None:
            raise ValueError(f"edit_fraction={config.edit_fraction} needs text-to-image data (t2i=None)")
        if config.edit_fraction > 0.0 and edits is None:
            raise ValueError(f"edit_fraction={config.edit_fraction} needs edit data (edits=None)")
        self.config, self.t2i, self.edits = config, t2i, edits

    def _part(self, data: T2IData, n: int, generator: torch.Generator, edit: bool):
        index = torch.randint(len(data), (n,), generator=generator)
        caption = data.caption_index[index].clone()
        drop = torch.rand(n, generator=generator) < self.config.p_drop_text
        caption[drop] = 0  # caption 0 is the null caption
        from ..nano import pack_latents

        latents = pack_latents(data.latents[index].float(), self.config.latent_packing)
        condition = (pack_latents(data.source_latents[index].float(), self.config.latent_packing) if edit
                     else torch.zeros_like(latents))
        return latents, condition, gather_text(data.states, data.lengths, caption)

    def sample_batch(self, batch_size: int, generator: torch.Generator) -> dict:
        from ..nano import sample_sigmas

        c = self.config
        n_edit = int(round(batch_size * c.edit_fraction))
        if 0.0 < c.edit_fraction < 1.0:  # stochastic rounding keeps the expected share exact for any batch size
            n_edit = int(torch.binomial(torch.tensor(float(batch_size)), torch.tensor(c.edit_fraction),
                                        generator=generator))
        parts = []
        if batch_size - n_edit:
            parts.append(self._part(self.t2i, batch_size - n_edit, generator, edit=False))
        if n_edit:
            parts.append(self._part(self.edits, n_edit, generator, edit=True))
        latents = torch.cat([p[0] for p in parts])
        condition = torch.cat([p[1] for p in parts])
        text = parts[0][2] if len(parts) == 1 else _merge_text(parts[0][2], parts[1][2])
        noise = torch.randn(latents.shape, generator=generator)
        sigmas = sample_sigmas(batch_size, generator=generator, scheme=c.sigma_scheme, logit_mean=c.logit_mean,
                               logit_std=c.logit_std)
        return {"latents": latents, "condition": condition, "encoder_hidden_states": text[0],
                "encoder_attention_mask": text[1], "noise": noise, "sigmas": sigmas,
                "is_edit": torch.arange(batch_size) >= batch_size - n_edit}

    def loss(self, model, batch: dict, generator: torch.Generator) -> torch.Tensor:
        """Eq. L_fm: mean || v_theta([x_t | c], 1000 s, text)_left - (eps - x_0) ||^2."""
        from ..nano import add_noise, flow_matching_loss, object_cell_weights, pack_in_context, time_ids_for

        device = next(model.parameters()).device
        batch = {k: v.to(device) for k, v in batch.items()}
        noisy = add_noise(batch["latents"], batch["noise"], batch["sigmas"])        # x_t = (1 - s) x0 + s eps
        packed = pack_in_context(noisy, batch["condition"])                          # [x_t | condition]
        n = packed.shape[0]
        pred = model(packed, batch["sigmas"] * 1000.0, encoder_hidden_states=batch["encoder_hidden_states"],
                     encoder_attention_mask=batch["encoder_attention_mask"],
                     added_cond_kwargs={"time_ids": time_ids_for(n, self.config.resolution, device=device)}).sample
        cells = None
        if self.config.object_weight:  # not the paper's loss: up-weight the cells that hold objects (ours)
            cells = object_cell_weights(batch["latents"], self.config.object_weight)
        return flow_matching_loss(pred, batch["latents"], batch["noise"], cell_weights=cells)  # left half only


@torch.no_grad()
def validation_loss(model, objective: InContextObjective, batches: int = 4, batch_size: int = 128,
                    seed: int = 1234) -> float:
    """The objective's loss on fixed draws (seeded), with fixed sigmas: a cheap, comparable validation number."""
    total = 0.0
    for i in range(batches):
        g = torch.Generator().manual_seed(seed + i)
        batch = objective.sample_batch(batch_size, g)
        total += float(objective.loss(model, batch, g))
    return total / batches
