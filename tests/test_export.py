"""Core ML export (dreamlite_core.export): signature, idempotency, compression, parity and bad input.

One tiny ``DreamLiteUNetModel`` is converted once per session (module fixture); every other test reuses its package.
"""

from __future__ import annotations

import platform

import numpy as np
import pytest
import torch

ct = pytest.importorskip("coremltools")

from dreamlite_core.export import (APPLE_MIN_PSNR, OUTPUT_NAMES, UNET_INPUTS, CoreMLAttnProcessor,  # noqa: E402
                                   CoreMLUnavailable, PredictionUnavailable, UNetForCoreML, UNetSignature,
                                   compress_package, count_ops, example_unet_inputs, export_unet, predict, psnr,
                                   read_signature, require_coremltools, unet_parity)
from dreamlite_core.export.compression import (VARIANTS, compress_torch_model, coremltools_palettize,  # noqa: E402
                                               estimate_size_bytes, kmeans_lut, linear_quantize, palettize)

#: A DreamLite U-Net small enough to convert in seconds, with some tensors above coremltools' 2048-element threshold.
TINY = dict(sample_size=4, in_channels=4, out_channels=4, block_out_channels=(16, 32, 64), layers_per_block=1,
            transformer_layers_per_block=(1, 1, 1), attention_head_dim=[1, 1, 2], cross_attention_dim=64,
            encoder_hid_dim=64, encoder_hid_dim_type="text_proj_rms", addition_embed_type="time",
            addition_time_embed_dim=8, projection_class_embeddings_input_dim=16, norm_num_groups=4,
            use_linear_projection=True, ff_mult=3, num_kv_heads=1)
LENGTHS = dict(min_length=4, max_length=32, default_length=8)


def tiny_unet(seed: int = 0):
    from diffusers import DreamLiteUNetModel

    torch.manual_seed(seed)
    unet = DreamLiteUNetModel(**TINY).eval()
    with torch.no_grad():  # non-zero biases and norms, so no tensor is trivially compressible
        for p in unet.parameters():
            p.add_(0.02 * torch.randn_like(p))
    return unet


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("coreml")
    unet = tiny_unet()
    signature = UNetSignature.for_unet(unet, **LENGTHS)
    fp16 = export_unet(unet, folder, signature)
    variants = {name: compress_package(fp16, name, kmeans="ours", fast=True) for name in VARIANTS if name != "fp16"}
    return {"folder": folder, "unet": tiny_unet(), "signature": signature, "fp16": fp16, "variants": variants}


def test_coreml_attention_processor_matches_diffusers_and_respects_the_mask():
    unet = tiny_unet()
    signature = UNetSignature.for_unet(unet, **LENGTHS)
    sample, t, states, mask, time_ids = example_unet_inputs(signature, length=12)
    with torch.no_grad():
        reference = unet(sample, t, encoder_hidden_states=states, encoder_attention_mask=mask,
                         added_cond_kwargs={"time_ids": time_ids}).sample
        wrapper = UNetForCoreML(unet)
        ours = wrapper(sample, t, states, mask, time_ids)
        unmasked = wrapper(sample, t, states, torch.ones_like(mask), time_ids)
    assert isinstance(next(iter(unet.attn_processors.values())), CoreMLAttnProcessor)
    torch.testing.assert_close(ours, reference, atol=1e-5, rtol=1e-5)
    assert (ours - unmasked).abs().max() > 1e-4  # the padded tokens are really masked out


def test_unet_converts_with_authors_signature_and_flexible_length(exported):
    sig = read_signature(exported["fp16"].path)
    assert tuple(sig["inputs"]) == UNET_INPUTS
    assert sig["inputs"]["sample"]["shape"] == [1, 4, 4, 8]  # [target | condition]: twice as wide as high
    assert sig["inputs"]["timestep"]["shape"] == [1]
    assert sig["inputs"]["time_ids"]["shape"] == [1, 2]
    assert sig["inputs"]["encoder_hidden_states"]["range"] == [(1, 1), (4, 32), (64, 64)]
    assert sig["inputs"]["encoder_attention_mask"]["range"] == [(1, 1), (4, 32)]
    assert sig["inputs"]["encoder_hidden_states"]["shape"] == [1, 8, 64]  # default length
    assert tuple(sig["outputs"]) == OUTPUT_NAMES["unet"] == ("noise_pred",)
    assert sig["metadata"]["dreamlite.key"] == exported["fp16"].key
    ops = count_ops(exported["fp16"].path)
    assert ops["conv"] > 0 and ops["linear"] > 0


