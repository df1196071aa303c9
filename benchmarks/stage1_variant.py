"""Train one stage-1 variant (the profile's ``[train]`` settings with some changed) and probe it as notebook 04 does.

    python benchmarks/stage1_variant.py NAME --set batch_size=128 --set stage1_steps=2600 \\
        --set 'task_weights={single_object = 1.0, colors = 1.0, two_object = 0.0, counting = 0.0, position = 0.0,
                             color_attr = 0.0, dpg = 0.0}' [--profile default] [--threads 2] [--no-probe]
    python benchmarks/stage1_variant.py NAME --parent runs/default/artifacts/stage1-<hash> --set ...  # a curriculum
    python benchmarks/stage1_variant.py NAME --set 'attention_layout="lowest_direct"' \\
        --set 'block_out_channels=[64, 64, 128]'   # wider than the pruning parent: built directly
    python benchmarks/stage1_variant.py NAME --set object_weight=4   # the loss weighted on object cells (ours)
    python benchmarks/stage1_variant.py NAME --set logit_mean=1.0    # more training at high noise levels
    python benchmarks/stage1_variant.py NAME --nano-set latent_channels=4 --nano-set 'vae_encoder_blocks=[0, 3]' \
        --nano-set 'vae_decoder_blocks=[3, 1]'   # another VAE (here x2, 16x16x4 latents), trained and cached first
    python benchmarks/stage1_variant.py NAME --nano-set latent_channels=2   # x2 2-channel latents, read packed as 8x8x8
    python benchmarks/stage1_variant.py NAME --nano-set 'vae_encoder_blocks=[1, 3, 3]' --vae-only  # that VAE only

``--set KEY=VALUE`` overrides one ``[<profile>.train]`` setting, including those the profile leaves at their default
such as ``task_weights`` (VALUE is read as TOML: numbers, lists, inline tables; unknown keys are refused).
``--nano-set KEY=VALUE`` overrides one key of the profile's ``[<profile>.nano]`` section (the VAE: its factor follows
from ``vae_encoder_blocks``); the VAE and the datasets encoded with it are then other cached artifacts.
``stage1_steps`` is the number of steps. With ``--parent``, the U-Net starts from that stage artifact's weights (a
second phase on another task mix) instead of a fresh initialisation. The stage is the same cached ``run.artifact``
that notebook 04 builds, keyed by its settings, under ``runs/<profile>/artifacts/``; its VAE and datasets are the
profile's (built first when missing). Then ``benchmarks/probe_pipeline.py`` scores it on the VALIDATION split
(mini-GenEval, the shape-word grid, the prompt-sensitivity table) into ``--output-dir`` (default
``runs/<profile>/variants/NAME`` under ``--root``), unless ``--no-probe``. ``--vae-only`` trains (or loads) only
the variant's VAE, on the profile's own schedule (cosine cycles and warm restarts), and prints its folder for
``vae_variants.py --vae``. ``--throughput-only`` trains nothing: it prints the variant U-Net's training samples per
second at its batch size on this machine (``diagnostics.unet_training_throughput``, the speed column of the recipe
table) and exits.

Implements: the experiments of notebook 04's recipe table as one command, so that each row can be rerun.
"""

from __future__ import annotations

from dreamlite_core.openmp import wait_briefly

