"""DreamLite-Nano: the paper's unified generate-and-edit model at ShapesWorld scale (32x32 scenes, CPU).

Implements: DreamLite (arXiv 2603.28713): in-context spatial concatenation ``[noisy target | condition]``, the task
prefixes, the flow-matching objective and sampler, the U-Net design (pruned from an SDXL-shaped parent), the
TAESD-family VAE and a frozen text encoder, wrapped in ``DreamLiteNanoPipeline``. Introduced in
``notebooks/03_in_context_concatenation.py``; trained in notebooks 04-06 (``dreamlite_core.train``).

Heavy modules (torch, diffusers, transformers) load on first use of a name, so ``import dreamlite_core.nano``
is cheap (the CLI relies on it).
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "NanoConfig": "config",
    "nano_unet_config": "unet", "nano_parent_config": "unet", "build_nano_unet": "unet",
    "build_nano_parent": "unet", "count_parameters": "unet", "parameter_table": "unet",
    "parameters_by_kind": "unet",
    "NanoTextEncoder": "text", "NULL_PROMPT": "text", "minilm_path": "text", "load_minilm": "text",
    "build_nano_vae": "vae", "train_nano_vae": "vae", "encode_images": "vae", "decode_latents": "vae",
    "pack_latents": "vae", "unpack_latents": "vae", "latent_packing_of": "vae",
    "load_or_train_vae": "vae", "nano_vae_artifact": "vae", "load_vae": "vae", "vae_metrics": "vae",
    "psnr": "vae", "round_trip": "vae", "set_latent_scaling": "vae", "vae_training_images": "vae",
    "validation_images": "vae", "VAETrainingError": "vae",
    "pack_in_context": "in_context", "target_half": "in_context", "condition_half": "in_context",
    "task_prompt": "in_context", "strip_task_prefix": "in_context", "TASKS": "in_context",
    "add_noise": "flow", "flow_matching_target": "flow", "flow_matching_loss": "flow", "object_cell_weights": "flow",
    "sample_sigmas": "flow",
    "time_ids_for": "flow", "in_context_velocity": "flow", "timesteps_from_sigmas": "flow", "calculate_shift": "flow",
    "make_scheduler": "flow",
    "set_sampling_timesteps": "flow", "image_seq_len": "flow",
    "DreamLiteNanoPipeline": "pipeline", "ModelFolderError": "pipeline", "save_image_atomic": "pipeline",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