def test_second_export_is_a_noop(exported):
    path = exported["fp16"].path
    mtime = path.stat().st_mtime_ns
    again = export_unet(exported["unet"], exported["folder"], exported["signature"])
    assert again.skipped and again.path == path and path.stat().st_mtime_ns == mtime
    again_variant = compress_package(again, "pal4", kmeans="ours", fast=True)
    assert again_variant.skipped and again_variant.path == exported["variants"]["pal4"].path


def test_changed_weights_change_the_package_name(exported, tmp_path):
    other = export_unet(tiny_unet(seed=1), tmp_path, exported["signature"])
    assert other.key != exported["fp16"].key and not other.skipped


def test_size_table_orders_fp16_int8_6bit_4bit(exported):
    size = {name: r.size_bytes for name, r in exported["variants"].items()}
    size["fp16"] = exported["fp16"].size_bytes
    assert size["fp16"] > size["int8"] > size["pal6"] > size["pal4"]
    assert size["int8"] > size["mixed"] > size["pal6"]  # 8-bit convs, 6-bit linears


def test_palettized_weights_have_at_most_2_pow_bits_values_per_tensor():
    unet = tiny_unet()
    for name, nbits in (("pal4", 4), ("pal6", 6)):
        compressed = compress_torch_model(unet, name)
        big = [(n, p) for n, p in compressed.named_parameters() if p.numel() > 2048]
        assert big, "the tiny U-Net must have tensors above the threshold"
        for n, p in big:
            assert torch.unique(p).numel() <= 2 ** nbits, n
        for (n, p), (_, q) in zip(compressed.named_parameters(), unet.named_parameters()):
            if p.numel() <= 2048:  # below the threshold: fp16 rounding only
                torch.testing.assert_close(p, q.half().float(), atol=0, rtol=0)


def test_mixed_variant_gives_linear_6_bits_and_conv_8_bits():
    compressed = compress_torch_model(tiny_unet(), "mixed")
    for module in compressed.modules():
        if isinstance(module, (torch.nn.Linear, torch.nn.Conv2d)) and module.weight.numel() > 2048:
            limit = 64 if isinstance(module, torch.nn.Linear) else 256
            assert torch.unique(module.weight).numel() <= limit


def test_int8_is_symmetric_per_output_channel():
    w = np.array([[0.5, -1.0, 0.25], [2.0, 1.0, -0.5]], dtype=np.float32)
    q = linear_quantize(w, 8, axis=0)
    scale = np.array([[1.0 / 127], [2.0 / 127]], dtype=np.float32).astype(np.float16).astype(np.float32)
    np.testing.assert_allclose(q, np.round(w / scale) * scale, rtol=0, atol=0)
    assert q[0, 1] == pytest.approx(-1.0, abs=1e-3) and q[1, 0] == pytest.approx(2.0, abs=2e-3)


def test_kmeans_lut_is_exact_for_few_values_and_close_to_coremltools():
    few = np.repeat(np.array([-1.0, 0.0, 0.5, 3.0], dtype=np.float32), 100)
    lut, idx = kmeans_lut(few, 2)
    np.testing.assert_array_equal(lut[idx], few)
    rng = np.random.default_rng(0)
    w = rng.standard_normal(20_000).astype(np.float32) * 0.05
    w16 = w.astype(np.float16).astype(np.float32)
    ours = ((palettize(w, 4) - w16) ** 2).sum()
    theirs = ((coremltools_palettize(w, 4) - w16) ** 2).sum()
    assert ours <= 1.05 * theirs  # coremltools' 1-D solver is optimal; ours within 5% of it


def test_psnr_follows_apples_definition_and_caps_identity():
    b = np.array([1.0, -2.0, 0.5, 0.0])
    a = b + np.array([0.1, -0.1, 0.1, -0.1])
    assert psnr(a, b) == pytest.approx(20 * np.log10((2.0 + 1e-5) / (0.1 + 1e-10)))
    assert psnr(b, b) == pytest.approx(20 * np.log10((2.0 + 1e-5) / 1e-10))  # ~206 dB: capped, not infinite
    with pytest.raises(ValueError, match="equal shapes"):
        psnr(a[:3], b)


