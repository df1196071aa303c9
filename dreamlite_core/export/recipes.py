"""Two Core ML recipes side by side: the DreamLite authors' export and Apple's for Stable Diffusion.

Implements: PAPER_FACTS.md "Deployment" as data (DreamLite arXiv 2603.28713 and its repository's export script;
apple/ml-stable-diffusion's README and ``torch2coreml.py``), and where this companion's export follows each.
Introduced in ``notebooks/10_coreml_iphone.py``.
"""

from __future__ import annotations

#: aspect -> (DreamLite authors, Apple ml-stable-diffusion, this companion). Sources: PAPER_FACTS.md "Deployment".
RECIPES: dict[str, tuple[str, str, str]] = {
    "model converted": ("U-Net and VAE (Core ML); text encoder Qwen3-VL-2B 4-bit via MLX (~0.8 GB)",
                        "text encoder(s), U-Net, VAE decoder/encoder, safety checker (all Core ML)",
                        "U-Net, VAE decoder, VAE encoder (edits), MiniLM text encoder (optional)"),
    "conversion": ("torch.jit.trace + coremltools.convert, ML program",
                   "torch.jit.trace + coremltools.convert, ML program",
                   "torch.jit.trace + coremltools.convert, ML program"),
    "compute precision": ("fp16", "fp16", "fp16"),
    "deployment target": ("iOS16", "macOS13 / iOS16 (iOS17+ for some compression)", "iOS16"),
    "attention implementation": ("diffusers' (SDPA), no rewrite",
                                 "ORIGINAL (GPU) or SPLIT_EINSUM / SPLIT_EINSUM_V2 (Neural Engine)",
                                 "diffusers' math with expand instead of repeat_interleave (traces with a flexible L)"),
    "chunking": ("none", "--chunk-unet for models over ~1 GB (iOS/iPadOS)", "none (0.39B fp16 is ~780 MB)"),
    "weight compression": ("none: fp16 weights", "6-bit palettization recommended minimum; mixed-bit recipes",
                           "fp16, int8, 6-bit, 4-bit, mixed 6/8-bit (all built and measured)"),
    "compute units": ("ALL", "CPU_AND_NE (split-einsum) or CPU_AND_GPU (original)", "ALL"),
    "text length": ("flexible 10..512, default 77", "fixed 77 tokens (CLIP)",
                    "flexible: 10..512 (full size), 4..64 (nano)"),
    "U-Net inputs": ("sample (1,4,128,256), timestep (1), encoder_hidden_states (1,L,2048), "
                     "encoder_attention_mask (1,L), time_ids (1,2)",
                     "sample (2,4,H/8,W/8) batched CFG, timestep (2), encoder_hidden_states (2,2048,1,77) "
                     "+ time_ids, text_embeds (SDXL)",
                     "the authors' five inputs, batch 1 (guidance = separate calls)"),
    "correctness gate": ("not stated", "PSNR >= 35 dB vs PyTorch (ABSOLUTE_MIN_PSNR)",
                         "Apple's PSNR and gate: Core ML on macOS, decompressed PyTorch weights elsewhere"),
    "device and speed": ("iPhone 17 Pro, ~3 s at 1024x1024, 4 steps; 8 GB+ RAM",
                         "SDXL on iPhone 15 Pro Max at 768x768 in ~31 s", "not measured (no iPhone here)"),
}


def recipe_rows() -> list[dict]:
    """The comparison as table rows: aspect, DreamLite (authors), Apple (ml-stable-diffusion), this companion."""
    return [{"aspect": k, "DreamLite (authors)": a, "Apple ml-stable-diffusion": b, "this companion": c}
            for k, (a, b, c) in RECIPES.items()]
