"""DreamLiteNanoPipeline and the ``dreamlite generate`` / ``dreamlite edit`` commands on a tiny pipeline."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch
from PIL import Image

from dreamlite_core.nano import (DreamLiteNanoPipeline, ModelFolderError, NanoConfig, build_nano_unet,
                                 build_nano_vae, encode_images)

TINY = NanoConfig(block_out_channels=(16, 32, 32), attention_head_dim=(1, 1, 2), cross_attention_dim=16,
                  addition_time_embed_dim=8, text_hidden_dim=32, vae_width=16, latent_channels=4)


def _tiny_pipeline() -> DreamLiteNanoPipeline:
    from transformers import AutoTokenizer, BertConfig, BertModel

    from dreamlite_core.nano import minilm_path

    torch.manual_seed(0)
    unet = build_nano_unet(TINY, prune=False)
    vae = build_nano_vae(TINY)
    tokenizer = AutoTokenizer.from_pretrained(str(minilm_path()), local_files_only=True)
    text_encoder = BertModel(BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=1,
                                        num_attention_heads=2, intermediate_size=64))
    pipe = DreamLiteNanoPipeline.from_components(unet, vae, text_encoder=text_encoder, tokenizer=tokenizer,
                                                 config=TINY)
    pipe.set_progress_bar_config(disable=True)
    return pipe


@pytest.fixture(scope="module")
def pipe():
    return _tiny_pipeline()


@pytest.fixture(scope="module")
def saved(pipe, tmp_path_factory):
    folder = tmp_path_factory.mktemp("nano") / "pipeline"
    pipe.save_pretrained(folder)
    return folder


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def test_two_step_generate_and_edit_run(pipe):
    images = pipe.generate(["a red circle", "two blue squares"], num_inference_steps=2, generator=_gen(0)).images
    assert images.shape == (2, 32, 32, 3) and images.dtype == np.float32 and 0 <= images.min() <= images.max() <= 1
    sources = (images * 255).round().astype(np.uint8)
    edited = pipe.edit(sources, ["the circle turned blue", "remove one square"], num_inference_steps=2,
                       generator=_gen(0), output_type="uint8").images
    assert edited.shape == (2, 32, 32, 3) and edited.dtype == np.uint8
    pil = pipe.edit(Image.fromarray(sources[0]), "the circle turned blue", num_inference_steps=2, generator=_gen(0),
                    output_type="pil").images
    assert pil[0].size == (32, 32) and np.array_equal(np.asarray(pil[0]), edited[0])


def test_same_seed_same_image_and_seed_matters(pipe):
    a = pipe.generate("a red circle", num_inference_steps=2, generator=_gen(3), output_type="uint8").images
    b = pipe.generate("a red circle", num_inference_steps=2, generator=_gen(3), output_type="uint8").images
    c = pipe.generate("a red circle", num_inference_steps=2, generator=_gen(4), output_type="uint8").images
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_guidance_combines_branches_like_the_base_pipeline(pipe):
    """With guidance 1 generation equals the conditional branch alone; with guidance 0 the unconditional one."""
    latents = torch.randn(1, TINY.unet_channels, TINY.latent_size, TINY.latent_size, generator=_gen(0))
    kw = dict(num_inference_steps=1, latents=latents, output_type="latent")
    g1 = pipe.generate("a red circle", guidance_scale=1.0, **kw).images
    g3 = pipe.generate("a red circle", guidance_scale=3.0, **kw).images
    g0 = pipe.generate("a red circle", guidance_scale=0.0, **kw).images
    # one Euler step is linear in the velocity: x1 = x0 + dt v, v = u + g (c - u)  =>  g3 = g0 + 3 (g1 - g0)
    assert torch.allclose(g3, g0 + 3.0 * (g1 - g0), atol=1e-4)
    src = np.zeros((1, 32, 32, 3), np.uint8)
    e11 = pipe.edit(src, "x", guidance_scale=1.0, image_guidance_scale=1.0, **kw).images
    e21 = pipe.edit(src, "x", guidance_scale=2.0, image_guidance_scale=1.0, **kw).images
    e31 = pipe.edit(src, "x", guidance_scale=3.0, image_guidance_scale=1.0, **kw).images
    assert torch.allclose(e31 - e21, e21 - e11, atol=1e-4)  # linear in the text scale


def test_save_load_round_trip_gives_identical_outputs(pipe, saved):
    index = json.loads((saved / "model_index.json").read_text())
    assert index["_class_name"] == "DreamLiteNanoPipeline"
    assert {"unet", "vae", "scheduler", "text_encoder", "tokenizer"} <= set(index)
    loaded = DreamLiteNanoPipeline.from_pretrained(saved)
    loaded.set_progress_bar_config(disable=True)
    a = pipe.generate("a red circle", num_inference_steps=2, generator=_gen(1), output_type="uint8").images
    b = loaded.generate("a red circle", num_inference_steps=2, generator=_gen(1), output_type="uint8").images
    assert np.array_equal(a, b)
    src = np.full((1, 32, 32, 3), 200, np.uint8)
    ea = pipe.edit(src, "the circle turned blue", num_inference_steps=2, generator=_gen(1), output_type="latent")
    eb = loaded.edit(src, "the circle turned blue", num_inference_steps=2, generator=_gen(1), output_type="latent")
    assert torch.equal(ea.images, eb.images)


def test_save_over_an_existing_folder_replaces_it_whole(pipe, tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "stale.txt").write_text("old")
    pipe.save_pretrained(folder)
    assert not (folder / "stale.txt").exists() and (folder / "model_index.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["p"]  # no temporary folders left behind


@pytest.mark.parametrize("prompt, error", [("", "empty"), ("   ", "empty"), ([], "non-empty"),
                                           ("[Generate]: a red circle", "task prefix"), ([3], "not a string")])
def test_bad_prompts_raise_clear_errors(pipe, prompt, error):
    with pytest.raises((ValueError, TypeError), match=error):
        pipe.generate(prompt, num_inference_steps=1)


def test_bad_edit_images_raise_clear_errors(pipe):
    rgb = Image.new("RGB", (32, 32))
    with pytest.raises(ValueError, match="mode 'RGBA'"):
        pipe.edit(Image.new("RGBA", (32, 32)), "x", num_inference_steps=1)
    with pytest.raises(ValueError, match="48x48.*32x32"):
        pipe.edit(Image.new("RGB", (48, 48)), "x", num_inference_steps=1)
    with pytest.raises(ValueError, match="2 images but 1 instructions"):
        pipe.edit([rgb, rgb], ["x"], num_inference_steps=1)
    with pytest.raises(ValueError, match="instruction 0 is empty"):
        pipe.edit(rgb, "", num_inference_steps=1)
    with pytest.raises(ValueError, match="uint8"):
        pipe.edit(np.zeros((32, 32, 3), np.float32), "x", num_inference_steps=1)


def test_saved_folders_and_weights_get_plain_permissions(saved):
    # safetensors writes its files 0600 and the temporary folder starts 0700; a saved pipeline must be readable
    # as far as the umask allows, like any file the user writes
    umask = os.umask(0)
    os.umask(umask)
    weights = next((saved / "unet").glob("*.safetensors"))
    assert saved.stat().st_mode & 0o777 == 0o777 & ~umask
    assert weights.stat().st_mode & 0o777 == 0o666 & ~umask


def test_missing_incomplete_and_corrupt_model_folders(saved, tmp_path):
    with pytest.raises(ModelFolderError, match="does not exist"):
        DreamLiteNanoPipeline.from_pretrained(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelFolderError, match="incomplete: missing model_index.json"):
        DreamLiteNanoPipeline.from_pretrained(tmp_path / "empty")
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(saved, broken)
    weights = next((broken / "unet").glob("*.safetensors"))
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(ModelFolderError, match="corrupt"):
        DreamLiteNanoPipeline.from_pretrained(broken)


# ---------------------------------------------------------------- the command line
def _cli(*argv):
    from dreamlite_core.cli import main

    return main(list(argv))


def test_cli_generate_and_edit_write_pngs(saved, tmp_path, capsys):
    out = tmp_path / "x.png"
    assert _cli("generate", "--prompt", "a red circle", "--seed", "0", "--out", str(out), "--model", str(saved),
                "--steps", "2") == 0
    img = Image.open(out)
    assert img.size == (32, 32) and img.mode == "RGB"
    again = tmp_path / "again.png"
    _cli("generate", "--prompt", "a red circle", "--seed", "0", "--out", str(again), "--model", str(saved),
         "--steps", "2")
    assert np.array_equal(np.asarray(img), np.asarray(Image.open(again)))  # same seed, same pixels
    edited = tmp_path / "y.png"
    assert _cli("edit", "--image", str(out), "--instruction", "the circle turned blue", "--seed", "1", "--out",
                str(edited), "--model", str(saved), "--steps", "2") == 0
    assert Image.open(edited).size == (32, 32)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.png", "x.png", "y.png"]  # no temporaries


def test_cli_bad_input_exits_2_and_writes_nothing(saved, tmp_path, capsys):
    out = tmp_path / "out.png"
    assert _cli("generate", "--prompt", " ", "--out", str(out), "--model", str(saved)) == 2
    assert "--prompt is empty" in capsys.readouterr().err
    assert _cli("generate", "--prompt", "a red circle", "--instruction", "turn it blue", "--out", str(out),
                "--model", str(saved)) == 2
    assert "dreamlite edit" in capsys.readouterr().err
    assert _cli("generate", "--prompt", "a red circle", "--out", str(out), "--model", str(tmp_path / "none")) == 2
    assert "does not exist" in capsys.readouterr().err
    rgba, big = tmp_path / "rgba.png", tmp_path / "big.png"
    Image.new("RGBA", (32, 32)).save(rgba)
    Image.new("RGB", (64, 64)).save(big)
    assert _cli("edit", "--image", str(rgba), "--instruction", "x", "--out", str(out), "--model", str(saved)) == 2
    assert "mode 'RGBA'" in capsys.readouterr().err
    assert _cli("edit", "--image", str(big), "--instruction", "x", "--out", str(out), "--model", str(saved)) == 2
    assert "64x64" in capsys.readouterr().err
    assert _cli("edit", "--image", str(tmp_path / "no.png"), "--instruction", "x", "--out", str(out)) == 2
    assert not out.exists()


def test_cli_without_a_trained_model_says_so(tmp_path, capsys, monkeypatch):
    import dreamlite_core.nano.cli_common as common

    monkeypatch.setattr(common, "resolve_model", common.resolve_model)  # the real lookup
    try:
        from dreamlite_core import train
    except ImportError:
        train = None
    if train is not None and hasattr(train, "find_trained_pipeline"):
        monkeypatch.setattr(train, "find_trained_pipeline", lambda profile="default": None)
    out = tmp_path / "x.png"
    assert _cli("generate", "--prompt", "a red circle", "--out", str(out)) == 2
    assert "no trained DreamLite-Nano model exists yet" in capsys.readouterr().err
    assert not out.exists()


def test_sdedit_strength_one_is_plain_generation_and_partial_strength_runs_the_last_steps(pipe):
    """SDEdit (``init_images``, ``strength``): strength 1 starts from pure noise (sigma 1), so it equals plain
    generation; strength 1/2 of 2 steps noises the init latents to the sampler's second sigma and runs one Euler step,
    which we recompute by hand from the U-Net's velocity."""
    from dreamlite_core.nano import pack_in_context, target_half, time_ids_for
    from dreamlite_core.nano.pipeline import task_prompt

    init = np.zeros((1, 32, 32, 3), np.uint8)
    init[8:20, 10:22] = (200, 30, 30)
    noise = torch.randn(1, TINY.unet_channels, TINY.latent_size, TINY.latent_size, generator=_gen(0))
    kw = dict(guidance_scale=1.0, latents=noise, output_type="latent")
    plain = pipe.generate("a red square", num_inference_steps=2, **kw).images
    full = pipe.generate("a red square", num_inference_steps=2, init_images=init, strength=1.0, **kw).images
    assert torch.allclose(plain, full, atol=1e-6)

    half = pipe.generate("a red square", num_inference_steps=2, init_images=init, strength=0.5, **kw).images
    sigma, t = float(pipe.scheduler.sigmas[1]), pipe.scheduler.timesteps[1]
    assert 0.0 < sigma < 1.0
    x = sigma * noise + (1.0 - sigma) * pipe.encode(init)  # the VAE latents, packed 2x2
    hidden, mask = pipe.text.encode([task_prompt("generate", "a red square")])
    with torch.no_grad():
        v = pipe.unet(pack_in_context(x, torch.zeros_like(x)), t.expand(1), encoder_hidden_states=hidden,
                      encoder_attention_mask=mask, added_cond_kwargs={"time_ids": time_ids_for(1, 32)}).sample
    expected = x + (0.0 - sigma) * target_half(v, 8)
    assert torch.allclose(half, expected, atol=1e-5)
    assert not torch.allclose(half, plain, atol=1e-3)


