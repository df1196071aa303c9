"""Run the whole DreamLite-Nano chain headless under one profile and print/write its numbers.

The notebooks 03-06 narrate these same package calls; this script is for machines without Jupyter, such as a lent
GPU for the ``paper`` profile:

    python benchmarks/train_profile.py --profile paper --out results_paper.json [--deadline-s 480] [--bundle DIR]
    python benchmarks/train_profile.py --profile default --no-ablation --set latent_packing=1 \
        --set 'block_out_channels=[16, 32, 128]' --set 'attention_head_dim=[1, 1, 4]' \
        --set 'attention_layout="lowest_direct"'    # a variant of the profile's U-Net through the whole chain
    python benchmarks/train_profile.py --profile default --ablation-only --set ablation_steps=1000 \
        --out results/ablation_1000_steps.json    # the direct-joint ablation at a larger equal budget

Steps, each timed: the nano VAE (its PSNR, and the GenEval oracle *through* it: what the latent space caps), the
training data (rendered, VAE-encoded, text-encoded), stages 1-3 (stage 1 also scored on VALIDATION GenEval, the
number notebook 04's recipe rows use), the held-out TEST evaluation of stage 1 (GenEval, DPG) and stage 3 (all four
mini benchmarks) beside oracle and chance, and the equal-compute direct-joint ablation, scored as notebook 06 scores
it (``stages.ablation_rows``; ``--no-ablation`` skips it, ``--ablation-only`` skips stages 1-3 instead; it is also
skipped when less than ``--ablation-needs-s`` of the deadline is left). Every step is the same cached
artifact a notebook would build, under ``<root>/runs/<profile>/artifacts/``.

``--set KEY=VALUE`` overrides one ``[<profile>.train]`` setting for every step (VALUE is TOML; unknown keys are
refused), as ``benchmarks/stage1_variant.py --set`` does for stage 1 alone; changed settings are other cached stages.
The summary JSON is rewritten after every step, so a run cut off by its time limit still leaves what it measured.
``--bundle DIR`` writes each stage's U-Net, scheduler and logs as ``DIR/<stage>.tar`` and the VAE as ``DIR/vae.tar``
(unpacked into one folder beside a ``text_encoder``/``tokenizer`` copy, they make the stage's pipeline again; the
87 MB text encoder is left out: it is the pinned MiniLM).

Implements: the ``paper`` profile's run (README "Profiles"); its numbers from a lent GPU are in
``results/paper_profile_gpu.json``.
"""

from __future__ import annotations

import os

from dreamlite_core.openmp import wait_briefly

wait_briefly()  # before torch starts (dreamlite_core.openmp)

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import tarfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from dreamlite_core.repro.profiles import parse_override  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ("model_index.json", "scheduler", "unet")  # per stage; the VAE (shared by all) goes once into vae.tar


def environment() -> dict:
    import diffusers
    import numpy
    import torch
    import transformers

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {"device": gpu or platform.processor() or "cpu", "cuda": torch.version.cuda if gpu else None,
            "cpu_count": os.cpu_count(), "python": platform.python_version(), "torch": torch.__version__,
            "diffusers": diffusers.__version__, "transformers": transformers.__version__,
            "numpy": numpy.__version__}


def vae_oracle(vae, items, size: int) -> dict:
    """GenEval of the items' ground-truth renders after one trip through the VAE (the cap the latent space sets)."""
    import numpy as np

    from dreamlite_core.eval import geneval_score
    from dreamlite_core.nano import round_trip
    from dreamlite_core.world import render_scene

    renders = np.stack([render_scene(it.scene, size=size) for it in items])
    report = geneval_score(round_trip(vae, renders), items)
    return {"overall": report["overall"], "by_task": report["by_task"]}


