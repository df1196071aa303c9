"""Training speed of the nano U-Net: one process on several threads against several one-thread processes at once
(prints numbers; not a test).

    .venv/bin/python benchmarks/processes_vs_threads.py [--processes 2] [--steps 60] [--batch 32]

Three set-ups, each in fresh processes with the companion's OpenMP waiting (``dreamlite_core.openmp``): one process
on ``--processes`` threads, one process on one thread, and ``--processes`` one-thread processes started together
(each prints its own samples per second; their sum is what the machine trains). The nano U-Net's step is thousands
of small kernels, so threads of one process share it badly and separate processes do better: why the ablation's
seeds train in worker processes (``dreamlite_core.train.ablation_workers``).

Implements: the measurement behind ``ablation_workers`` in ``profiles.toml`` (the module's docstring quotes it).
"""

from __future__ import annotations

import argparse
import os
import subprocess

from dreamlite_core.openmp import wait_briefly

wait_briefly()  # the children inherit the companion's OpenMP waiting (dreamlite_core.openmp)

from bench_nano import training_speed_command  # noqa: E402


def measure(processes: int, threads: int, batch: int, steps: int) -> list[float]:
    """Samples per second of each of ``processes`` processes of ``threads`` threads, all started at once."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}  # GOMP_SPINCOUNT from wait_briefly() above
    procs = [subprocess.Popen(training_speed_command(threads, batch, steps), env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(processes)]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=1800)
        if p.returncode != 0:
            raise RuntimeError(f"a measuring process failed: {stderr.strip()[-500:]}")
        out.append(float(stdout.strip().splitlines()[-1]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    n = args.processes
    print(f"nano U-Net training (default profile), batch {args.batch}, {args.steps} timed steps, "
          f"{os.cpu_count()} CPUs; samples/s")
    for label, processes, threads in ((f"1 process x {n} threads", 1, n), ("1 process x 1 thread", 1, 1),
                                      (f"{n} processes x 1 thread, at once", n, 1)):
        each = measure(processes, threads, args.batch, args.steps)
        detail = f" ({' + '.join(f'{x:.0f}' for x in each)})" if len(each) > 1 else ""
        print(f"  {label:34s} {sum(each):6.1f}{detail}", flush=True)


if __name__ == "__main__":
    main()
