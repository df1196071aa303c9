"""The ablation's seeds trained side by side in separate CPU processes.

Implements: no part of the paper; how the companion runs the direct-joint ablation of ``notebooks/06_stage3_joint.py``
(``stages.ablation_runs``) on a laptop CPU. The nano U-Net's training step is thousands of small kernels, and the
threads of one process share them badly. ``benchmarks/processes_vs_threads.py`` on the 2-core machine (default U-Net,
batch 32, samples/s, three runs; the machine's speed varied between them): one process on 2 threads 70-141, on 1 thread
93-114, two 1-thread processes at once 156-229 together, 1.6-2.2x the 2-thread process of the same run. The ablation's
seeds are independent runs, so with ``ablation_workers = N`` in ``[<profile>.train]`` they are dealt out to N processes
of ``cpu_count // N`` threads (round robin), each of which trains its seeds' four runs with ``stages.ablation_seed``.
The default ablation (4 seeds x 2 recipes x 240 steps) then trained in 342 s in the committed cold run (406 s in an
earlier trial; 78-91 samples/s per run), where one 2-thread process had needed about 1,360 s at 55-60 samples/s with
OpenMP's PASSIVE waiting (and would need about 850 s at the 90 the companion's spin count gave in a retrained stage 1,
an estimate).

Every run is the same cached ``run.artifact`` that the sequential loop would build (same cache key; only the thread
count, which the run's ``stage_summary.json`` records, rounds differently; at one thread everywhere the weights are
byte-identical, as a test checks), so ``ablation_runs`` then finds all of them cached, and a killed worker's runs
resume from their checkpoints.

Splitting one stage's batch over two processes instead (accelerate, gloo all-reduce of the 2.4M gradients every
step) was tried in a scratch run: 101 samples/s against 95 in one process, not worth a second process per stage.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import time
from pathlib import Path

DONE_PREFIX = "finished "


class AblationWorkerError(RuntimeError):
    """A worker process failed: the message names it and holds the end of its log."""


def threads_per_worker(settings) -> int:
    """Threads each worker uses: ``torch_threads`` when set, else the CPUs shared out (at least 1)."""
    return int(settings.torch_threads) or max(1, (os.cpu_count() or 1) // int(settings.ablation_workers))


def deal_seeds(seeds, workers: int) -> list[list[int]]:
    """Seeds dealt round robin to ``workers`` processes (no empty worker): [0, 1, 2, 3] over 2 -> [[0, 2], [1, 3]]."""
    seeds = [int(s) for s in seeds]
    n = max(1, min(int(workers), len(seeds)))
    return [seeds[k::n] for k in range(n)]


def train_seeds_in_processes(run, settings, progress: bool = True, poll_s: float = 2.0) -> list[Path]:
    """Train every ablation seed's runs in ``settings.ablation_workers`` processes; return their log files.

    The caller must have built the run's components (VAE and datasets) already: the workers only load them. A bar
    counts finished runs (4 per seed). If a worker fails, the others are stopped and ``AblationWorkerError`` says
    which and shows its log; runs already finished stay cached, unfinished ones resume from their checkpoints."""
    from tqdm.auto import tqdm

    folder = run.work_dir / "train" / "ablation_workers"
    folder.mkdir(parents=True, exist_ok=True)
    threads = threads_per_worker(settings)
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    procs, logs = [], []
    dealt = deal_seeds(settings.ablation_seeds, settings.ablation_workers)
    for k, seeds in enumerate(dealt):
        spec = {"notebook": run.notebook, "profile": run.profile, "run_seed": run.seed, "root": str(run.root),
                "sections": {"nano": run.section("nano"), "train": settings.to_dict()}, "seeds": seeds,
                "threads": threads}
        spec_path, log = folder / f"worker-{k}.json", folder / f"worker-{k}.log"
        spec_path.write_text(json.dumps(spec, indent=1))
        logs.append(log)
        with open(log, "wb") as out:
            procs.append(subprocess.Popen([sys.executable, "-m", __name__, str(spec_path)], stdout=out,
                                          stderr=subprocess.STDOUT, env=env))
    total = 4 * len(settings.ablation_seeds)
    bar = tqdm(total=total, desc=f"ablation: {len(procs)} processes x {threads} thread(s)", disable=not progress)
    try:
        while True:
            done = sum(_finished(log) for log in logs)
            if done != bar.n:
                bar.update(done - bar.n)
            codes = [p.poll() for p in procs]
            failed = [k for k, c in enumerate(codes) if c not in (None, 0)]
            if failed:
                k = failed[0]
                raise AblationWorkerError(f"ablation worker {k} (seeds {dealt[k]}) exited with status {codes[k]}; "
                                          f"the end of {logs[k]}:\n{_tail(logs[k])}")
            if all(c == 0 for c in codes):
                return logs
            time.sleep(poll_s)
    finally:
        bar.close()
        for p in procs:  # on failure or interruption: stop the others (their checkpoints stay for a resume)
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=60)


def _finished(log: Path) -> int:
    try:
        return sum(line.startswith(DONE_PREFIX) for line in log.read_text(errors="replace").splitlines())
    except FileNotFoundError:
        return 0


def _tail(log: Path, lines: int = 40) -> str:
    return "\n".join(collections.deque(log.read_text(errors="replace").splitlines(), maxlen=lines))


def main(argv: list[str] | None = None) -> None:
    """A worker: ``python -m dreamlite_core.train.ablation_workers SPEC.json`` trains the spec's seeds in turn."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        raise SystemExit("usage: python -m dreamlite_core.train.ablation_workers WORKER_SPEC.json")
    spec = json.loads(Path(argv[0]).read_text())
    import torch

    torch.set_num_threads(int(spec["threads"]))
    from ..repro import Run
    from .stages import TrainSettings, ablation_seed

    run = Run(spec["notebook"], spec["profile"], seed=spec["run_seed"], root=spec["root"])
    sections, profile_section = spec["sections"], run.section
    run.section = lambda name: sections[name] if name in sections else profile_section(name)  # the caller's view
    settings = TrainSettings(**sections["train"])
    for seed in spec["seeds"]:
        ablation_seed(run, settings, int(seed), progress=False,
                      on_done=lambda folder: print(f"{DONE_PREFIX}{folder.name}", flush=True))


if __name__ == "__main__":
    main()
