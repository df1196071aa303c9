"""Notebook 10 (Core ML on iPhone) under the smoke profile: its results JSON says what the export produced."""

from __future__ import annotations

import pytest

SLUG = "10_coreml_iphone"


@pytest.mark.notebooks
def test_notebook_10_exports_every_variant_with_the_authors_signature(smoke_results):
    m = smoke_results(SLUG)["metrics"]
    assert m["unet_inputs"] == ["sample", "timestep", "encoder_hidden_states", "encoder_attention_mask", "time_ids"]
    assert m["unet_outputs"] == ["noise_pred"]
    assert m["text_length_range"] and m["text_length_range"][0][0] < m["text_length_range"][0][1]
    sizes = m["nano_sizes_bytes"]
    assert set(sizes) == {"fp16", "int8", "mixed", "pal6", "pal4"}
    assert sizes["fp16"] > sizes["int8"] > sizes["pal6"] > sizes["pal4"] > 0


@pytest.mark.notebooks
def test_notebook_10_parity_table_and_gate(smoke_results):
    m = smoke_results(SLUG)["metrics"]
    psnr = m["psnr_db"]
    assert psnr["fp32"] > 150  # Apple's PSNR of a tensor with itself is capped, not infinite
    assert psnr["fp16"] > psnr["int8"] > psnr["pal4"] and psnr["pal6"] > psnr["pal4"]
    assert m["passes_apple_gate"]["fp16"] is True
    assert m["recommended_variant"] in sizes_passing(m)


def sizes_passing(m):
    return [v for v, ok in m["passes_apple_gate"].items() if ok and v != "fp32"]


@pytest.mark.notebooks
def test_notebook_10_full_size_is_estimated_under_smoke_and_latency_is_a_range(smoke_results):
    m = smoke_results(SLUG)["metrics"]
    assert m["full_size_params"] == 389_968_388
    est = m["full_size_estimate_mb"]
    assert est["fp16"] == pytest.approx(779.9, abs=0.1) and est["fp16"] > est["pal6"] > est["pal4"]
    assert m["full_size_measured"] is False and m["full_size_wall_s"] is None  # skipped under smoke
    assert 0 < m["latency_low_s"] < m["latency_high_s"]
    assert m["geneval_skipped_reason"]  # smoke never scores the variants
