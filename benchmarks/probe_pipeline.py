"""Probe a trained stage's pipeline: validation mini-GenEval, samples for validation and held-out prompts, the
shape-word grid and the prompt-sensitivity measurement of notebook 04, for a stage artifact trained elsewhere (e.g.
the paper profile on a lent GPU).

    python benchmarks/probe_pipeline.py ARTIFACT --name paper_gpu_stage1 [--label "paper profile, stage 1 (H100)"]
                                              [--profile paper] [--seed 0] [--test]

``ARTIFACT`` is a stage folder holding ``pipeline/`` (``train_profile.py --bundle`` writes ``<stage>.tar`` and
``vae.tar``: unpack both into one folder and copy ``text_encoder/`` and ``tokenizer/`` from any local stage's
``pipeline/``; they are the pinned MiniLM). Writes ``figures/<name>_samples.png``, ``figures/<name>_shape_words.png``,
``figures/<name>_prompt_sensitivity.png`` and ``results/<name>.json`` under ``--output-dir`` (the repository).
``--test`` also scores mini-GenEval on the held-out TEST split (the same number of items per task; compositions never
trained on), so one model's seen and unseen compositions compare item count for item count.

Implements: notebook 04's probes ("Does the model read the shape word?", ``dreamlite_core.train.probes``) as a
script, so a model trained on another machine is measured by the same code on this one.
"""

from __future__ import annotations

from dreamlite_core.openmp import wait_briefly

wait_briefly()  # before torch starts (dreamlite_core.openmp)

import argparse  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
SHAPES_TEMPLATE = "a photo of a red {}"
UNET_WEIGHTS = "diffusion_pytorch_model.safetensors"  # recorded by hash: the folder may be anywhere


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("artifact", type=Path)
    parser.add_argument("--name", required=True, help="prefix of the figures and the results file")
    parser.add_argument("--profile", default="paper", help="whose [train] settings size the evaluation")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--label", default=None, help="what the figure titles call the model (default: --name)")
    parser.add_argument("--per-task", type=int, default=None,
                        help="validation GenEval items per task (default: the profile's ablation_eval_per_task; "
                             "24 items per task separate runs only by several items, two training seeds differ by 3)")
    parser.add_argument("--guidance-scale", type=float, default=None, help="default: the profile's guidance_scale")
    parser.add_argument("--num-inference-steps", type=int, default=None,
                        help="sampler steps (default: the profile's num_inference_steps)")
    parser.add_argument("--test", action="store_true",
                        help="also score mini-GenEval on the held-out test split, as many items per task")
    parser.add_argument("--output-dir", type=Path, default=REPO_ROOT, help="where figures/ and results/ go")
    args = parser.parse_args(argv)

    import numpy as np

    from dreamlite_core.repro import Run
    from dreamlite_core.repro.outputs import sha256_file
    from dreamlite_core.train import probes, report, stages
    from dreamlite_core.world import render_scene
    from dreamlite_core.world.constants import SHAPES

    if not (args.artifact / stages.PIPELINE_DIR / "model_index.json").exists():
        parser.error(f"{args.artifact} has no {stages.PIPELINE_DIR}/model_index.json (see this script's docstring)")
    run = Run(args.name, profile=args.profile, seed=args.seed, output_dir=args.output_dir, root=args.output_dir)
    settings = stages.settings_for(run)
    pipe = stages.load_pipeline(args.artifact, run.device)

    per_task = args.per_task or settings.ablation_eval_per_task
    guidance = settings.guidance_scale if args.guidance_scale is None else args.guidance_scale
    steps = args.num_inference_steps or settings.num_inference_steps
    ev = stages.evaluate_pipeline(pipe, settings, "validation", args.seed, benchmarks=("geneval",), per_task=per_task,
                                  guidance_scale=guidance, num_inference_steps=steps)
    validation = {**stages.headline_scores(ev), "per_task": per_task, "guidance_scale": guidance,
                  "num_inference_steps": steps}
    print("validation", validation, flush=True)
    held_out = {}
    if args.test:
        ev = stages.evaluate_pipeline(pipe, settings, "test", args.seed, benchmarks=("geneval",), per_task=per_task,
                                      guidance_scale=guidance, num_inference_steps=steps)
        held_out = {"test": {**stages.headline_scores(ev), "per_task": per_task}}
        print("test", held_out["test"], flush=True)

    # fixed prompts, two per GenEval task, from the validation split and from the held-out test split, each sample
    # beside ShapesWorld's own render: the test compositions (colour-shape pairs, counts, ...) were never trained on
    panels, titles = [], []
    for split in ("validation", "test"):
        items = stages.eval_items(split, 2, 0, args.seed)[0]
        samples = stages._generate_all(pipe, [it.prompt for it in items], settings, args.seed, guidance, steps)
        for item, sample in zip(items, samples):
            panels += [sample, render_scene(item.scene, size=pipe.resolution)]
            titles += [f"[{split}] {item.prompt}", "ground truth"]
    run.figure(report.sample_grid(np.stack(panels), titles, ncols=8, size="tall"), f"{args.name}_samples")

    grid = probes.word_grid(pipe, SHAPES_TEMPLATE, SHAPES, n=4, seed=args.seed, num_inference_steps=steps,
                            guidance_scale=guidance)
    run.figure(report.plot_word_grid(grid, SHAPES_TEMPLATE), f"{args.name}_shape_words")
    pixel_change = probes.word_grid_change(grid)
    print("pixel change against", SHAPES[0], {w: round(v, 1) for w, v in pixel_change.items()}, flush=True)

    items = [it for it in stages.eval_items("validation", settings.eval_per_task, 0, args.seed)[0]
             if it.task == "colors"]
    sensitivity = probes.prompt_sensitivity(pipe, items, seed=args.seed)
    label = args.label or args.name
    run.figure(report.plot_prompt_sensitivity(sensitivity, f"{label}: does the velocity follow the word?"),
               f"{args.name}_prompt_sensitivity")
    for row in sensitivity:
        print({k: round(v, 3) for k, v in row.items()}, flush=True)
    run.write_results({"validation": validation, **held_out, "shape_word_pixel_change": pixel_change,
                       "prompt_sensitivity": sensitivity},
                      unet_sha256=sha256_file(stages.pipeline_folder(args.artifact) / "unet" / UNET_WEIGHTS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