def test_parity_psnr_of_4_bit_is_below_8_bit_and_reference_is_capped(exported):
    rows = {r["variant"]: r for r in unet_parity(exported["unet"], exported["signature"],
                                                 variants=("fp16", "int8", "pal4"), timesteps=(500.0,),
                                                 fp16_compute=False)}
    assert rows["fp32"]["psnr_weights_db"] > 150
    assert rows["fp16"]["psnr_weights_db"] > rows["int8"]["psnr_weights_db"] > rows["pal4"]["psnr_weights_db"]
    assert rows["fp16"]["passes_apple_gate"] and rows["fp16"]["psnr_weights_db"] > APPLE_MIN_PSNR


def test_estimate_of_full_size_package_matches_parameter_count():
    from diffusers import DreamLiteUNetModel

    from dreamlite_core import paper

    with torch.device("meta"):
        unet = DreamLiteUNetModel(**paper.DREAMLITE_UNET_CONFIG)
    fp16 = estimate_size_bytes(unet, "fp16")
    assert fp16 == 2 * paper.DREAMLITE_UNET_PARAMS
    int8, pal6, pal4 = (estimate_size_bytes(unet, v) for v in ("int8", "pal6", "pal4"))
    assert fp16 > int8 > pal6 > pal4


def test_numpy_2_4_is_refused_with_the_fix(monkeypatch):
    monkeypatch.setattr(np, "__version__", "2.4.0")
    with pytest.raises(CoreMLUnavailable, match=r"numpy<2\.4.*|apple/coremltools#2633"):
        require_coremltools()


def test_full_size_export_refuses_when_memory_is_short(monkeypatch, tmp_path):
    from dreamlite_core.export import fullsize

    monkeypatch.setattr(fullsize, "free_memory_gib", lambda: 1.5)
    with pytest.raises(fullsize.NotEnoughMemory, match="full_size = false"):
        fullsize.run_full_size_export(tmp_path, variants=["fp16"], min_free_gib=6.0)
    assert not any(tmp_path.iterdir())  # refused before writing anything


@pytest.mark.skipif(platform.system() == "Darwin", reason="on macOS prediction is available")
def test_predict_off_macos_raises_a_clear_error(exported):
    with pytest.raises(PredictionUnavailable, match="needs macOS"):
        predict(exported["fp16"].path, {})


@pytest.mark.skipif(platform.system() != "Darwin",
                    reason="Core ML prediction (MLModel.predict) needs macOS; on Linux parity is measured on "
                           "decompressed PyTorch weights (test_parity_psnr_of_4_bit_is_below_8_bit...)")
def test_coreml_predict_passes_apples_gate(exported):
    unet = UNetForCoreML(tiny_unet()).eval()
    for length in (4, 8, 32):  # the flexible text length, both ends and the default
        inputs = example_unet_inputs(exported["signature"], length=length)
        with torch.no_grad():
            reference = unet(*inputs).numpy()
        feed = dict(zip(UNET_INPUTS, (x.numpy() for x in inputs)))
        out = predict(exported["fp16"].path, feed)["noise_pred"]
        assert psnr(out, reference) >= APPLE_MIN_PSNR


def test_package_key_ignores_diffusers_private_config_keys():
    from dreamlite_core.export.coreml import export_key

    a = export_key("unet", {"sample_size": 4, "_use_default_values": ["x", "y"]}, "digest", {"L": 8})
    b = export_key("unet", {"sample_size": 4, "_use_default_values": ["y", "x"]}, "digest", {"L": 8})
    c = export_key("unet", {"sample_size": 8, "_use_default_values": ["x", "y"]}, "digest", {"L": 8})
    assert a == b != c  # stable across processes (diffusers stores that list from a set)


def test_the_vae_export_reads_the_unpacked_latent_of_a_packed_unet():
    """The export's packing factor (by which it sizes the VAE's unpacked latent): 2 for a U-Net with 4x the VAE's
    channels, 1 for equal channels; a pair whose channels do not fit is refused."""
    from types import SimpleNamespace

    from dreamlite_core.export.nano import NanoComponents

    def part(**config):
        return SimpleNamespace(config=SimpleNamespace(**config))

    def components(unet_channels, vae_channels):
        return NanoComponents(part(in_channels=unet_channels), part(latent_channels=vae_channels), None, None, None,
                              False, "test", "")

    assert components(16, 4).latent_packing == 2 and components(16, 16).latent_packing == 1
    with pytest.raises(ValueError, match="not trained together"):
        components(12, 4).latent_packing