wait_briefly()  # before torch starts (dreamlite_core.openmp)

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from dreamlite_core.repro.profiles import parse_override  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("--profile", default="default")
    parser.add_argument("--set", dest="overrides", type=parse_override, action="append", default=[],
                        metavar="KEY=VALUE")
    parser.add_argument("--nano-set", dest="nano_overrides", type=parse_override, action="append", default=[],
                        metavar="KEY=VALUE", help="override a key of the profile's [nano] section (the VAE)")
    parser.add_argument("--parent", type=Path, default=None, help="a stage artifact to start from")
    parser.add_argument("--seed", type=int, default=0, help="the run's seed: data, VAE and probe items")
    parser.add_argument("--train-seed", type=int, default=None,
                        help="the U-Net's initialisation and batch draws only (default: --seed); another value on "
                             "the same data and probe items measures the spread between training runs")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--no-probe", action="store_true")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--throughput-only", action="store_true",
                      help="print the U-Net's training samples/s at the variant's batch size and exit")
    only.add_argument("--vae-only", action="store_true",
                      help="train (or load) the variant's VAE on the profile's own schedule, print its folder and "
                           "metrics, and exit (score it with benchmarks/vae_variants.py --vae)")
    parser.add_argument("--probe-per-task", type=int, default=None, help="the probe's GenEval items per task")
    parser.add_argument("--output-dir", type=Path, default=None)
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="where runs/<profile>/ lives (default: repo)")
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args(argv)

    import torch

    from dreamlite_core.repro import Run
    from dreamlite_core.train import stages

    if args.threads:
        torch.set_num_threads(args.threads)
    run = Run(f"stage1_variant_{args.name}", profile=args.profile, seed=args.seed, root=args.root,
              output_dir=args.output_dir or Path("runs") / args.profile / "variants" / args.name)
    nano_overrides = dict(args.nano_overrides)
    unknown = sorted(set(nano_overrides) - set(run.section("nano")))
    if unknown:
        parser.error(f"--nano-set: unknown [{args.profile}.nano] keys {unknown}")
    if nano_overrides:  # every reader of the run's [nano] section (VAE, datasets, U-Net config) sees the overrides
        profile_section = run.section
        run.section = lambda name: ({**profile_section(name), **nano_overrides} if name == "nano"
                                    else profile_section(name))
    section = {**run.section("train"), **dict(args.overrides)}
    try:  # any TrainSettings field, also those the profile leaves at their default; unknown keys are refused
        settings = stages.TrainSettings.from_profile(section)
    except ValueError as err:
        parser.error(f"--set: {err}")
    if args.parent is not None and not (args.parent / stages.PIPELINE_DIR / "unet").is_dir():
        parser.error(f"--parent {args.parent} is not a stage artifact (no {stages.PIPELINE_DIR}/unet inside)")
    if args.vae_only:
        from dreamlite_core.nano.vae import nano_vae_artifact, vae_metrics

        start = time.perf_counter()
        vae_folder = nano_vae_artifact(run, run.section("nano"), progress=args.progress)
        metrics = {k: v for k, v in vae_metrics(vae_folder).items() if not k.endswith("_history")}
        print(json.dumps({"name": args.name, "vae": str(vae_folder), "wall_s": time.perf_counter() - start,
                          "nano_overrides": nano_overrides, **metrics}), flush=True)
        return 0
    if args.throughput_only:
        from dreamlite_core.nano.diagnostics import unet_training_throughput

        nano = stages.nano_config_for(run, settings)
        unet = stages.build_unet(nano, settings.attention_layout, args.seed)
        speed = unet_training_throughput(unet, batch=settings.batch_size, steps=10, latent_size=nano.latent_size,
                                         resolution=nano.resolution)
        print(json.dumps({"name": args.name, "params": sum(p.numel() for p in unet.parameters()),
                          "latent": [nano.unet_channels, nano.latent_size, nano.latent_size], **speed}), flush=True)
        return 0
    start = time.perf_counter()
    train_seed = args.seed if args.train_seed is None else args.train_seed
    folder = stages.train_stage(run, "stage1", 0.0, settings.stage1_steps, train_seed, parent=args.parent,
                                settings=settings, progress=args.progress)
    summary = stages.stage_summary(folder)
    print(json.dumps({"name": args.name, "artifact": str(folder), "train_seed": train_seed,
                      "wall_s": time.perf_counter() - start,
                      "overrides": dict(args.overrides), "nano_overrides": nano_overrides,
                      "train_seconds": summary.get("train_seconds"),
                      "samples_per_s": summary.get("samples_per_s")}), flush=True)
    if args.no_probe:
        return 0
    sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
    import probe_pipeline

    probe_args = ["--per-task", str(args.probe_per_task)] if args.probe_per_task else []
    return probe_pipeline.main([str(folder), "--name", args.name, "--profile", args.profile, "--seed",
                                str(args.seed), "--output-dir", str(run.output_dir), *probe_args])


if __name__ == "__main__":
    raise SystemExit(main())
