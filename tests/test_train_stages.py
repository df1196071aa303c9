"""Training data, the in-context objective and the stage chain (dreamlite_core.train.data / objective / stages),
on tiny models and a few hundred ShapesWorld items."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from dreamlite_core.nano import flow_matching_loss, object_cell_weights
from dreamlite_core.repro import Run
from dreamlite_core.train import stages
from dreamlite_core.train.data import gather_text, t2i_dataset
from dreamlite_core.train.objective import InContextObjective, ObjectiveConfig

from dreamlite_core.repro import profile_section  # noqa: E402

# the smoke VAE settings (whatever keys the nano package needs), shrunk further: a VAE of 2 steps
TINY_NANO = {**profile_section("smoke", "nano"), "latent_channels": 4, "vae_width": 8, "vae_steps": 2,
             "vae_batch_size": 4, "vae_train_scenes": 16, "vae_time_limit_s": 0}
TINY_TRAIN = {"n_t2i": 48, "n_edit": 32, "n_validation": 16, "block_out_channels": [16, 32, 32],
              "attention_head_dim": [1, 1, 2], "transformer_layers_per_block": [1, 1, 1], "cross_attention_dim": 16,
              "batch_size": 8, "stage1_steps": 3, "stage2_steps": 2, "stage3_steps": 2, "checkpoint_every": 2,
              "eval_every": 0, "ablation_steps": 4, "ablation_seeds": [0], "eval_per_task": 1,
              "eval_edits_per_type": 1, "num_inference_steps": 2, "warmup_steps": 1}


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """One tiny run (VAE, data, text states built once) shared by this module's tests."""
    tmp_path = tmp_path_factory.mktemp("tiny_run")
    run = Run("04_stage1_t2i", profile="smoke", seed=0, output_dir=tmp_path / "out", root=tmp_path)
    sections = {"nano": TINY_NANO, "train": TINY_TRAIN}
    run.section = lambda name: sections[name]
    stages._COMPONENTS.clear()
    yield run
    stages._COMPONENTS.clear()


def test_a_vae_under_the_psnr_floor_fails_loudly_and_caches_nothing(tmp_path):
    from dreamlite_core.nano import VAETrainingError, nano_vae_artifact

    run = Run("03_in_context_concatenation", profile="smoke", root=tmp_path)
    with pytest.raises(VAETrainingError, match="under vae_min_psnr_db = 99 in \\[smoke.nano\\]"):
        nano_vae_artifact(run, {**TINY_NANO, "vae_min_psnr_db": 99.0}, progress=False)
    assert not list(run.artifacts_dir.iterdir())  # no artifact, no half-written temporary folder
    assert (nano_vae_artifact(run, {**TINY_NANO, "vae_min_psnr_db": 0.0}, progress=False) / "config.json").exists()


def test_gather_text_trims_to_longest_caption_and_masks_padding():
    states = torch.arange(3 * 5 * 2, dtype=torch.float16).reshape(3, 5, 2)
    lengths = torch.tensor([2, 4, 1])
    hidden, mask = gather_text(states, lengths, torch.tensor([0, 2, 0]))
    assert hidden.shape == (3, 2, 2) and hidden.dtype == torch.float32
    assert mask.tolist() == [[1, 1], [1, 0], [1, 1]]
    assert torch.equal(hidden[1, 0], states[2, 0].float())


