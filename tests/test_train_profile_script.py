"""benchmarks/train_profile.py, the script a lent GPU runs: under smoke it times every step, writes its summary and
bundles each stage so that the stage's pipeline can be rebuilt on another machine (benchmarks/probe_pipeline.py)."""

from __future__ import annotations

import importlib.util
import json
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parents[1]


def _script(name):
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_train_profile_summary_and_bundles_round_trip(tmp_path):
    from dreamlite_core.train import stages

    out, bundles = tmp_path / "out" / "summary.json", tmp_path / "bundles"
    script = _script("train_profile")
    with pytest.raises(SystemExit):  # an unknown [train] key is refused before anything is trained
        script.main(["--profile", "smoke", "--root", str(tmp_path / "root"), "--set", "no_such_setting=1"])
    assert not (tmp_path / "root").exists()
    assert script.main(["--profile", "smoke", "--root", str(tmp_path / "root"), "--out", str(out),
                        "--bundle", str(bundles), "--no-ablation", "--set", "stage1_steps=4"]) == 0
    summary = json.loads(out.read_text())
    assert summary["overrides"] == {"stage1_steps": 4}  # the smoke profile's own is 6
    assert summary["stages"]["stage1"]["steps"] == summary["settings"]["train"]["stage1_steps"] == 4
    assert list(summary["seconds"]) == ["vae", "data", "stage1", "stage1_validation", "stage1_test", "stage2",
                                        "stage3", "stage3_test", "total"]
    assert summary["run_device"] == "cpu" and summary["ablation"] is None
    assert summary["ablation_skipped"] == "--no-ablation"
    for bench in ("geneval", "dpg", "imgedit", "gedit"):  # each score beside its oracle and chance
        assert set(summary["stage3_test"][bench]) >= {"model", "oracle", "chance"}
    assert summary["stage3_test"]["geneval"]["oracle"] == 1.0 > summary["stage3_test"]["geneval"]["chance"]
    assert sorted(p.name for p in bundles.iterdir()) == ["stage1.tar", "stage2.tar", "stage3.tar", "vae.tar"]

    # the ablation alone, at another budget: no stage 1-3 step, notebook 06's rows and differences
    ablation_out = tmp_path / "out" / "ablation.json"
    assert script.main(["--profile", "smoke", "--root", str(tmp_path / "root"), "--out", str(ablation_out),
                        "--ablation-only", "--set", "ablation_steps=3", "--set", "ablation_seeds=[0, 1]",
                        "--set", "ablation_workers=1"]) == 0
    ablation = json.loads(ablation_out.read_text())
    assert list(ablation["seconds"]) == ["vae", "data", "ablation_train", "ablation_eval", "total"]
    assert sorted((r["recipe"], r["seed"]) for r in ablation["ablation"]) == [
        ("joint", 0), ("joint", 1), ("staged", 0), ("staged", 1)]
    assert all(np.isfinite(r["val_loss_t2i"]) and np.isfinite(r["val_loss_edit"]) for r in ablation["ablation"])
    assert set(ablation["ablation_staged_minus_joint"]) == set(stages.ABLATION_METRICS)
    assert sorted(ablation["ablation_eval_logs"]) == ["joint, seed 0", "joint, seed 1", "staged, seed 0",
                                                      "staged, seed 1"]

    # unpack stage 3 and the VAE, add the pinned text encoder: the same pipeline as the artifact, same outputs
    artifact = next((tmp_path / "root" / "runs" / "smoke" / "artifacts").glob("stage3-*"))
    rebuilt = tmp_path / "rebuilt"
    for name in ("stage3.tar", "vae.tar"):
        with tarfile.open(bundles / name) as tar:
            tar.extractall(rebuilt, filter="data")
    for part in ("text_encoder", "tokenizer"):
        shutil.copytree(stages.pipeline_folder(artifact) / part, stages.pipeline_folder(rebuilt) / part)
    assert json.loads((rebuilt / "stage_summary.json").read_text())["name"] == "stage3"
    images = [stages.load_pipeline(folder).generate(["a photo of a red circle"], num_inference_steps=2,
                                                     generator=torch.Generator().manual_seed(0), output_type="uint8")
              for folder in (artifact, rebuilt)]
    np.testing.assert_array_equal(images[0].images, images[1].images)

    # the rebuilt stage is probed like notebook 04's model
    assert _script("probe_pipeline").main([str(rebuilt), "--name", "probe", "--profile", "smoke", "--per-task", "2",
                                           "--guidance-scale", "3.5", "--num-inference-steps", "3", "--test",
                                           "--output-dir", str(tmp_path / "probe")]) == 0
    probed = json.loads((tmp_path / "probe" / "results" / "probe.json").read_text())["metrics"]
    assert set(probed) == {"validation", "test", "shape_word_pixel_change", "prompt_sensitivity"}
    assert probed["test"]["per_task"] == 2 and probed["test"]["geneval"]["oracle"] == 1.0  # held-out renders
    assert set(probed["test"]["geneval_by_task"]) == set(probed["validation"]["geneval_by_task"])
    assert {k: probed["validation"][k] for k in ("per_task", "guidance_scale", "num_inference_steps")} == {
        "per_task": 2, "guidance_scale": 3.5, "num_inference_steps": 3}
    assert [row["sigma"] for row in probed["prompt_sensitivity"]] == [0.9, 0.7, 0.5, 0.3]
    assert {p.name for p in (tmp_path / "probe" / "figures").glob("*.png")} == {
        "probe_samples.png", "probe_shape_words.png", "probe_prompt_sensitivity.png"}


