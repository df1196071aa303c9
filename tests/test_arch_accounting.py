"""Parameter, MAC and memory accounting on the meta device (dreamlite_core.arch.accounting; notebook 01)."""

from __future__ import annotations

import pytest
import torch

from dreamlite_core import paper
from dreamlite_core.arch.accounting import (activation_memory, analytic_macs, build_meta, count_params,
                                            count_transformer_blocks,
                                            measure_macs, params_by_stage, params_by_type, unet_cost)

NANO = dict(sample_size=16, block_out_channels=(16, 32, 64), layers_per_block=2, transformer_layers_per_block=(1, 1, 3),
            attention_head_dim=[1, 2, 4], cross_attention_dim=24, encoder_hid_dim=20,
            encoder_hid_dim_type="text_proj_rms", addition_embed_type="time", addition_time_embed_dim=16,
            projection_class_embeddings_input_dim=32, norm_num_groups=8, use_linear_projection=True, ff_mult=3)
SDXL_TINY = dict(sample_size=16, block_out_channels=(32, 64), layers_per_block=2, transformer_layers_per_block=(1, 2),
                 down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
                 up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), attention_head_dim=[2, 4],
                 cross_attention_dim=32, norm_num_groups=8, use_linear_projection=True,
                 addition_embed_type="text_time", addition_time_embed_dim=8, projection_class_embeddings_input_dim=80)


pytestmark = pytest.mark.usefixtures("one_thread")


def test_exact_parameter_counts_of_sdxl_and_dreamlite_on_meta():
    sdxl = build_meta("UNet2DConditionModel", paper.SDXL_UNET_CONFIG)
    dreamlite = build_meta("DreamLiteUNetModel", paper.DREAMLITE_UNET_CONFIG)
    assert next(sdxl.parameters()).device.type == "meta"
    assert count_params(sdxl) == paper.SDXL_UNET_PARAMS == 2_567_463_684
    assert count_params(dreamlite) == paper.DREAMLITE_UNET_PARAMS == 389_968_388
    assert sum(params_by_stage(sdxl).values()) == paper.SDXL_UNET_PARAMS
    assert sum(params_by_type(sdxl).values()) == paper.SDXL_UNET_PARAMS


def test_dreamlite_breakdown_matches_the_published_totals():
    """PAPER_FACTS: by type 307.09M / 62.72M / 12.54M / 7.63M; by stage down 124.8M, mid 55.2M, up 202.4M."""
    model = build_meta("DreamLiteUNetModel", paper.DREAMLITE_UNET_CONFIG)
    t = params_by_type(model)
    transformer = t["self_attention"] + t["cross_attention"] + t["feed_forward"] + t["transformer_other"]
    assert round(transformer / 1e6, 2) == 307.09
    assert round(t["res_blocks"] / 1e6, 2) == 62.72
    assert round(t["samplers"] / 1e6, 2) == 12.54
    assert round(t["embeddings_io"] / 1e6, 2) == 7.63
    s = params_by_stage(model)
    assert round(sum(v for k, v in s.items() if k.startswith("down")) / 1e6, 1) == 124.8
    assert round(s["mid"] / 1e6, 1) == 55.2
    assert round(sum(v for k, v in s.items() if k.startswith("up")) / 1e6, 1) == 202.4
    assert count_transformer_blocks(model) == 36
    assert count_transformer_blocks(build_meta("UNet2DConditionModel", paper.SDXL_UNET_CONFIG)) == 70


