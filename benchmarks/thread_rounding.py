"""How much torch's thread count changes a trained model (prints numbers; not a test).

    .venv/bin/python benchmarks/thread_rounding.py [--profile default] [--steps 1 10 40] [--threads 1 2]

Trains the profile's nano VAE (``[<profile>.nano]`` widths, learning rate, crops, loss weights; 512 TRAIN scenes, seed
0) for each step count, once per thread count, each in a fresh child process, and prints the relative difference between
the weights trained at the first thread count and each other one (a second run at the first count checks that one count
is bitwise repeatable). A reduction split over two threads adds in another order and rounds differently; gradient
descent then amplifies that difference step by step. This is why every results file records ``torch_threads`` and
``cpu_capability`` (:func:`dreamlite_core.repro.provenance.compute_context`).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import sys, torch
threads, steps, out, profile = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
torch.set_num_threads(threads)
from dreamlite_core.nano.vae import (build_nano_vae, dpg_task_weights, train_nano_vae, vae_config_from_settings,
                                    vae_training_images)
from dreamlite_core.repro import profile_section
s = profile_section(profile, "nano")
torch.manual_seed(0)
vae = build_nano_vae(vae_config_from_settings(s))
images = vae_training_images(512, seed=0, size=32, t2i_task_weights=dpg_task_weights(float(s["vae_dpg_weight"])))
train_nano_vae(vae, images, steps=steps, batch_size=int(s["vae_batch_size"]), lr=float(s["vae_lr"]), seed=0,
               edge_weight=float(s["vae_edge_weight"]), object_weight=float(s["vae_object_weight"]),
               crop=int(s["vae_crop"]) or None, progress=False)
torch.save(torch.cat([p.detach().flatten() for p in vae.parameters()]), out)
"""


def trained_weights(threads: int, steps: int, profile: str, folder: Path, tag: str):
    import torch

    out = folder / f"w_{threads}_{steps}_{tag}.pt"
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", OMP_NUM_THREADS=str(threads))
    subprocess.run([sys.executable, "-c", CHILD, str(threads), str(steps), str(out), profile], check=True, env=env)
    return torch.load(out, weights_only=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="default")
    parser.add_argument("--steps", type=int, nargs="+", default=[1, 10, 40])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    first, *others = args.threads
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"nano VAE of [{args.profile}.nano]; relative weight difference |w_a - w_b| / |w_a|")
        for steps in args.steps:
            ref = trained_weights(first, steps, args.profile, folder, "a")
            again = trained_weights(first, steps, args.profile, folder, "b")
            row = [f"{steps:>4} steps: {first} vs {first} threads {'bitwise equal' if ref.equal(again) else 'DIFFER'}"]
            for n in others:
                w = trained_weights(n, steps, args.profile, folder, "a")
                row.append(f"{first} vs {n} threads {float((w - ref).norm() / ref.norm()):.1e}")
            print("; ".join(row), flush=True)


if __name__ == "__main__":
    main()
