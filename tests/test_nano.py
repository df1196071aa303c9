"""Unit tests of DreamLite-Nano's components (dreamlite_core.nano): packing, objective, schedule, U-Net, VAE, text."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dreamlite_core import paper
from dreamlite_core.nano import (NanoConfig, add_noise, build_nano_unet, build_nano_vae, calculate_shift,
                                 decode_latents, encode_images, flow_matching_loss, flow_matching_target,
                                 make_scheduler, nano_unet_config, object_cell_weights, pack_in_context, pack_latents,
                                 sample_sigmas, set_sampling_timesteps, target_half, task_prompt, time_ids_for,
                                 unpack_latents)
from dreamlite_core.nano.in_context import condition_half, strip_task_prefix

TINY = NanoConfig(block_out_channels=(16, 32, 32), attention_head_dim=(1, 1, 2), cross_attention_dim=16,
                  addition_time_embed_dim=8, text_hidden_dim=32, vae_width=16, latent_channels=4,
                  parent_block_out_channels=(24, 48, 48), parent_cross_attention_dim=24,
                  parent_transformer_layers_per_block=(1, 2, 3))


# ---------------------------------------------------------------- in-context packing and prefixes
def test_pack_in_context_shapes_and_zero_condition_for_generation():
    torch.manual_seed(0)
    target = torch.randn(3, 8, 8, 8)
    packed = pack_in_context(target)
    assert packed.shape == (3, 8, 8, 16)
    assert torch.equal(target_half(packed), target)
    assert torch.count_nonzero(condition_half(packed)) == 0  # generation: the condition half is exactly zero


def test_pack_in_context_keeps_the_edit_source_on_the_right():
    torch.manual_seed(0)
    target, source = torch.randn(2, 4, 8, 8), torch.randn(2, 4, 8, 8)
    packed = pack_in_context(target, source)
    assert torch.equal(packed[..., :8], target) and torch.equal(packed[..., 8:], source)
    with pytest.raises(ValueError, match="shape"):
        pack_in_context(target, source[..., :4])


def test_task_prompts_use_the_papers_prefixes_verbatim():
    assert task_prompt("generate", "a red circle") == "[Generate]: a red circle"
    edit = task_prompt("edit", "the circle turned blue")
    assert edit == paper.TASK_PREFIX_EDIT + "the circle turned blue"
    assert edit.startswith("[Edit]: A diptych with two side-by-side images of the same scene. Compared to the right "
                           "side, the left one has ")
    assert strip_task_prefix(edit) == "the circle turned blue"
    with pytest.raises(ValueError, match="unknown task"):
        task_prompt("inpaint", "x")


# ---------------------------------------------------------------- flow matching
def test_add_noise_endpoints_and_midpoint():
    torch.manual_seed(0)
    x0, eps = torch.randn(3, 4, 8, 8), torch.randn(3, 4, 8, 8)
    s = torch.tensor([0.0, 1.0, 0.25])
    xt = add_noise(x0, eps, s)
    assert torch.equal(xt[0], x0[0])  # s = 0 -> x0
    assert torch.equal(xt[1], eps[1])  # s = 1 -> eps
    assert torch.allclose(xt[2], 0.75 * x0[2] + 0.25 * eps[2])
    assert torch.equal(flow_matching_target(x0, eps), eps - x0)


def test_loss_covers_only_the_left_half():
    torch.manual_seed(0)
    x0, eps = torch.randn(2, 4, 8, 8), torch.randn(2, 4, 8, 8)
    pred = torch.randn(2, 4, 8, 16, requires_grad=True)
    loss = flow_matching_loss(pred, x0, eps)
    changed = pred.detach().clone()
    changed[..., 8:] = 1e3 * torch.randn(2, 4, 8, 8)  # any right half
    assert torch.equal(flow_matching_loss(changed, x0, eps), loss.detach())
    loss.backward()
    assert torch.count_nonzero(pred.grad[..., 8:]) == 0 and torch.count_nonzero(pred.grad[..., :8]) > 0
    expected = ((pred.detach()[..., :8] - (eps - x0)) ** 2).mean()
    assert torch.allclose(loss.detach(), expected)
    perfect = pack_in_context(eps - x0, torch.randn(2, 4, 8, 8))
    assert flow_matching_loss(perfect, x0, eps).item() == 0.0


def test_object_cell_weights_mark_the_cells_that_differ_from_the_background():
    x0 = torch.full((2, 4, 8, 8), 0.3)
    x0[0, :, 2, 5] = 1.5  # one object cell in sample 0; sample 1 is all background
    x0[1] += 0.2  # a background of its own: still no object
    w = object_cell_weights(x0, 4.0)
    assert w.shape == (2, 1, 8, 8)
    assert w[0, 0, 2, 5] == 5.0 and (w[0] == 5.0).sum() == 1 and torch.all(w[1] == 1.0)
    assert torch.equal(object_cell_weights(x0, 0.0), torch.ones(2, 1, 8, 8))


def test_cell_weighted_loss_is_a_weighted_mean_of_the_left_half():
    torch.manual_seed(0)
    x0, eps = torch.randn(2, 4, 8, 8), torch.randn(2, 4, 8, 8)
    pred = torch.randn(2, 4, 8, 16)
    plain = flow_matching_loss(pred, x0, eps)
    assert torch.allclose(flow_matching_loss(pred, x0, eps, cell_weights=torch.full((2, 1, 8, 8), 3.0)), plain)
    only = torch.zeros(2, 1, 8, 8)
    only[:, :, 1, 2] = 1.0  # all weight on one cell: the loss is that cell's error
    err = (pred[..., :8] - (eps - x0)) ** 2
    assert torch.allclose(flow_matching_loss(pred, x0, eps, cell_weights=only), err[:, :, 1, 2].mean())


def test_sample_sigmas_schemes_are_seeded_and_in_range():
    a = sample_sigmas(1000, torch.Generator().manual_seed(1), scheme="logit_normal")
    b = sample_sigmas(1000, torch.Generator().manual_seed(1), scheme="logit_normal")
    assert torch.equal(a, b) and a.dtype == torch.float32 and a.shape == (1000,)
    assert 0 < a.min() and a.max() < 1 and abs(a.median().item() - 0.5) < 0.05
    u = sample_sigmas(4000, torch.Generator().manual_seed(1), scheme="uniform")
    assert abs(u.mean().item() - 0.5) < 0.02 and (u < 0.1).float().mean() > 0.08  # flat, unlike logit-normal
    assert (a < 0.1).float().mean() < 0.03
    with pytest.raises(ValueError, match="unknown sigma scheme"):
        sample_sigmas(2, scheme="beta")


def test_time_ids_are_width_height_of_the_target():
    ids = time_ids_for(3, 32)
    assert ids.shape == (3, 2) and ids.tolist() == [[32.0, 32.0]] * 3
    assert time_ids_for(1, (48, 32)).tolist() == [[48.0, 32.0]]


def test_sampling_timesteps_match_diffusers_dreamlite_pipeline():
    from diffusers.pipelines.dreamlite.pipeline_dreamlite import calculate_shift as dl_shift
    from diffusers.pipelines.dreamlite.pipeline_dreamlite import retrieve_timesteps

    for steps, size in ((28, 8), (4, 8), (4, 128)):
        ours = make_scheduler()
        got = set_sampling_timesteps(ours, steps, size, size).clone()
        ref = make_scheduler()
        mu = dl_shift(size * size // 4, 256, 4096, 0.5, 1.16)  # DreamLitePipeline: latents h*w // 4
        expected, _ = retrieve_timesteps(ref, steps, "cpu", sigmas=np.linspace(1.0, 1 / steps, steps), mu=mu)
        assert torch.allclose(got, expected)
        assert math.isclose(calculate_shift(size * size // 4), mu)
    # the exponential shift by hand: sigma' = e^mu / (e^mu + 1/s - 1), t = 1000 sigma'
    mu = calculate_shift(16)
    s = np.linspace(1.0, 1 / 4, 4)
    by_hand = 1000 * np.exp(mu) / (np.exp(mu) + 1 / s - 1)
    assert np.allclose(set_sampling_timesteps(make_scheduler(), 4, 8, 8).numpy(), by_hand, rtol=1e-5)
    # PAPER_FACTS: the 4 mobile timesteps at 1024 px are "about [1000, 905, 760, 513]"
    # (we get 1000, 905.4, 761.3, 515.3)
    assert np.allclose(set_sampling_timesteps(make_scheduler(), 4, 128, 128).numpy(), [1000, 905, 760, 513], atol=3)


def test_set_sampling_timesteps_resets_the_scheduler_between_runs():
    sched = make_scheduler()
    first = set_sampling_timesteps(sched, 3, 8, 8).clone()
    x = torch.zeros(1, 4, 8, 8)
    for t in sched.timesteps:
        x = sched.step(torch.ones_like(x), t, x).prev_sample
    assert torch.equal(set_sampling_timesteps(sched, 3, 8, 8), first) and sched.step_index is None


# ---------------------------------------------------------------- U-Net
def test_nano_unet_has_the_papers_block_types_and_runs_on_the_in_context_input():
    cfg = nano_unet_config()
    assert cfg["down_block_types"][:2] == ["DreamLiteCrossAttnNoSelfAttnDownBlock2D"] * 2  # cross-attention only
    assert cfg["down_block_types"][2] == "DreamLiteCrossAttnDownBlock2D"  # self-attention at the lowest level
    assert cfg["up_block_types"][-1] == "DreamLiteUpBlock2D"  # last up level: no attention
    assert (cfg["num_kv_heads"], cfg["qk_norm"], cfg["use_sep_conv"], cfg["ff_mult"]) == (1, "rms_norm", True, 3)
    assert cfg["encoder_hid_dim_type"] == "text_proj_rms" and cfg["encoder_hid_dim"] == 384
    assert cfg["projection_class_embeddings_input_dim"] == 2 * cfg["addition_time_embed_dim"]
    torch.manual_seed(0)
    unet = build_nano_unet(TINY, prune=False)
    x = torch.randn(2, TINY.unet_channels, TINY.latent_size, 2 * TINY.latent_size)
    text = torch.randn(2, 5, 32)
    out = unet(x, torch.tensor([10.0, 900.0]), encoder_hidden_states=text,
               encoder_attention_mask=torch.ones(2, 5, dtype=torch.long),
               added_cond_kwargs={"time_ids": time_ids_for(2, 32)}).sample
    assert out.shape == x.shape


def test_pruned_unet_inherits_the_parents_weights():
    pytest.importorskip("dreamlite_core.arch.pruning")
    from dreamlite_core.nano.unet import build_nano_parent, count_parameters, nano_parent_config

    parent = build_nano_parent(TINY)
    assert nano_parent_config(TINY)["block_out_channels"] == [24, 48, 48]
    child = build_nano_unet(TINY, parent=parent)
    assert child.config.block_out_channels == (16, 32, 32) or list(child.config.block_out_channels) == [16, 32, 32]
    assert count_parameters(child) < count_parameters(parent)
    assert torch.equal(child.conv_in.weight, parent.conv_in.weight[:16])  # rule "first": leading channels
    again = build_nano_unet(TINY)  # the parent is seeded: same child every time
    assert all(torch.equal(a, b) for a, b in zip(child.state_dict().values(), again.state_dict().values()))


def test_paper_variant_mirrors_the_authors_unet():
    from dreamlite_core.nano.unet import nano_unet_config as cfg_of

    cfg = cfg_of(NanoConfig.paper())
    for key in ("block_out_channels", "transformer_layers_per_block", "attention_head_dim", "cross_attention_dim",
                "encoder_hid_dim", "ff_mult", "num_kv_heads", "layers_per_block"):
        assert list(np.atleast_1d(cfg[key])) == list(np.atleast_1d(paper.DREAMLITE_UNET_CONFIG[key])), key
    from accelerate import init_empty_weights
    from diffusers import DreamLiteUNetModel

    with init_empty_weights():
        unet = DreamLiteUNetModel(**cfg)
    assert sum(p.numel() for p in unet.parameters()) == paper.DREAMLITE_UNET_PARAMS


def test_latent_packing_stacks_each_2x2_patch_along_channels_and_unpacks_exactly():
    z = torch.arange(2 * 4 * 16 * 16, dtype=torch.float32).reshape(2, 4, 16, 16)
    packed = pack_latents(z, 2)
    assert packed.shape == (2, 16, 8, 8)
    # channel c * 4 + 2 i + j of cell (y, x) holds the VAE latent's channel c at (2y + i, 2x + j)
    assert packed[1, 3 * 4 + 2 * 1 + 0, 5, 6] == z[1, 3, 11, 12]
    assert torch.equal(unpack_latents(packed, 2), z) and pack_latents(z, 1) is z and unpack_latents(z, 1) is z
    with pytest.raises(ValueError, match="does not divide"):
        pack_latents(z[..., :15], 2)
    with pytest.raises(ValueError, match="multiple of 4 channels"):
        unpack_latents(z[:, :3], 2)
    packed_config = TINY.replace(vae_downsample=2, latent_packing=2)
    assert (packed_config.vae_latent_size, packed_config.latent_size, packed_config.unet_channels) == (16, 8, 16)
    assert nano_unet_config(packed_config)["in_channels"] == nano_unet_config(packed_config)["out_channels"] == 16
    with pytest.raises(ValueError, match="does not divide"):
        TINY.replace(latent_packing=3).latent_size


# ---------------------------------------------------------------- VAE
def test_vae_downsamples_x2_and_latent_scaling_round_trips():
    torch.manual_seed(0)
    vae = build_nano_vae(TINY)
    vae.register_to_config(scaling_factor=2.5, shift_factor=0.1)
    images = (np.random.default_rng(0).random((3, 32, 32, 3)) * 255).astype(np.uint8)
    latents = encode_images(vae, images)
    assert latents.shape == (3, 4, 16, 16)  # NanoConfig's default geometry: x2, 4 channels
    with torch.no_grad():
        raw = vae.encode(torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1).latents
    assert torch.allclose(latents, (raw - 0.1) * 2.5, atol=1e-5)
    decoded = decode_latents(vae, latents)
    assert decoded.shape == (3, 32, 32, 3) and decoded.dtype == np.uint8
    with torch.no_grad():
        direct = vae.decode(raw).sample
    assert np.array_equal(decoded, ((direct.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy())


def test_loading_a_saved_vae_warns_only_about_keys_diffusers_did_not_write_itself(tmp_path):
    import json
    import logging

    from dreamlite_core.nano import load_vae

    class Collect(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())

    messages, handler = [], Collect()
    logger = logging.getLogger("diffusers.configuration_utils")
    logger.addHandler(handler)
    try:
        build_nano_vae(TINY).save_pretrained(tmp_path)
        assert "block_out_channels" in json.loads((tmp_path / "config.json").read_text())  # AutoencoderTiny's own
        load_vae(tmp_path)
        assert messages == []
        config = json.loads((tmp_path / "config.json").read_text())
        (tmp_path / "config.json").write_text(json.dumps({**config, "stray_key": 1}))
        load_vae(tmp_path)
        assert len(messages) == 1 and "stray_key" in messages[0]
    finally:
        logger.removeHandler(handler)


def test_vae_training_lowers_the_loss_and_sets_unit_std_latents():
    from dreamlite_core.nano import train_nano_vae

    torch.manual_seed(0)
    vae = build_nano_vae(TINY)
    rng = np.random.default_rng(0)
    images = np.zeros((64, 32, 32, 3), np.uint8)
    for img in images:  # one coloured square per image
        x, y = rng.integers(0, 24, 2)
        img[y:y + 8, x:x + 8] = rng.integers(0, 256, 3)
    history = train_nano_vae(vae, images, steps=30, batch_size=16, lr=3e-3, warmup=5, progress=False)
    assert len(history) == 30 and np.mean(history[-5:]) < 0.8 * np.mean(history[:5])
    latents = encode_images(vae, images)
    assert abs(latents.mean().item()) < 1e-3 and abs(latents.std().item() - 1) < 1e-3


def test_vae_training_is_bitwise_repeatable_at_one_thread_count():
    """Same code, config, seed and thread count: the same bytes (the artifact cache relies on it). A different
    thread count rounds reductions differently and does change them; results files record the count."""
    from dreamlite_core.nano import train_nano_vae

    images = np.random.default_rng(0).integers(0, 256, (16, 32, 32, 3), dtype=np.uint8)

    def weights():
        torch.manual_seed(0)
        vae = build_nano_vae(TINY)
        train_nano_vae(vae, images, steps=3, batch_size=4, warmup=1, seed=1, crop=16, progress=False)
        return torch.cat([p.flatten() for p in vae.parameters()])

    first, second = weights(), weights()
    assert torch.equal(first, second)
    torch.manual_seed(0)
    assert not torch.equal(first, torch.cat([p.flatten() for p in build_nano_vae(TINY).parameters()]))  # it trained


def test_vae_loss_weighs_object_pixels_against_the_plain_background():
    import torch.nn.functional as F

    from dreamlite_core.nano.vae import _vae_loss, object_pixel_weights

    target = torch.full((1, 3, 32, 32), -0.5)
    target[:, 0, 8:12, 8:12] = 0.5  # one 4x4 object on a plain background
    weights = object_pixel_weights(target, 3.0)
    assert weights.shape == (1, 1, 32, 32) and weights.sum() == 32 * 32 + 3 * 16
    assert torch.all(weights[..., 8:12, 8:12] == 4) and torch.equal(object_pixel_weights(target, 0), weights ** 0)
    recon = target + 0.1 * torch.randn(target.shape, generator=torch.Generator().manual_seed(0))
    dx = lambda x: x[..., :, 1:] - x[..., :, :-1]  # noqa: E731
    dy = lambda x: x[..., 1:, :] - x[..., :-1, :]  # noqa: E731
    plain = (F.mse_loss(recon, target) + F.l1_loss(recon, target)
             + 0.5 * (F.l1_loss(dx(recon), dx(target)) + F.l1_loss(dy(recon), dy(target))))
    assert torch.allclose(_vae_loss(recon, target, 0.5), plain, rtol=1e-6)  # weight 0: the unweighted loss
    # an error on the object alone: 16 pixels of 1024 unweighted, 16 x 4 of 1024 + 48 weighted
    recon = target.clone()
    recon[:, :, 8:12, 8:12] += 0.2
    per_pixel = 3 * (0.2 ** 2 + 0.2) / 3  # mean over channels of squared + absolute error
    assert torch.allclose(_vae_loss(recon, target, 0.0), torch.tensor(16 * per_pixel / 1024), rtol=1e-5)
    assert torch.allclose(_vae_loss(recon, target, 0.0, 3.0), torch.tensor(64 * per_pixel / 1072), rtol=1e-5)


def test_vae_rejects_images_that_are_not_uint8_rgb():
    vae = build_nano_vae(TINY)
    with pytest.raises(ValueError, match="uint8"):
        encode_images(vae, np.zeros((1, 32, 32, 3), np.float32))
    with pytest.raises(ValueError, match="RGB"):
        encode_images(vae, np.zeros((1, 32, 32, 4), np.uint8))


# ---------------------------------------------------------------- text encoder
def test_text_encoder_loads_offline_and_returns_masked_token_states(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    from dreamlite_core.nano import NanoTextEncoder

    enc = NanoTextEncoder()
    prompts = ["", task_prompt("generate", "a red circle"), task_prompt("edit", "the circle turned blue")]
    hidden, mask = enc.encode(prompts)
    assert hidden.dtype == torch.float32 and hidden.shape[0] == 3 and hidden.shape[2] == 384
    # [CLS] [SEP] | [CLS] [ generate ] : a red circle [SEP] | the edit prefix is long
    assert mask.sum(dim=1).tolist()[:2] == [2, 9] and mask.sum(dim=1)[2] == hidden.shape[1]
    assert torch.count_nonzero(hidden[0, 2:]) == 0 and torch.count_nonzero(hidden[1, 9:]) == 0
    assert enc.cache_size == 3
    alone, alone_mask = enc.encode(task_prompt("generate", "a red circle"))
    assert torch.equal(alone[0], hidden[1, :9]) and alone_mask.tolist() == [[1] * 9]
    assert not torch.allclose(hidden[1, 1], hidden[2, 1])  # the prefixes differ from the second token on


def test_text_cache_saves_and_loads(tmp_path):
    from transformers import BertConfig, BertModel

    from dreamlite_core.nano import NanoTextEncoder
    from dreamlite_core.nano.text import load_minilm

    torch.manual_seed(0)
    _, tokenizer = _tokenizer_only()
    model = BertModel(BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=1,
                                 num_attention_heads=2, intermediate_size=64))
    enc = NanoTextEncoder(model, tokenizer)
    h, m = enc.encode(["a red circle", "two blue squares"])
    enc.save_cache(tmp_path / "text.safetensors")
    other = NanoTextEncoder(model, tokenizer)
    assert other.load_cache(tmp_path / "text.safetensors") == 2
    h2, m2 = other.encode(["a red circle", "two blue squares"])
    assert torch.equal(h, h2) and torch.equal(m, m2)
    assert callable(load_minilm)


def _tokenizer_only():
    from transformers import AutoTokenizer

    from dreamlite_core.nano import minilm_path

    return None, AutoTokenizer.from_pretrained(str(minilm_path()), local_files_only=True)


def test_vae_crops_must_sit_on_the_latent_grid():
    from dreamlite_core.nano import train_nano_vae

    torch.manual_seed(0)
    vae = build_nano_vae(TINY)
    images = np.zeros((4, 32, 32, 3), np.uint8)
    with pytest.raises(ValueError, match="multiple of the VAE's downsampling factor 2"):
        train_nano_vae(vae, images, steps=1, batch_size=2, crop=9, progress=False)
    assert len(train_nano_vae(vae, images, steps=2, batch_size=2, crop=16, warmup=1, progress=False)) == 2


def test_vae_downsampling_follows_the_number_of_levels_in_the_settings():
    from dreamlite_core.nano.vae import vae_config_from_settings

    x2 = vae_config_from_settings({"vae_encoder_blocks": [0, 3], "vae_decoder_blocks": [3, 1],
                                   "latent_channels": 4, "vae_width": 16})
    assert (x2.vae_downsample, x2.vae_latent_size) == (2, 16)
    images = np.zeros((2, 32, 32, 3), np.uint8)
    assert encode_images(build_nano_vae(x2), images).shape == (2, 4, 16, 16)
    x4 = vae_config_from_settings({"vae_encoder_blocks": [0, 3, 3], "vae_decoder_blocks": [3, 3, 1]})
    assert (x4.vae_downsample, x4.vae_latent_size) == (4, 8)
    assert encode_images(build_nano_vae(x4), images).shape == (2, 4, 8, 8)
    with pytest.raises(ValueError, match="needs 2 encoder and decoder levels"):
        build_nano_vae(x2.replace(vae_decoder_blocks=(3, 3, 1)))


def test_vae_settings_of_every_profile_build_a_cached_artifact_config():
    from dreamlite_core.nano.vae import _vae_artifact_config, dpg_task_weights, vae_config_from_settings
    from dreamlite_core.repro.profiles import profile_section

    for profile in ("smoke", "default", "paper"):
        settings = profile_section(profile, "nano")
        cfg = vae_config_from_settings(settings).replace(
            latent_packing=profile_section(profile, "train")["latent_packing"])
        assert cfg.latent_channels == settings["latent_channels"] == 4 and cfg.vae_downsample == 2  # 16x16x4
        assert (cfg.latent_size, cfg.unet_channels) == (8, 16)  # packed 2x2: the U-Net sees 8x8x16
        artifact = _vae_artifact_config(settings, 0)
        assert artifact["vae_crop"] == settings["vae_crop"]
        assert (artifact["vae_object_weight"], artifact["vae_dpg_weight"]) == (4.0, 3.0)  # a new recipe, a new hash
    weights = dpg_task_weights(3.0)
    assert weights.pop("dpg") == 3.0 and set(weights.values()) == {1.0} and len(weights) == 6


def test_vae_warm_restart_cycles_are_read_from_the_profile():
    from dreamlite_core.nano.vae import finetune_cycles

    assert finetune_cycles({"vae_finetune_steps": [10, 0, 5], "vae_finetune_lr": [1e-3, 1e-3, 5e-4]}) == [
        (10, 1e-3), (5, 5e-4)]
    assert finetune_cycles({"vae_finetune_steps": 0, "vae_finetune_lr": 1e-3}) == []
    with pytest.raises(ValueError, match="one learning rate per cycle"):
        finetune_cycles({"vae_finetune_steps": [10, 10], "vae_finetune_lr": [1e-3]})


# ---------------------------------------------------------------- what a VAE round trip costs the oracle
class _PixelVAE(torch.nn.Module):
    """A stand-in VAE whose latent is the image itself, optionally pooled ``factor`` x ``factor`` and scaled back up
    on decoding (``factor`` 1: an exact round trip; 4: a x4 VAE that keeps only each 4x4 cell's mean colour)."""

    def __init__(self, factor: int = 1):
        from types import SimpleNamespace

        super().__init__()
        self.factor = factor
        self.dummy = torch.nn.Parameter(torch.zeros(1))
        self.config = SimpleNamespace(scaling_factor=1.0, shift_factor=0.0)

    def encode(self, x):
        from types import SimpleNamespace

        return SimpleNamespace(latents=torch.nn.functional.avg_pool2d(x, self.factor))

    def decode(self, z):
        from types import SimpleNamespace

        return SimpleNamespace(sample=torch.nn.functional.interpolate(z, scale_factor=self.factor, mode="nearest"))


def _dense_validation_items(n=60):
    from dreamlite_core.world import make_t2i_items

    return make_t2i_items("validation", n, 0)


def test_oracle_through_an_exact_round_trip_keeps_every_task_at_the_renders_score():
    from dreamlite_core.nano import diagnostics as diag
    from dreamlite_core.world import make_edit_items

    rows = diag.oracle_through_vae(_PixelVAE(1), _dense_validation_items(), make_edit_items("validation", 20, 0))
    assert {r["benchmark"] for r in rows} == {"mini-GenEval", "mini-DPG", "mini-ImgEdit", "mini-GEdit"}
    assert sum(r["task"] == "overall" for r in rows) == 4
    for r in rows:
        assert r["oracle through VAE"] == pytest.approx(r["oracle (renders)"])
    top = {"mini-GenEval": 1.0, "mini-DPG": 100.0, "mini-ImgEdit": 5.0, "mini-GEdit": 10.0}
    assert all(r["of max"] == pytest.approx(r["oracle through VAE"] / top[r["benchmark"]]) for r in rows)
    assert min(r["of max"] for r in rows if r["benchmark"] == "mini-GenEval") == pytest.approx(1.0)


def test_vae_oracle_items_are_each_benchmarks_balanced_set_and_the_table_counts_them():
    from collections import Counter

    from dreamlite_core.eval import benchmark_items
    from dreamlite_core.nano import diagnostics as diag
    from dreamlite_core.world import GENEVAL_TASKS
    from dreamlite_core.world.edit import GEDIT_GROUPS

    sets = diag.vae_oracle_items(66, "validation", seed=2)
    assert [len(sets[b]) for b in ("geneval", "dpg", "imgedit", "gedit")] == [66, 22, 33, 33]
    assert Counter(it.task for it in sets["geneval"]) == {t: 11 for t in GENEVAL_TASKS}
    assert Counter(it.gedit_group for it in sets["gedit"]) == {g: 3 for g in GEDIT_GROUPS}
    assert {it.task for it in sets["dpg"]} == {"dpg"}
    same = benchmark_items("gedit", 33, "validation", 2)
    assert [it.instruction for it in sets["gedit"]] == [it.instruction for it in same]
    rows = diag.oracle_through_vae(_PixelVAE(1), sets["geneval"] + sets["dpg"], sets["imgedit"], sets["gedit"])
    by_bench = {}
    for r in rows:
        by_bench.setdefault(r["benchmark"], []).append(r)
    for bench, parts in by_bench.items():
        overall = next(r for r in parts if r["task"] == "overall")
        assert all(r["n"] > 0 for r in parts)
        if bench != "mini-DPG":  # DPG parts count questions, its overall row paragraphs
            assert sum(r["n"] for r in parts if r["task"] != "overall") == overall["n"]
    assert {r["task"]: r["n"] for r in by_bench["mini-GEdit"]}["ps_human"] == 3
    assert next(r for r in by_bench["mini-DPG"] if r["task"] == "overall")["n"] == 22


def test_a_blurring_round_trip_loses_the_small_objects_and_falls_under_the_bar():
    from dreamlite_core.nano import diagnostics as diag
    from dreamlite_core.world import make_edit_items, render_scenes

    items = _dense_validation_items()
    dense = render_scenes([it.scene for it in items if it.task == "dpg"])
    exact = diag.lost_objects(_PixelVAE(1), dense)
    assert exact["objects"] > 3 * exact["images"] and exact["lost"] == {} and exact["images_losing_an_object"] == 0
    blurred = diag.lost_objects(_PixelVAE(4), dense)
    assert blurred["objects"] == exact["objects"]
    assert blurred["images_losing_an_object"] > 0 and sum(blurred["lost"].values()) > 0
    assert all(key.count("/") == 2 for key in blurred["lost"])  # shape/fill/size
    rows = diag.oracle_through_vae(_PixelVAE(4), items, make_edit_items("validation", 20, 0))
    assert min(r["of max"] for r in rows) < diag.VAE_ORACLE_BAR


def test_latent_noise_tolerance_keeps_the_oracle_at_zero_noise_and_loses_it_under_heavy_noise():
    from dreamlite_core.eval import benchmark_items
    from dreamlite_core.nano import diagnostics as diag
    from dreamlite_core.world import GENEVAL_TASKS

    items = benchmark_items("geneval", 24, "validation", seed=0)
    rows = diag.latent_noise_tolerance(_PixelVAE(1), items, noise_levels=(0.0, 2.0))
    assert [r["noise"] for r in rows] == [0.0, 2.0] and set(GENEVAL_TASKS) <= set(rows[0])
    assert rows[0]["geneval"] == 1.0  # an exact round trip, no noise: the renders' score
    assert rows[1]["geneval"] < 0.5  # noise twice the pixel range buries the shapes


def test_vae_training_images_follow_the_text_to_image_task_mix():
    from dreamlite_core.nano import vae_training_images
    from dreamlite_core.world import T2I_TASKS, make_t2i_items, render_scenes

    only_dense = {t: float(t == "dpg") for t in T2I_TASKS}
    images = vae_training_images(8, 3, t2i_task_weights=only_dense)
    items = make_t2i_items("train", 4, 3, task_weights=only_dense)
    assert {it.task for it in items} == {"dpg"}
    assert np.array_equal(images[:4], render_scenes([it.scene for it in items]))
    assert np.array_equal(vae_training_images(8, 3)[:4], render_scenes([it.scene for it in
                                                                         make_t2i_items("train", 4, 3)]))