def test_stage1_variant_overrides_settings_and_chains_a_curriculum(tmp_path):
    import argparse

    from dreamlite_core.train import stages

    script = _script("stage1_variant")
    assert script.parse_override("batch_size=8") == ("batch_size", 8)
    assert script.parse_override("task_weights={dpg = 0.0, colors = 1.5}") == ("task_weights",
                                                                              {"dpg": 0.0, "colors": 1.5})
    for bad in ("batch_size", "=3", "batch_size=[1,"):
        with pytest.raises(argparse.ArgumentTypeError):
            script.parse_override(bad)
    root = tmp_path / "root"
    artifacts = root / "runs" / "smoke" / "artifacts"
    common = ["--profile", "smoke", "--root", str(root), "--no-probe", "--set", "batch_size=4"]
    with pytest.raises(SystemExit):  # an unknown key is refused before anything trains
        script.main(["bad", *common, "--set", "batch_sise=4"])
    assert not artifacts.exists()

    words_only = "task_weights={single_object = 1.0, colors = 1.0, two_object = 0.0, counting = 0.0, position = 0.0, " \
                 "color_attr = 0.0, dpg = 0.0}"  # a setting the profile leaves at its default
    assert script.main(["words", *common, "--set", "stage1_steps=2", "--set", words_only]) == 0
    words_data = [p for p in artifacts.iterdir() if p.name.startswith("t2i_data-")]
    assert any(set(json.loads((p / "items.json").read_text())["tasks"]) == {"single_object", "colors"}
               for p in words_data)
    (first,) = [p for p in artifacts.iterdir() if p.name.startswith("stage1-")]
    assert stages.stage_summary(first)["steps"] == 2 and stages.stage_summary(first)["parent"] is None
    assert script.main(["then_all", *common, "--set", "stage1_steps=3", "--parent", str(first)]) == 0
    second = [p for p in artifacts.iterdir() if p.name.startswith("stage1-") and p != first]
    assert len(second) == 1
    assert stages.stage_summary(second[0])["steps"] == 3 and stages.stage_summary(second[0])["parent"] == first.name
    with pytest.raises(SystemExit):
        script.main(["orphan", *common, "--parent", str(tmp_path)])
    # --train-seed: another U-Net initialisation and batch draw on the same data (no dataset or VAE is rebuilt)
    before = {p.name for p in artifacts.iterdir()}
    assert script.main(["words_seed1", *common, "--set", "stage1_steps=2", "--set", words_only, "--train-seed",
                        "1"]) == 0
    (new,) = {p.name for p in artifacts.iterdir()} - before
    assert new.startswith("stage1-") and json.loads((artifacts / new / "artifact_config.json").read_text())[
        "seed"] == 1