def test_datasets_are_cached_and_never_built_from_the_test_split(tiny_run):
    comp = stages.components(tiny_run, stages.settings_for(tiny_run), progress=False)
    t2i = comp.t2i
    assert t2i.latents.shape == (48, 4, 16, 16) and t2i.latents.dtype == torch.float16  # the x2 VAE's, unpacked
    assert t2i.captions[0] == "" and all(c.startswith("[Generate]: ") for c in t2i.captions[1:])
    assert set(t2i.caption_index.tolist()) == set(range(1, len(t2i.captions)))  # every caption used, null unused
    assert t2i.states.shape[0] == len(t2i.captions) == t2i.lengths.shape[0]
    assert comp.edits.source_latents.shape == comp.edits.latents.shape == (32, 4, 16, 16)
    assert all(c.startswith("[Edit]: A diptych") for c in comp.edits.captions[1:])
    stats = json.loads((t2i.folder / "data_stats.json").read_text())
    assert stats["items"] == 48
    again = t2i_dataset(tiny_run, comp.vae, comp.text_encoder, 48, 0, stages.settings_for(tiny_run).task_weights,
                        progress=False)
    assert again.folder == t2i.folder and torch.equal(again.latents, t2i.latents)
    with pytest.raises(ValueError, match="never from 'test'"):
        t2i_dataset(tiny_run, comp.vae, comp.text_encoder, 8, 0, split="test", progress=False)


def test_objective_packs_zeros_for_generation_and_sources_for_edits(tiny_run):
    comp = stages.components(tiny_run, stages.settings_for(tiny_run), progress=False)
    g = torch.Generator().manual_seed(0)
    t2i_batch = InContextObjective(ObjectiveConfig(edit_fraction=0.0, p_drop_text=0.0), comp.t2i,
                                   comp.edits).sample_batch(16, g)
    assert torch.count_nonzero(t2i_batch["condition"]) == 0 and not t2i_batch["is_edit"].any()
    edit_batch = InContextObjective(ObjectiveConfig(edit_fraction=1.0, p_drop_text=1.0), comp.t2i,
                                    comp.edits).sample_batch(16, g)
    assert edit_batch["is_edit"].all()
    # every condition is the source latent of some edit item, and every caption was dropped to the null caption
    sources = comp.edits.source_latents.float().flatten(1)
    for cond in edit_batch["condition"].flatten(1):
        assert (sources == cond).all(dim=1).any()
    null_len = int(comp.edits.lengths[0])
    assert edit_batch["encoder_attention_mask"].sum(dim=1).tolist() == [null_len] * 16
    mixed = InContextObjective(ObjectiveConfig(edit_fraction=0.5), comp.t2i, comp.edits)
    shares = [float(mixed.sample_batch(16, torch.Generator().manual_seed(i))["is_edit"].float().mean())
              for i in range(40)]
    assert 0.4 < sum(shares) / len(shares) < 0.6


def test_loss_ignores_the_condition_half_of_the_prediction(tiny_run):
    comp = stages.components(tiny_run, stages.settings_for(tiny_run), progress=False)
    objective = InContextObjective(ObjectiveConfig(edit_fraction=0.5), comp.t2i, comp.edits)
    batch = objective.sample_batch(8, torch.Generator().manual_seed(0))

    class RightHalfOnly(torch.nn.Module):  # predicts the exact target on the left, garbage on the right
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(()))

        def forward(self, packed, t, **kw):
            target = batch["noise"] - batch["latents"]
            out = torch.cat([target * self.w, 100 * torch.randn_like(target)], dim=-1)
            return type("Out", (), {"sample": out})()

    assert float(objective.loss(RightHalfOnly(), batch, None)) == pytest.approx(0.0, abs=1e-10)


def test_object_weight_reweights_the_training_loss_and_leaves_validation_unweighted(tiny_run):
    settings = stages.TrainSettings(**{**stages.settings_for(tiny_run).to_dict(), "object_weight": 4.0})
    comp = stages.components(tiny_run, settings, progress=False)
    train, val = stages._objective(comp, settings, 0.0), stages._objective(comp, settings, 0.0, validation=True)
    assert train.config.object_weight == 4.0 and val.config.object_weight == 0.0
    plain = InContextObjective(ObjectiveConfig(edit_fraction=0.0), comp.t2i)
    batch = plain.sample_batch(8, torch.Generator().manual_seed(0))

    class ZeroVelocity(torch.nn.Module):  # error = the target itself, so the weighting shows in the loss
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(()))

        def forward(self, packed, t, **kw):
            return type("Out", (), {"sample": torch.zeros_like(packed) * self.w})()

    expected = flow_matching_loss(torch.zeros(8, *batch["latents"].shape[1:-1], 2 * batch["latents"].shape[-1]),
                                  batch["latents"], batch["noise"],
                                  cell_weights=object_cell_weights(batch["latents"], 4.0))
    weighted = float(train.loss(ZeroVelocity(), batch, None))
    assert weighted == pytest.approx(float(expected))
    assert weighted != pytest.approx(float(plain.loss(ZeroVelocity(), batch, None)))