@pytest.mark.parametrize("class_name, config, hw, text_len", [
    ("DreamLiteUNetModel", NANO, (8, 8), 5),
    ("DreamLiteUNetModel", NANO, (8, 16), 7),  # the in-context [target | condition] input
    ("DreamLiteUNetModel", {**NANO, "use_sep_conv": False, "num_kv_heads": None, "qk_norm": None,
                            "num_mid_layers": 2, "layers_per_block": 1}, (16, 8), 3),
    ("DreamLiteUNetModel", {**NANO, "down_block_types": ["DreamLiteDownBlock2D", "DreamLiteCrossAttnDownBlock2D",
                                                         "DreamLiteCrossAttnDownBlock2D"],
                            "up_block_types": ["DreamLiteCrossAttnUpBlock2D", "DreamLiteCrossAttnUpBlock2D",
                                               "DreamLiteUpBlock2D"]}, (8, 8), 4),
    ("UNet2DConditionModel", SDXL_TINY, (8, 16), 6),
])
def test_measured_macs_equal_the_analytic_count(class_name, config, hw, text_len):
    model = build_meta(class_name, config)
    measured = measure_macs(model, *hw, text_len=text_len)
    assert measured["total"] == analytic_macs(class_name, config, *hw, text_len=text_len)
    assert sum(measured["by_stage"].values()) == measured["total"]
    assert sum(measured["by_type"].values()) == measured["total"]
    assert min(measured["by_type"].values()) >= 0


def test_a_real_model_is_measured_like_its_config():
    """On real CPU tensors the fused attention kernel escapes FlopCounterMode; measure_macs must still count it."""
    torch.manual_seed(0)
    from diffusers import DreamLiteUNetModel
    real = DreamLiteUNetModel(**NANO).eval()
    assert measure_macs(real, 8, 16, 5)["total"] == analytic_macs("DreamLiteUNetModel", NANO, 8, 16, 5)


def test_dreamlite_in_context_call_costs_more_than_twice_the_plain_call():
    plain = analytic_macs("DreamLiteUNetModel", paper.DREAMLITE_UNET_CONFIG, 128, 128)
    in_context = analytic_macs("DreamLiteUNetModel", paper.DREAMLITE_UNET_CONFIG, 128, 256)
    assert 2 * plain < in_context < 2.3 * plain  # attention grows with the square of the tokens


def test_activation_memory_counts_attention_scores_exactly():
    """NANO at 8x8: self-attention only at the lowest level (2x2 = 4 tokens, 4 heads; 6 blocks down, 3 mid, 9 up);
    cross-attention everywhere except the last up level (L = 5 text tokens)."""
    model = build_meta("DreamLiteUNetModel", NANO)
    mem = activation_memory(model, 8, 8, text_len=5)
    n = {0: 64, 1: 16, 2: 4}
    heads = {0: 1, 1: 2, 2: 4}
    blocks = {0: (2 * 1, 0), 1: (2 * 1, 3 * 1), 2: (2 * 3, 3 * 3)}  # (down, up) blocks; the top up level has none
    cross = sum(heads[lv] * n[lv] * 5 * (d + u) for lv, (d, u) in blocks.items()) + 4 * 4 * 5 * 3
    self_ = heads[2] * 4 * 4 * (6 + 9 + 3)
    assert mem["attention_scores_bytes"] == 2 * (cross + self_)
    assert mem["leaf_outputs_bytes"] > 0 and mem["largest_tensor_bytes"] <= mem["leaf_outputs_bytes"]


def test_unet_cost_reports_fp16_weights():
    cost = unet_cost("nano", "DreamLiteUNetModel", NANO, 8, 16, text_len=5, with_activations=False)
    assert cost.weight_bytes_fp16 == 2 * cost.params
    assert cost.row()["latent"] == "8x16"


def test_a_config_diffusers_cannot_build_names_the_class():
    with pytest.raises(ValueError, match="diffusers cannot build DreamLiteUNetModel"):
        build_meta("DreamLiteUNetModel", {**NANO, "block_out_channels": (16, 32)})
    with pytest.raises(ValueError, match="no config field"):
        build_meta("DreamLiteUNetModel", {**NANO, "blok_out_channels": (16, 32, 64)})
    with pytest.raises(ValueError, match="unet class"):
        build_meta("UNet3D", NANO)