def bundle(artifact: Path, target: Path) -> Path:
    """``target`` (a .tar) with the artifact's pipeline parts in ``BUNDLED`` and its logs."""
    from dreamlite_core.train import stages

    with tarfile.open(target, "w") as tar:
        for part in BUNDLED:
            path = stages.pipeline_folder(artifact) / part
            if path.exists():
                tar.add(path, arcname=f"pipeline/{part}")
        for log in ("log.jsonl", "eval.jsonl", "config.json", "stage_summary.json", "artifact_config.json"):
            if (artifact / log).exists():
                tar.add(artifact / log, arcname=log)
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="paper")
    parser.add_argument("--out", type=Path, default=None, help="write the summary JSON here")
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="where runs/<profile>/ lives (default: repo)")
    parser.add_argument("--bundle", type=Path, default=None, help="write each stage as <stage>.tar into this folder")
    parser.add_argument("--deadline-s", type=float, default=None,
                        help="wall-clock budget: later optional steps (the ablation) are skipped to stay inside it")
    parser.add_argument("--ablation-needs-s", type=float, default=150.0,
                        help="the time the ablation needs; it runs only when this much of the deadline is left")
    parser.add_argument("--no-ablation", action="store_true")
    parser.add_argument("--ablation-only", action="store_true",
                        help="skip stages 1-3 and their evaluation: the VAE, the data, then the ablation alone")
    parser.add_argument("--progress", action="store_true", help="show tqdm bars (off: one line per step)")
    parser.add_argument("--set", dest="overrides", type=parse_override, action="append", default=[],
                        metavar="KEY=VALUE", help="override one [<profile>.train] setting (VALUE in TOML syntax)")
    args = parser.parse_args(argv)
    start = time.perf_counter()

    import torch

    from dreamlite_core.nano import load_or_train_vae, vae_metrics
    from dreamlite_core.repro import Run, to_jsonable
    from dreamlite_core.train import stages

    run = Run("train_profile", profile=args.profile, root=args.root)
    overrides = dict(args.overrides)
    if overrides:  # every step reads the run's [train] section (stages.settings_for), so each sees the overrides
        profile_section = run.section
        run.section = lambda name: ({**profile_section(name), **overrides} if name == "train"
                                    else profile_section(name))
    try:
        settings = stages.settings_for(run)
    except ValueError as err:
        parser.error(f"--set: {err}")
    summary = {"profile": args.profile, "run_device": run.device, "environment": environment(), "seconds": {},
               "settings": {"nano": run.section("nano"), "train": settings.to_dict()}, "overrides": overrides}

    def write():
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(to_jsonable(summary), indent=1) + "\n")

    def timed(name, fn, *a, **k):
        t0 = time.perf_counter()
        out = fn(*a, **k)
        if run.device.startswith("cuda"):
            torch.cuda.synchronize()
        summary["seconds"][name] = round(time.perf_counter() - t0, 1)
        print(f"{name}: {summary['seconds'][name]} s", flush=True)
        return out

    def left() -> float:
        return float("inf") if args.deadline_s is None else args.deadline_s - (time.perf_counter() - start)

    print(json.dumps(summary["environment"]), flush=True)
    write()
    progress = args.progress

    # 1. the VAE and what it caps
    vae = timed("vae", load_or_train_vae, run, run.section("nano"), progress)
    metrics = vae_metrics(vae)
    history = metrics.pop("loss_history", [])
    summary["vae"] = {**metrics, "loss_every_100": history[::100]}
    if args.bundle:
        args.bundle.mkdir(parents=True, exist_ok=True)
        with tarfile.open(args.bundle / "vae.tar", "w") as tar:
            tar.add(vae.config._name_or_path, arcname="pipeline/vae")
    checker_items = stages.eval_items("validation", settings.ablation_eval_per_task, 0, run.seed)[0]
    resolution = stages.nano_config_for(run, settings).resolution
    summary["vae"]["geneval_oracle_through_vae"] = vae_oracle(vae, checker_items, resolution)
    print(f"VAE {metrics['psnr_val_db']:.1f} dB; GenEval through it "
          f"{summary['vae']['geneval_oracle_through_vae']['overall']:.3f}", flush=True)
    write()

    # 2. training data
    comp = timed("data", stages.components, run, settings, progress)
    summary["data"] = {name: json.loads((getattr(comp, name).folder / "data_stats.json").read_text())
                       for name in ("t2i", "edits")}
    write()

    # 3. stages 1-3
    folders = {}
    for name, fn in () if args.ablation_only else (("stage1", stages.stage1), ("stage2", stages.stage2),
                                                   ("stage3", stages.stage3)):
        folders[name] = timed(name, fn, run, progress)
        summary.setdefault("stages", {})[name] = {**stages.stage_summary(folders[name]),
                                                  "eval_log": stages.read_logs(folders[name])[1]}
        if args.bundle:
            bundle(folders[name], args.bundle / f"{name}.tar")
        if name == "stage1":
            pipe = stages.load_pipeline(folders[name], run.device)
            ev = timed("stage1_validation", stages.evaluate_pipeline, pipe, settings, "validation", run.seed,
                       benchmarks=("geneval",), per_task=settings.ablation_eval_per_task)
            summary["stage1_validation"] = stages.headline_scores(ev)
            ev = timed("stage1_test", stages.evaluate_on_test, folders[name], run, benchmarks=("geneval", "dpg"))
            summary["stage1_test"] = stages.headline_scores(ev)
            print("stage1 test", json.dumps(to_jsonable(summary["stage1_test"])), flush=True)
        write()

    if not args.ablation_only:
        evaluation = timed("stage3_test", stages.evaluate_on_test, folders["stage3"], run)
        summary["stage3_test"] = stages.headline_scores(evaluation)
        print("stage3 test", json.dumps(to_jsonable(summary["stage3_test"])), flush=True)
        write()

    # 4. the ablation, when there is time for it
    if args.no_ablation or left() < args.ablation_needs_s:
        summary["ablation"] = None
        summary["ablation_skipped"] = "--no-ablation" if args.no_ablation else f"{left():.0f} s left of the deadline"
        print(f"ablation skipped: {summary['ablation_skipped']}", flush=True)
    else:
        ablation = timed("ablation_train", stages.ablation_runs, run, progress)
        rows = timed("ablation_eval", stages.ablation_rows, run, ablation, settings)  # notebook 06's table
        diff, spread = stages.ablation_difference(rows)
        summary["ablation"] = rows
        summary["ablation_staged_minus_joint"], summary["ablation_max_seed_std"] = diff, spread
        summary["ablation_eval_logs"] = {label: stages.read_logs(folder)[1]  # the validation curves
                                         for label, folder in stages.ablation_curves(ablation, settings).items()}
        for m in stages.ABLATION_METRICS:
            print(f"ablation {m}: staged - joint = {diff[m]:+.4f} (largest seed std {spread[m]:.4f})", flush=True)
    summary["seconds"]["total"] = round(time.perf_counter() - start, 1)
    write()
    print(f"total: {summary['seconds']['total']} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