@pytest.mark.parametrize("kwargs, error", [
    (dict(strength=0.5), "needs init_images"),
    (dict(init_images=np.zeros((1, 32, 32, 3), np.uint8), strength=0.0), "strength must be in"),
    (dict(init_images=np.zeros((1, 32, 32, 3), np.uint8), strength=1.5), "strength must be in"),
    (dict(init_images=np.zeros((1, 32, 32, 3), np.uint8), strength=0.1, num_inference_steps=4), "leaves no step"),
    (dict(init_images=np.zeros((2, 32, 32, 3), np.uint8)), "2 init images but 1 prompts"),
    (dict(init_images=np.zeros((1, 16, 16, 3), np.uint8)), "resize it first"),
])
def test_sdedit_bad_arguments_raise_clear_errors(pipe, kwargs, error):
    kwargs.setdefault("num_inference_steps", 2)
    with pytest.raises(ValueError, match=error):
        pipe.generate("a red circle", **kwargs)


def test_a_packed_unet_reads_2x2_patches_of_a_x2_vae(pipe):
    """latent_packing 2 (NanoConfig's default): a x2 VAE's 16x16x4 latents reach the U-Net as 8x8x16 (FLUX's
    packing) and images come back at 32x32; the pipeline reads p off its components (1 beside a x4 VAE whose 8x8x4
    latents the U-Net reads as they are), and a U-Net and VAE that do not match are refused."""
    torch.manual_seed(0)
    unet, vae = build_nano_unet(TINY, prune=False), build_nano_vae(TINY)
    assert (unet.config.in_channels, unet.config.sample_size, TINY.vae_latent_size) == (16, 8, 16)
    two = DreamLiteNanoPipeline(unet=unet, vae=vae, scheduler=pipe.scheduler, text_encoder=pipe.text_encoder,
                                tokenizer=pipe.tokenizer)
    two.set_progress_bar_config(disable=True)
    x4 = TINY.replace(vae_downsample=4, vae_encoder_blocks=(0, 3, 3), vae_decoder_blocks=(3, 3, 1), latent_packing=1)
    four = DreamLiteNanoPipeline(unet=build_nano_unet(x4, prune=False), vae=build_nano_vae(x4),
                                 scheduler=pipe.scheduler, text_encoder=pipe.text_encoder, tokenizer=pipe.tokenizer)
    assert (two.latent_packing, two.resolution, four.latent_packing, four.resolution) == (2, 32, 1, 32)
    assert four.unet.config.in_channels == 4
    latents = two.generate("a red circle", num_inference_steps=2, generator=_gen(0), output_type="latent").images
    assert latents.shape == (1, 16, 8, 8)
    images = two.generate("a red circle", num_inference_steps=2, generator=_gen(0), output_type="uint8").images
    assert images.shape == (1, 32, 32, 3)
    # the images are the VAE's decode of the unpacked latents; an edit encodes its source the same way
    assert np.array_equal(images, two.decode(latents))
    assert torch.equal(two.encode(images), torch.nn.functional.pixel_unshuffle(encode_images(vae, images), 2))
    assert two.edit(images, "the circle turned blue", num_inference_steps=2, generator=_gen(0),
                    output_type="uint8").images.shape == (1, 32, 32, 3)
    wrong = DreamLiteNanoPipeline(unet=build_nano_unet(TINY.replace(latent_channels=3), prune=False), vae=vae,
                                  scheduler=pipe.scheduler, text_encoder=pipe.text_encoder, tokenizer=pipe.tokenizer)
    with pytest.raises(ModelFolderError, match="not trained together"):
        wrong.generate("a red circle", num_inference_steps=1)
