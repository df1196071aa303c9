"""Notebook 03 (in-context spatial concatenation) under the smoke profile: its results JSON."""

from __future__ import annotations

import pytest

from dreamlite_core import paper


@pytest.mark.notebooks
def test_notebook_03_shows_the_in_context_mechanics(smoke_results):
    m = smoke_results("03_in_context_concatenation")["metrics"]
    channels = m["vae_latent_shape"][0]
    assert m["vae_latent_shape"] == [channels, 16, 16]  # 32x32 scenes -> 16x16 latents (x2)
    assert m["unet_latent_shape"] == [4 * channels, 8, 8]  # packed 2x2 for the U-Net
    assert m["packed_shape"] == [1, 4 * channels, 8, 16]  # [x_t | condition] along the width
    assert m["generation_condition_zero"] is True
    assert m["edit_condition_is_source_latent"] is True
    assert m["loss_left_half_only"] is True
    assert m["text_encoder_params"] == 22_713_216  # all-MiniLM-L6-v2
    assert m["prompt_tokens"]["edit"] > m["prompt_tokens"]["generate"] + 20  # the diptych prefix is long
    assert 0 < m["unet_params"] < m["parent_params"]
    assert sum(m["unet_params_by_kind"].values()) == m["unet_params"]
    assert m["nano_timesteps_28"][0] == 1000.0 and m["nano_timesteps_28"][1] < 1000.0
    # the paper's 4 mobile timesteps at 1024 px are "about [1000, 905, 760, 513]"
    assert [round(t) for t in m["mobile_timesteps_4"]] == [1000, 905, 761, 515]
    assert m["unet_train_samples_per_s"] > 0
    assert paper.TASK_PREFIX_GENERATE == "[Generate]: "
