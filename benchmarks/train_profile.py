"""Run the whole DreamLite-Nano chain headless under one profile and print/write its numbers.

The notebooks 03-06 narrate these same package calls; this script is for machines without Jupyter, such as a lent
GPU for the ``paper`` profile:

    python benchmarks/train_profile.py --profile paper --out results_paper.json

Steps: the nano VAE (cached), stages 1-3 (cached, resumable), the held-out test evaluation of stage 3 beside oracle
and chance, and the equal-compute direct-joint ablation (``--no-ablation`` skips it). Every step is the same cached
artifact a notebook would build, under ``runs/<profile>/artifacts/``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="paper")
    parser.add_argument("--out", type=Path, default=None, help="write the summary JSON here")
    parser.add_argument("--no-ablation", action="store_true")
    args = parser.parse_args(argv)

    import torch

    from dreamlite_core.repro import Run, to_jsonable
    from dreamlite_core.train import stages

    run = Run("train_profile", profile=args.profile)
    settings = stages.settings_for(run)
    summary = {"profile": args.profile, "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else
               platform.processor() or "cpu", "torch": torch.__version__, "seconds": {}}

    def timed(name, fn, *a, **k):
        t0 = time.perf_counter()
        out = fn(*a, **k)
        summary["seconds"][name] = round(time.perf_counter() - t0, 1)
        print(f"{name}: {summary['seconds'][name]} s", flush=True)
        return out

    folders = {}
    folders["stage1"] = timed("stage1", stages.stage1, run)
    folders["stage2"] = timed("stage2", stages.stage2, run)
    folders["stage3"] = timed("stage3", stages.stage3, run)
    summary["stages"] = {name: stages.stage_summary(folder) for name, folder in folders.items()}
    evaluation = timed("evaluate_stage3", stages.evaluate_on_test, folders["stage3"], run)
    summary["stage3_test"] = stages.headline_scores(evaluation)
    print(json.dumps(to_jsonable(summary["stage3_test"]), indent=1), flush=True)
    if args.out:  # write early: a later step that runs out of time still leaves the main numbers
        args.out.write_text(json.dumps(to_jsonable(summary), indent=1))

    if not args.no_ablation:
        ablation = timed("ablation_train", stages.ablation_runs, run)
        rows = []
        for recipe, recipe_folders in ablation.items():
            for seed, folder in zip(settings.ablation_seeds, recipe_folders):
                ev = stages.evaluate_on_test(folder, run, per_task=settings.ablation_eval_per_task,
                                             edits_per_type=settings.ablation_eval_edits_per_type,
                                             benchmarks=("geneval", "imgedit"), calibrate=False)
                rows.append({"recipe": recipe, "seed": int(seed), "geneval": ev["geneval"]["model"]["overall"],
                             "imgedit": ev["imgedit"]["model"]["overall"]})
                print(rows[-1], flush=True)
        summary["ablation"] = rows
    if args.out:
        args.out.write_text(json.dumps(to_jsonable(summary), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
