"""The iPhone latency model (dreamlite_core.arch.latency; notebook 01, reused by notebook 10)."""

from __future__ import annotations

import pytest

from dreamlite_core.arch.latency import (A19_PRO, DeviceAssumptions, NetworkCost, iphone_latency, latency_breakdown,
                                         text_encoder_latency)

TOY = DeviceAssumptions(name="toy", compute_tflops=(("gpu", 1.0), ("neural_engine", 4.0)), memory_bandwidth_gbs=10.0,
                        utilisation=(0.5, 1.0), bandwidth_utilisation=(0.5, 1.0), sources="test")
UNET = NetworkCost("unet", macs=500_000_000_000, weight_bytes=1_000_000_000, activation_bytes=2_000_000_000,
                   attention_score_bytes=500_000_000)
DECODER = NetworkCost("decoder", macs=100_000_000_000, weight_bytes=0, activation_bytes=1_000_000_000)


def test_roofline_by_hand_on_a_toy_device():
    # one U-Net call: low = max(1e12 FLOP / 4e12, 3e9 B / 1e10) = 0.3 s;
    # high = 1e12 / 0.5e12 + (1e9 + 2 * 2e9 + 2 * 0.5e9) / 0.5e10 = 3.2 s
    # decoder: low = max(2e11 / 4e12, 1e9 / 1e10) = 0.1 s; high = 2e11 / 0.5e12 + 2e9 / 0.5e10 = 0.8 s
    low, high = iphone_latency(UNET, DECODER, steps=4, device=TOY)
    assert low == pytest.approx(4 * 0.3 + 0.1)
    assert high == pytest.approx(4 * 3.2 + 0.8)


def test_pinning_a_compute_unit_narrows_the_range():
    full = iphone_latency(UNET, DECODER, device=TOY)
    gpu = iphone_latency(UNET, DECODER, device=TOY, compute_unit="gpu")
    ane = iphone_latency(UNET, DECODER, device=TOY, compute_unit="neural_engine")
    assert full.low == min(gpu.low, ane.low) and full.high == max(gpu.high, ane.high)
    with pytest.raises(ValueError, match="compute_unit"):
        iphone_latency(UNET, DECODER, device=TOY, compute_unit="tpu")


def test_latency_grows_with_steps_and_macs_and_breakdown_adds_up():
    one, four = iphone_latency(UNET, DECODER, 1), iphone_latency(UNET, DECODER, 4)
    assert four.low > one.low and four.high > one.high and one.low <= one.high
    bigger = NetworkCost("unet", UNET.macs * 2, UNET.weight_bytes, UNET.activation_bytes)
    assert iphone_latency(bigger, DECODER).high > iphone_latency(UNET, DECODER).high
    rows = latency_breakdown(UNET, DECODER, steps=4, device=A19_PRO)
    assert rows[-1]["low_s"] == pytest.approx(rows[1]["low_s"] + rows[2]["low_s"])
    assert rows[-1]["high_s"] == pytest.approx(rows[1]["high_s"] + rows[2]["high_s"])
    with pytest.raises(ValueError, match="steps"):
        iphone_latency(UNET, DECODER, steps=0)


def test_text_encoder_prefill_is_weight_bound_at_four_bits():
    low, high = text_encoder_latency(2_000_000_000, tokens=1, bits=4, device=TOY)
    assert low == pytest.approx(1e9 / 1e10)  # 1 GB of 4-bit weights at 10 GB/s


def test_device_assumptions_name_their_sources():
    assert A19_PRO.sources and "assumption" in A19_PRO.sources
    assert dict(A19_PRO.compute_tflops).keys() == {"gpu", "neural_engine"}


def test_network_cost_of_a_small_unet_and_taesdxl_decoder():
    from dreamlite_core.arch.accounting import analytic_macs, build_meta
    from dreamlite_core.arch.latency import taesdxl_decoder_cost, unet_network_cost

    config = dict(sample_size=8, block_out_channels=(16, 32, 64), layers_per_block=1,
                  transformer_layers_per_block=(1, 1, 1), attention_head_dim=[1, 2, 4], cross_attention_dim=24,
                  encoder_hid_dim=20, encoder_hid_dim_type="text_proj_rms", addition_embed_type="time",
                  addition_time_embed_dim=16, projection_class_embeddings_input_dim=32, norm_num_groups=8,
                  use_linear_projection=True, ff_mult=3)
    model = build_meta("DreamLiteUNetModel", config)
    cost = unet_network_cost(model, (8, 16), text_len=5)
    assert cost.macs == analytic_macs("DreamLiteUNetModel", config, 8, 16, 5)
    assert cost.weight_bytes == 2 * sum(p.numel() for p in model.parameters())
    assert cost.activation_bytes > 0 and cost.attention_score_bytes > 0
    decoder = taesdxl_decoder_cost((8, 8))
    assert decoder.weight_bytes == 2 * 1_222_531  # TAESDXL's decoder: about 1.22M parameters (PAPER_FACTS)
    assert decoder.macs > 0
