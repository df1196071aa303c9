"""Training speed of the nano U-Net under each OpenMP waiting policy (prints numbers; not a test).

    .venv/bin/python benchmarks/openmp_waiting.py [--threads 2] [--busy 0] [--steps 40] [--batch 32]

Each policy runs in a fresh process (libgomp reads its environment once, when torch loads): PASSIVE (sleep at once),
ACTIVE (spin), libgomp's default (300,000 spins, then sleep), 30,000 spins and the companion's ``GOMP_SPINCOUNT=3000``
(``dreamlite_core.openmp``). ``--busy N`` starts N CPU-bound processes beside each measurement, as on a shared
machine. Prints training samples per second (two repeats) for the default profile's U-Net.

Implements: the measurement behind ``dreamlite_core.openmp`` (its docstring and the README quote it).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import subprocess
import time

from bench_nano import training_speed_command

POLICIES = {"PASSIVE": {"OMP_WAIT_POLICY": "PASSIVE"}, "ACTIVE": {"OMP_WAIT_POLICY": "ACTIVE"},
            "libgomp default (300,000 spins)": {}, "GOMP_SPINCOUNT=30000": {"GOMP_SPINCOUNT": "30000"},
            "GOMP_SPINCOUNT=3000 (companion)": {"GOMP_SPINCOUNT": "3000"}}


def _spin(seconds: float) -> None:
    end = time.time() + seconds
    while time.time() < end:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--busy", type=int, default=0, help="CPU-bound processes running beside each measurement")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    command = training_speed_command(args.threads, args.batch, args.steps, repeats=2)
    print(f"nano U-Net training, batch {args.batch}, {args.threads} torch threads, {args.busy} busy processes beside")
    for name, extra in POLICIES.items():
        env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
        env.update(extra)
        hogs = [mp.Process(target=_spin, args=(600.0,), daemon=True) for _ in range(args.busy)]
        for h in hogs:
            h.start()
        try:
            out = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        finally:
            for h in hogs:
                h.terminate()
                h.join()
        result = out.stdout.strip().splitlines()[-1] if out.returncode == 0 and out.stdout.strip() else \
            f"failed: {out.stderr.strip()[-300:]}"
        print(f"  {name:34s} {result} samples/s", flush=True)


if __name__ == "__main__":
    main()
