"""Core ML deployment of DreamLite: export per component, weight compression, parity, full-size export.

Implements: the deployment section of DreamLite (arXiv 2603.28713; PAPER_FACTS.md "Deployment") and Apple's Core ML
recipe for Stable Diffusion beside it. Introduced in ``notebooks/10_coreml_iphone.py``. May import ``nano``,
``arch`` and ``paper``.
"""

from .compression import VARIANTS, Compression, Variant, compress_torch_model, get_variant, kmeans_lut
from .coreml import (OUTPUT_NAMES, UNET_INPUTS, CoreMLAttnProcessor, CoreMLUnavailable, ExportResult,
                     PredictionUnavailable, UNetForCoreML, UNetSignature, can_predict, compress_package, count_ops,
                     example_unet_inputs, export_text_encoder, export_unet, export_vae_decoder, export_vae_encoder,
                     package_size_bytes, predict, read_signature, require_coremltools)
from .parity import APPLE_MIN_PSNR, psnr, recommend, unet_parity

__all__ = ["APPLE_MIN_PSNR", "OUTPUT_NAMES", "UNET_INPUTS", "VARIANTS", "Compression", "CoreMLAttnProcessor",
           "CoreMLUnavailable", "ExportResult", "PredictionUnavailable", "UNetForCoreML", "UNetSignature", "Variant",
           "can_predict", "compress_package", "compress_torch_model", "count_ops", "example_unet_inputs",
           "export_text_encoder", "export_unet", "export_vae_decoder", "export_vae_encoder", "get_variant",
           "kmeans_lut", "package_size_bytes", "predict", "psnr", "read_signature", "recommend",
           "require_coremltools", "unet_parity"]
