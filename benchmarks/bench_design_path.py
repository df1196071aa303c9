"""Time one CPU forward of every U-Net on the SDXL -> DreamLite design path (notebook 01; dreamlite_core.arch.design).

Prints a table: parameters, MACs per call at 1024x1024 (128x128 latent, exact, from the closed-form count that the
tests check against FlopCounterMode), and the measured seconds of one fp32 forward at a small latent on this CPU.
A benchmark, not a test: numbers depend on the machine and on what else runs on it.

    .venv/bin/python benchmarks/bench_design_path.py                      # all steps, 16x16 latent (128 px)
    .venv/bin/python benchmarks/bench_design_path.py --latent 32 --max-params 1e9 --threads 2

Memory: the models are built in fp32 on CPU one at a time: SDXL needs about 10.5 GB, step 1 about 5.3 GB.
"""

from __future__ import annotations

import argparse
import platform


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latent", type=int, default=16, help="latent side for the timed forward (16 -> 128 px)")
    parser.add_argument("--text-len", type=int, default=16, help="text tokens for the timed forward")
    parser.add_argument("--max-params", type=float, default=3e9, help="skip steps with more parameters than this")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--repeats", type=int, default=2, help="timed calls per step after one warm-up (best kept)")
    args = parser.parse_args(argv)

    import torch
    from tabulate import tabulate

    from dreamlite_core.arch.design import design_path, design_path_rows, time_forward

    rows = design_path_rows(measure=False)
    table = []
    for step, row in zip(design_path(), rows):
        if row["params"] > args.max_params:
            seconds, note = None, f"skipped (> {args.max_params:.2g} params)"
        else:
            t = time_forward(step, (args.latent, args.latent), text_len=args.text_len, repeats=args.repeats,
                             threads=args.threads)
            seconds = t["seconds"]
            note = f"{t['gmacs']:.1f} GMACs at {t['latent']}, built in {t['build_seconds']:.1f} s"
        table.append([step.key, step.class_name, f"{row['params']:,}", f"{row['macs'] / 1e9:,.1f}",
                      f"{row['macs_in_context'] / 1e9:,.1f}", "-" if seconds is None else f"{seconds:.3f}", note])
        print(f"{step.key}: {table[-1][5]} s", flush=True)
    print()
    print(f"CPU: {platform.processor() or platform.machine()}, torch {torch.__version__}, "
          f"threads {args.threads or torch.get_num_threads()}, fp32, batch 1, latent {args.latent}x{args.latent}")
    print(tabulate(table, headers=["step", "class", "params", "GMACs 128x128", "GMACs 128x256",
                                   f"CPU s ({args.latent}x{args.latent})", "note"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
