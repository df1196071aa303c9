"""Loading a local diffusers U-Net and checking it against the meta-device count (dreamlite_core.arch.weights)."""

from __future__ import annotations

import pytest
import torch
from diffusers import AutoencoderTiny, DreamLiteUNetModel

from dreamlite_core.arch.weights import load_local_unet, unet_report

NANO = dict(sample_size=16, block_out_channels=(16, 32, 64), layers_per_block=1, transformer_layers_per_block=(1, 1, 2),
            attention_head_dim=[1, 2, 4], cross_attention_dim=24, encoder_hid_dim=20,
            encoder_hid_dim_type="text_proj_rms", addition_embed_type="time", addition_time_embed_dim=16,
            projection_class_embeddings_input_dim=32, norm_num_groups=8, use_linear_projection=True, ff_mult=3)


@pytest.fixture
def saved_unet(tmp_path):
    torch.manual_seed(0)
    model = DreamLiteUNetModel(**NANO)
    model.save_pretrained(tmp_path / "pipe" / "unet")
    return model, tmp_path / "pipe"


@pytest.mark.parametrize("sub", ["", "unet"])
def test_local_folder_loads_with_the_same_weights_and_counts(saved_unet, sub):
    model, root = saved_unet
    loaded = load_local_unet(root / sub if sub else root)
    assert type(loaded) is DreamLiteUNetModel
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), loaded.state_dict().values()))
    report = unet_report(loaded)
    assert report["params"] == report["meta_params"] == sum(p.numel() for p in model.parameters())
    assert report["matches_meta"] and report["matches_paper"] is None


def test_folder_without_a_unet_names_the_path(tmp_path):
    AutoencoderTiny(encoder_block_out_channels=(8, 8), decoder_block_out_channels=(8, 8), num_encoder_blocks=(1, 1),
                    num_decoder_blocks=(1, 1)).save_pretrained(tmp_path / "vae")
    with pytest.raises(ValueError, match=str(tmp_path / "vae")):
        load_local_unet(tmp_path / "vae")
    with pytest.raises(ValueError, match="does not exist"):
        load_local_unet(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no U-Net in"):
        load_local_unet(tmp_path / "empty")


def test_config_without_safetensors_is_refused(tmp_path, saved_unet):
    _, root = saved_unet
    for f in (root / "unet").glob("*.safetensors"):
        f.unlink()
    with pytest.raises(ValueError, match="safetensors"):
        load_local_unet(root)