def test_stages_chain_each_from_the_previous_and_find_the_stage3_pipeline(tiny_run, monkeypatch):
    from dreamlite_core.nano import DreamLiteNanoPipeline

    a1 = stages.stage1(tiny_run, progress=False)
    a3 = stages.stage3(tiny_run, progress=False)  # trains stage 2 on the way, reuses the cached stage 1
    a2 = next((tiny_run.artifacts_dir).glob("stage2-*"))
    assert json.loads((a2 / "artifact_config.json").read_text())["parent"] == a1.name
    assert json.loads((a3 / "artifact_config.json").read_text())["parent"] == a2.name
    assert len(list(tiny_run.artifacts_dir.glob("stage1-*"))) == 1
    summary = stages.stage_summary(a3)
    assert summary["steps"] == 2 and summary["edit_fraction"] == 0.5
    log, _ = stages.read_logs(a1)
    assert [r["step"] for r in log][-1] == 3
    monkeypatch.setattr("dreamlite_core.repro.provenance.REPO_ROOT", tiny_run.root)
    found = stages.find_trained_pipeline("smoke")
    assert found == a3 / "pipeline"
    assert stages.find_trained_pipeline("paper") is None
    pipe = DreamLiteNanoPipeline.from_pretrained(found)
    pipe.set_progress_bar_config(disable=True)
    images = pipe.generate(["a red circle"], num_inference_steps=2, output_type="uint8",
                           generator=torch.Generator().manual_seed(0)).images
    assert images.shape == (1, 32, 32, 3)
    # stage 2 starts from stage 1's weights: its U-Net differs from stage 1's, but not from a fresh init only
    u1 = DreamLiteNanoPipeline.from_pretrained(a1 / "pipeline").unet.state_dict()
    u2 = DreamLiteNanoPipeline.from_pretrained(a2 / "pipeline").unet.state_dict()
    assert u1.keys() == u2.keys() and any(not torch.equal(u1[k], u2[k]) for k in u1)


def test_changing_stage3_only_retrains_stage3(tiny_run, monkeypatch):
    a3 = stages.stage3(tiny_run, progress=False)  # cached by the test above (or trained here)
    a1, a2 = (next(tiny_run.artifacts_dir.glob(f"{n}-*")) for n in ("stage1", "stage2"))
    changed = {**TINY_TRAIN, "stage3_steps": 1, "guidance_scale": 7.0, "eval_per_task": 3}
    monkeypatch.setattr(tiny_run, "section", lambda name: {"nano": TINY_NANO, "train": changed}[name])
    b3 = stages.stage3(tiny_run, progress=False)
    assert b3 != a3 and stages.stage_summary(b3)["steps"] == 1
    assert json.loads((b3 / "artifact_config.json").read_text())["parent"] == a2.name
    assert [p.name for p in tiny_run.artifacts_dir.glob("stage1-*")] == [a1.name]
    assert [p.name for p in tiny_run.artifacts_dir.glob("stage2-*")] == [a2.name]