def test_stage1_variant_nano_set_trains_on_another_vae(tmp_path):
    from dreamlite_core.train import stages

    script = _script("stage1_variant")
    root = tmp_path / "root"
    artifacts = root / "runs" / "smoke" / "artifacts"
    common = ["--profile", "smoke", "--root", str(root), "--no-probe", "--set", "batch_size=4", "--set",
              "stage1_steps=1"]
    with pytest.raises(SystemExit):  # an unknown [nano] key is refused before anything trains
        script.main(["bad", *common, "--nano-set", "latent_chanels=8"])
    assert not artifacts.exists()
    # x2 with 8 channels: the VAE, the datasets and the U-Net all follow the overridden [nano] section
    x2 = ["--nano-set", "latent_channels=8", "--nano-set", "vae_encoder_blocks=[0, 3]", "--nano-set",
          "vae_decoder_blocks=[3, 1]"]
    assert script.main(["x2", *common, *x2]) == 0
    (vae,) = [p for p in artifacts.iterdir() if p.name.startswith("nano_vae-")]
    assert json.loads((vae / "config.json").read_text())["latent_channels"] == 8
    (stage,) = [p for p in artifacts.iterdir() if p.name.startswith("stage1-")]
    unet = json.loads((stage / stages.PIPELINE_DIR / "unet" / "config.json").read_text())
    assert (unet["in_channels"], unet["sample_size"]) == (32, 8)  # 32 px at x2: 16x16x8, packed 2x2 (smoke's)
    kinds = ("nano_vae-", "t2i_data-", "edit_data-", "stage1-")
    x2_built = {k: {p.name for p in artifacts.iterdir() if p.name.startswith(k)} for k in kinds}
    # the profile's own VAE in the same process: a new VAE, new datasets (keyed by their VAE) and a new stage, not
    # the memoised x2 ones
    assert script.main(["profile", *common]) == 0
    for kind in kinds:
        now = {p.name for p in artifacts.iterdir() if p.name.startswith(kind)}
        assert x2_built[kind] < now and len(now) == 2 * len(x2_built[kind]), kind


def test_stage1_variant_throughput_only_times_the_variant_unet_and_trains_nothing(tmp_path, capsys):
    script = _script("stage1_variant")
    root = tmp_path / "root"
    args = ["x2", "--profile", "smoke", "--root", str(root), "--set", "batch_size=2", "--nano-set",
            "latent_channels=8", "--nano-set", "vae_encoder_blocks=[0, 3]", "--throughput-only"]
    assert script.main(args) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["latent"] == [32, 8, 8] and line["batch"] == 2 and line["samples_per_s"] > 0  # 16x16x8 packed 2x2
    assert not (root / "runs" / "smoke" / "artifacts").exists()  # no VAE, data or stage was built


def test_stage1_variant_vae_only_trains_the_variant_vae_and_nothing_else(tmp_path, capsys):
    script = _script("stage1_variant")
    root = tmp_path / "root"
    args = ["enc1", "--profile", "smoke", "--root", str(root), "--nano-set", "vae_encoder_blocks=[1, 3, 3]",
            "--nano-set", "vae_decoder_blocks=[3, 3, 1]", "--nano-set", "vae_steps=2", "--vae-only"]
    with pytest.raises(SystemExit):  # the two "only" modes exclude each other: refused before anything is built
        script.main([*args, "--throughput-only"])
    assert not root.exists()
    assert script.main(args) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    artifacts = root / "runs" / "smoke" / "artifacts"
    assert [p.name for p in artifacts.iterdir()] == [Path(line["vae"]).name]  # no datasets, no stage
    assert json.loads((Path(line["vae"]) / "config.json").read_text())["num_encoder_blocks"] == [1, 3, 3]
    assert line["steps_done"] == 2 and "loss_history" not in line