def test_logit_mean_shifts_the_training_noise_levels_and_leaves_validation_centred(tiny_run):
    settings = stages.TrainSettings(**{**stages.settings_for(tiny_run).to_dict(), "logit_mean": 1.5})
    comp = stages.components(tiny_run, settings, progress=False)
    train, val = stages._objective(comp, settings, 0.0), stages._objective(comp, settings, 0.0, validation=True)
    assert train.config.logit_mean == 1.5 and val.config.logit_mean == 0.0
    s_train = train.sample_batch(512, torch.Generator().manual_seed(0))["sigmas"]
    s_val = val.sample_batch(512, torch.Generator().manual_seed(0))["sigmas"]
    # s = sigmoid(n), n ~ N(mean, 1): the median moves from 0.5 to sigmoid(1.5) = 0.82
    assert float(s_val.median()) == pytest.approx(0.5, abs=0.05)
    assert float(s_train.median()) == pytest.approx(0.82, abs=0.04)


def test_latent_packing_feeds_the_unet_2x2_patches_of_the_cached_vae_latents(tiny_run):
    from dreamlite_core.nano import pack_latents

    settings = stages.TrainSettings(**{**stages.settings_for(tiny_run).to_dict(), "latent_packing": 2})
    comp = stages.components(tiny_run, settings, progress=False)
    channels, side = comp.t2i.latents.shape[1], comp.t2i.latents.shape[-1]  # the VAE's latents, as cached
    assert (comp.nano.unet_channels, comp.nano.latent_size) == (4 * channels, side // 2)
    assert stages.build_unet(comp.nano, settings.attention_layout).config.in_channels == 4 * channels
    for edit_fraction in (0.0, 1.0):
        packed = stages._objective(comp, settings, edit_fraction)
        plain = InContextObjective(ObjectiveConfig(edit_fraction=edit_fraction), comp.t2i, comp.edits)
        a = packed.sample_batch(8, torch.Generator().manual_seed(0))
        b = plain.sample_batch(8, torch.Generator().manual_seed(0))
        assert a["latents"].shape == a["noise"].shape == (8, 4 * channels, side // 2, side // 2)
        assert torch.equal(a["latents"], pack_latents(b["latents"], 2))
        assert torch.equal(a["condition"], pack_latents(b["condition"], 2))


def test_stage_cache_key_holds_what_changes_the_weights_and_nothing_else():
    base = stages.TrainSettings()
    key = stages.stage_config(base, "stage1", 0.0, 10, 0, None, ["t2i_data-x"])
    for free in {"stage2_steps": 1, "stage3_steps": 1, "guidance_scale": 9.0, "eval_per_task": 1, "torch_threads": 1,
                 "checkpoint_every": 7, "ablation_steps": 3, "num_inference_steps": 2}.items():
        other = stages.TrainSettings(**dict([free]))
        assert stages.stage_config(other, "stage1", 0.0, 10, 0, None, ["t2i_data-x"]) == key, free
    for bound in {"learning_rate": 1e-3, "batch_size": 64, "attention_layout": "all", "ema_decay": 0.9,
                  "object_weight": 4.0, "full_convolutions": True, "logit_mean": 1.0, "latent_packing": 2}.items():
        other = stages.TrainSettings(**dict([bound]))
        assert stages.stage_config(other, "stage1", 0.0, 10, 0, None, ["t2i_data-x"]) != key, bound
    assert stages.stage_config(base, "stage1", 0.0, 11, 0, None, ["t2i_data-x"]) != key
    assert stages.stage_config(base, "stage1", 0.0, 10, 0, "stage0-y", ["t2i_data-x"]) != key
    # every field is either in the key or named here as one that cannot change a stage's weights
    free = {"n_t2i", "n_edit", "task_weights", "n_validation", "stage1_steps", "stage2_steps", "stage3_steps",
            "stage3_edit_fraction", "checkpoint_every", "eval_every", "torch_threads", "data_workers", "ablation_steps",
            "ablation_workers",
            "ablation_seeds", "eval_per_task", "eval_edits_per_type", "ablation_eval_per_task",
            "ablation_eval_edits_per_type", "num_inference_steps", "guidance_scale", "eval_batch_size", "grid_prompts"}
    assert set(base.to_dict()) == free | set(stages.STAGE_KEY_FIELDS) | set(stages.OPTIONAL_KEY_FIELDS)
    # an optional field at its zero default leaves the key as it was before the field existed
    assert not set(stages.OPTIONAL_KEY_FIELDS) & set(key["settings"])


def test_lowest_direct_is_the_papers_layout_built_without_pruning_so_any_width_works():
    from dreamlite_core.nano import NanoConfig

    nano = NanoConfig(block_out_channels=(16, 32, 32), attention_head_dim=(1, 1, 2), cross_attention_dim=16,
                      parent_block_out_channels=(24, 48, 48), parent_cross_attention_dim=24)
    pruned, direct = stages.build_unet(nano, "lowest", 0), stages.build_unet(nano, "lowest_direct", 0)
    assert pruned.config.down_block_types == direct.config.down_block_types
    assert pruned.config.up_block_types == direct.config.up_block_types
    assert {k: v.shape for k, v in pruned.state_dict().items()} == {k: v.shape for k, v in direct.state_dict().items()}
    direct_state = direct.state_dict()  # another initialisation (conv_in, drawn first, may coincide)
    assert any(not torch.equal(v, direct_state[k]) for k, v in pruned.state_dict().items())
    wide = NanoConfig(**{**nano.__dict__, "block_out_channels": (32, 32, 32)})  # wider than the parent's 24
    with pytest.raises(ValueError):
        stages.build_unet(wide, "lowest", 0)
    assert stages.build_unet(wide, "lowest_direct", 0).conv_in.out_channels == 32


def test_full_convolutions_swap_the_separable_res_blocks_for_plain_3x3_ones(tiny_run):
    settings = stages.settings_for(tiny_run)
    full = stages.TrainSettings(**{**settings.to_dict(), "full_convolutions": True})
    sep_nano, full_nano = stages.nano_config_for(tiny_run, settings), stages.nano_config_for(tiny_run, full)
    assert sep_nano.use_sep_conv and not full_nano.use_sep_conv
    assert sep_nano.replace(use_sep_conv=False) == full_nano  # nothing else changes
    kernels = {}
    for name, nano in (("sep", sep_nano), ("full", full_nano)):
        unet = stages.build_unet(nano, settings.attention_layout, 0)  # the pruning path takes either kind
        conv = [m for n, m in unet.named_modules() if n.startswith("down_blocks.0.resnets.0") and
                isinstance(m, torch.nn.Conv2d) and m.kernel_size == (3, 3)]
        kernels[name] = {(m.groups == m.in_channels) for m in conv}
    assert kernels == {"sep": {True}, "full": {False}}  # depthwise 3x3 against dense 3x3


def test_equal_compute_ablation_splits_steps_like_the_stages():
    s = stages.TrainSettings(stage1_steps=2000, stage2_steps=800, stage3_steps=1200)
    split = [s.stage_steps(st, 1000) for st in stages.STAGES]
    assert split == [500, 200, 300] and sum(split) == 1000
    assert s.edit_fraction("joint") == s.stage3_edit_fraction
    with pytest.raises(ValueError, match="unknown \\[<profile>.train\\] \\(profiles.toml\\) keys \\['bogus'\\]"):
        stages.TrainSettings.from_profile({"bogus": 1})


def test_sdedit_profile_starts_each_run_at_the_samplers_noise_level(tiny_run):
    pipe = stages.load_pipeline(stages.stage1(tiny_run, progress=False))
    settings = stages.TrainSettings(**{**TINY_TRAIN, "num_inference_steps": 4})
    profile = stages.sdedit_profile(pipe, settings, per_task=1, strengths=(0.25, 0.5, 1.0))
    rows = profile["rows"]
    assert profile["oracle"] == 1.0 and 0.0 <= profile["chance"] <= 1.0  # one item per task: shuffling is the identity
    assert [r["steps"] for r in rows] == [1, 2, 4]
    sigmas = [r["start_sigma"] for r in rows]
    assert sigmas[-1] == pytest.approx(1.0) and sigmas[0] < sigmas[1] < sigmas[2]
    assert sigmas[:2] == pytest.approx([float(pipe.scheduler.sigmas[3]), float(pipe.scheduler.sigmas[2])])
    assert all(0.0 <= r["geneval"] <= 1.0 and "single_object" in r for r in rows)


def test_evaluation_scores_gedit_on_its_own_group_balanced_edits(tiny_run):
    from dreamlite_core.eval import GENEVAL_OUTCOMES
    from dreamlite_core.train import report
    from dreamlite_core.world.edit import EDIT_TYPES, GEDIT_GROUPS

    pipe = stages.load_pipeline(stages.stage1(tiny_run, progress=False))
    settings = stages.TrainSettings(**{**TINY_TRAIN, "num_inference_steps": 1})
    ev = stages.evaluate_pipeline(pipe, settings, "validation", benchmarks=("geneval", "imgedit", "gedit"),
                                  per_task=1, edits_per_type=3)
    assert ev["imgedit"]["model"]["n_by_type"] == {t: 3 for t in EDIT_TYPES}
    n_gedit = ev["gedit"]["model"]["n_by_group"]
    assert set(n_gedit) == set(GEDIT_GROUPS) and sum(n_gedit.values()) == 3 * len(GEDIT_GROUPS)
    assert ev["gedit"]["oracle"]["n_by_group"] == n_gedit  # oracle and chance score the same edits
    gedit_sources, _, gedit_items = ev["images"]["gedit"]
    assert len(gedit_sources) == len(gedit_items) == 33 and ev["images"]["edit"][2] != gedit_items
    assert ev["geneval"]["oracle"]["outcomes_by_task"]["colors"]["correct"] == 1.0
    assert "outcomes" not in ev["geneval"]["model"] and "correct" not in ev["gedit"]["model"]  # per-item lists stripped
    outcomes = report.geneval_outcome_frame(ev)
    assert list(outcomes["point"].unique()) == ["model", "chance"] and len(outcomes) == 2 * 6
    np.testing.assert_allclose(outcomes[list(GENEVAL_OUTCOMES)].sum(axis=1), 1.0)
    assert report.benchmark_frame(ev, "gedit").iloc[-1]["model"] == "n"


def test_evaluation_refuses_the_training_split():
    with pytest.raises(ValueError, match="'validation' \\(tuning\\) or 'test'"):
        stages.evaluate_pipeline(None, stages.TrainSettings(), split="train")


def test_uniform_attention_puts_half_its_mass_on_the_condition_half():
    from diffusers.models.attention_processor import Attention

    from dreamlite_core.train.report import target_to_condition_mass

    torch.manual_seed(0)
    attn = Attention(query_dim=8, heads=2, dim_head=4)
    x = torch.randn(3, 4 * 8, 8)  # a 4x8 packed grid
    with torch.no_grad():
        attn.to_q.weight.zero_()
        attn.to_q.bias is None or attn.to_q.bias.zero_()
    with torch.no_grad():
        mass = target_to_condition_mass(attn, x)
    assert mass.shape == (4, 4)
    assert torch.allclose(mass, torch.full((4, 4), 0.5), atol=1e-6)
    # keys that only the condition half can match: every target query then looks across the diptych
    with torch.no_grad():
        attn.to_q.weight.copy_(torch.eye(8)[:8] * 5)
        attn.to_k.weight.copy_(torch.eye(8)[:8] * 5)
    x = torch.zeros(1, 32, 8)
    x[0, :, [0, 4]] = 1.0  # channel 0 feeds head 0, channel 4 head 1
    cond = (torch.arange(32) % 8) >= 4
    x[0, cond.nonzero()[:, 0][:, None], torch.tensor([[0, 4]])] = 3.0
    with torch.no_grad():
        assert float(target_to_condition_mass(attn, x).min()) > 0.9


def test_swap_word_replaces_the_first_vocabulary_word_and_fixes_the_article():
    from dreamlite_core.train.probes import swap_word
    from dreamlite_core.world.constants import COLORS, SHAPES

    assert swap_word("a photo of a red star", COLORS) == "a photo of an orange star"
    assert swap_word("a photo of an orange star", COLORS) == "a photo of a yellow star"
    assert swap_word("a photo of a red cross", SHAPES) == "a photo of a red circle"  # cyclic
    with pytest.raises(ValueError, match="no word of"):
        swap_word("a photo of two dogs", SHAPES)


def test_word_grid_change_measures_each_row_against_the_first():
    import numpy as np

    from dreamlite_core.train.probes import word_grid_change

    base = np.zeros((2, 4, 4, 3), np.uint8)
    moved = base.copy()
    moved[0, 0, 0, 0] = 96  # one value of 2 * 4 * 4 * 3 = 96 changes by 96: mean 1.0
    assert word_grid_change({"circle": base, "square": base, "star": moved}) == {"square": 0.0, "star": 1.0}


def test_prompt_sensitivity_is_zero_exactly_when_no_text_reaches_the_unet(tiny_run):
    from dreamlite_core.train.probes import prompt_sensitivity

    pipe = stages.load_pipeline(stages.stage1(tiny_run, progress=False))
    items = [it for it in stages.eval_items("validation", 2, 0, 0)[0] if it.task == "colors"]
    rows = prompt_sensitivity(pipe, items, sigmas=(0.8, 0.4))
    assert [r["sigma"] for r in rows] == [0.8, 0.4]
    assert all(r["velocity_rms"] > 0 and r["shape word"] > 0 and r["colour word"] > 0 and r["prompt vs null"] > 0
               for r in rows)
    assert rows[0]["shape word (renders)"] == rows[1]["shape word (renders)"] > 0  # clean latents: no s
    with pytest.raises(ValueError, match="one-object scenes"):
        prompt_sensitivity(pipe, [it for it in stages.eval_items("validation", 1, 0, 0)[0] if it.task == "two_object"])
    cross = [m for m in pipe.unet.modules() if getattr(m, "is_cross_attention", False)]
    assert cross
    with torch.no_grad():
        for m in cross:  # cut every path from the text states to the output
            m.to_out[0].weight.zero_()
            m.to_out[0].bias.zero_()
    deaf = prompt_sensitivity(pipe, items, sigmas=(0.8, 0.4))
    assert all(r["velocity_rms"] > 0 and r["shape word"] == r["colour word"] == r["prompt vs null"] == 0.0
               for r in deaf)


def test_stored_ablation_needs_the_profile_and_labels_another_vae(tmp_path):
    from types import SimpleNamespace

    vae = SimpleNamespace(config=SimpleNamespace(scaling_factor=4.50767472992788))
    path = tmp_path / "ablation_1000_steps.json"
    assert stages.stored_ablation(path, "default", vae)[0] is None  # missing file: no plot, a reason
    data = {"profile": "default", "settings": {"train": {"ablation_steps": 1000}}, "ablation": [],
            "vae": {"scaling_factor": 4.50767472992788}}
    path.write_text(json.dumps(data))
    assert stages.stored_ablation(path, "smoke", vae) == (None, "no larger-budget ablation measured under the "
                                                                "'smoke' profile (ablation_1000_steps.json)")
    assert stages.stored_ablation(path, "default", vae) == (data, "1000 steps per recipe")
    data["vae"]["scaling_factor"] = 4.5077  # another training of the VAE: a different latent scale
    path.write_text(json.dumps(data))
    found, label = stages.stored_ablation(path, "default", vae)
    assert found == data and label == "1000 steps per recipe (another VAE: latent scale 4.5077, this run's 4.50767)"


def test_ablation_difference_is_staged_minus_joint_beside_the_larger_seed_spread():
    rows = [{"recipe": r, "seed": i, "val_loss_t2i": t, "val_loss_edit": e, "geneval": g, "imgedit": 1.0}
            for r, i, t, e, g in (("staged", 0, 0.30, 0.40, 0.0), ("staged", 1, 0.32, 0.44, 0.1),
                                  ("joint", 0, 0.35, 0.40, 0.0), ("joint", 1, 0.35, 0.40, 0.0))]
    diff, spread = stages.ablation_difference(rows)
    assert diff["val_loss_t2i"] == pytest.approx(-0.04) and diff["val_loss_edit"] == pytest.approx(0.02)
    assert diff["geneval"] == pytest.approx(0.05) and diff["imgedit"] == 0.0
    assert spread["val_loss_edit"] == pytest.approx(np.std([0.40, 0.44], ddof=1)) and spread["imgedit"] == 0.0
    assert np.isnan(stages.ablation_difference(rows[::2])[1]["geneval"])  # one seed per recipe: no spread


def test_ablation_workers_deal_seeds_round_robin():
    from dreamlite_core.train.ablation_workers import deal_seeds

    assert deal_seeds([0, 1, 2, 3], 2) == [[0, 2], [1, 3]]
    assert deal_seeds([5, 6, 7], 2) == [[5, 7], [6]]
    assert deal_seeds([4], 3) == [[4]]  # never an idle worker


def _ablation_run(root, **train):
    run = Run("06_stage3_joint", profile="smoke", seed=0, output_dir=root / "out", root=root)
    sections = {"nano": TINY_NANO, "train": {**TINY_TRAIN, "ablation_seeds": [0, 1], "torch_threads": 1, **train}}
    run.section = lambda name: sections[name]
    return run


def test_ablation_in_two_worker_processes_builds_what_the_sequential_loop_builds(tmp_path):
    # Two 1-thread workers train the seeds side by side; with one thread everywhere their U-Nets must be
    # byte-identical to those of the sequential loop (same cache keys, same arithmetic), and the manifest must
    # list every run although two processes wrote it.
    from safetensors.torch import load_file

    stages._COMPONENTS.clear()
    sequential = stages.ablation_runs(_ablation_run(tmp_path / "seq", ablation_workers=1), progress=False)
    stages._COMPONENTS.clear()
    run = _ablation_run(tmp_path / "par", ablation_workers=2)
    parallel = stages.ablation_runs(run, progress=False)
    stages._COMPONENTS.clear()
    logs = sorted((run.work_dir / "train" / "ablation_workers").glob("worker-*.log"))
    assert len(logs) == 2 and all(log.read_text().count("finished ") == 4 for log in logs)
    for recipe in ("staged", "joint"):
        assert [f.name for f in parallel[recipe]] == [f.name for f in sequential[recipe]]
        for a, b in zip(sequential[recipe], parallel[recipe]):
            weights = "pipeline/unet/diffusion_pytorch_model.safetensors"
            wa, wb = load_file(a / weights), load_file(b / weights)
            assert all(torch.equal(wa[k], wb[k]) for k in wa)
            assert json.loads((b / "stage_summary.json").read_text())["torch_threads"] == 1
    manifest = json.loads(run.manifest_path.read_text())
    built = {p.name for p in run.artifacts_dir.iterdir() if p.name.startswith("ablation_")}
    assert len(built) == 8
    assert built <= {key.split("/")[3] for key in manifest}


def test_a_failing_ablation_worker_raises_with_its_log(tmp_path):
    from dreamlite_core.train.ablation_workers import AblationWorkerError

    stages._COMPONENTS.clear()
    run = _ablation_run(tmp_path, ablation_workers=2, attention_layout="nowhere")
    with pytest.raises(AblationWorkerError, match="(?s)ablation worker . .*unknown attention_layout 'nowhere'"):
        stages.ablation_runs(run, progress=False)
    stages._COMPONENTS.clear()
    assert not [p for p in run.artifacts_dir.iterdir() if p.name.startswith("ablation_")]
