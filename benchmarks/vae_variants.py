"""Train a nano VAE variant (or load one) and measure what its round trip costs the mini benchmarks' oracle: notebook
03's table against the bar of 0.90 of the maximum on every task, and which detections the round trip loses on dense
(DPG) validation scenes.

    python benchmarks/vae_variants.py NAME [--steps 2500] [--batch-size 32] [--dpg-weight 1] [--edge-weight 0.5]
                                           [--object-weight 0]
                                           [--width 32] [--channels 16] [--encoder-blocks 0,3,3] [--threads 1]
    python benchmarks/vae_variants.py NAME --vae runs/default/artifacts/nano_vae-<hash>    # score a trained VAE
                                           [--latent-noise 0 0.1 0.2 0.3 0.5]    # and how noise on its latents costs

Training is one cosine cycle of ``train_nano_vae`` on ``--scenes`` fresh TRAIN renders (the default profile's first
cycle; the profile adds two warm restarts, 7,500 steps in all). ``--dpg-weight`` is the weight of dense DPG scenes in
the text-to-image half of the training renders, the six GenEval tasks weighing 1 each (ShapesWorld's own mix: 1).
Scores use VALIDATION items only, like notebook 03: each benchmark's own balanced set (``--items`` GenEval prompts,
a third as many DPG paragraphs, half as many edits each for ImgEdit and GEdit: ``diagnostics.vae_oracle_items``; runs
before that helper scored GenEval, DPG and both edit benchmarks on ShapesWorld's own task and edit-type mix, where
GEdit's resize group held 4 of 200 edits). PSNR and the lost detections use ``--items`` renders of ShapesWorld's own
mix. Prints one JSON line and writes it to ``--out`` (default ``runs/vae_variants/NAME.json``).

Implements: the VAE bar of issue 5 as a script (``dreamlite_core.nano.diagnostics.oracle_through_vae`` and
``lost_objects``), so VAE recipes are compared by the notebook's own code. Notebook 04's recipe table quotes it.
"""

from __future__ import annotations

from dreamlite_core.openmp import wait_briefly

wait_briefly()  # before torch starts (dreamlite_core.openmp)

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402


def _blocks(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(","))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("--vae", type=Path, default=None, help="score this saved VAE instead of training one")
    parser.add_argument("--steps", type=int, default=2500)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--crop", type=int, default=16, help="training crop in pixels (0: whole images)")
    parser.add_argument("--edge-weight", type=float, default=0.5)
    parser.add_argument("--dpg-weight", type=float, default=1.0)
    parser.add_argument("--object-weight", type=float, default=0.0,
                        help="object pixels weigh 1 + this in the loss (vae.object_pixel_weights)")
    parser.add_argument("--scenes", type=int, default=16000)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--channels", type=int, default=16)
    parser.add_argument("--encoder-blocks", type=_blocks, default=(0, 3, 3))
    parser.add_argument("--decoder-blocks", type=_blocks, default=(3, 3, 1))
    parser.add_argument("--items", type=int, default=600, help="validation text-to-image items scored")
    parser.add_argument("--latent-noise", type=float, nargs="*", default=None, metavar="EPS",
                        help="also score the GenEval renders with EPS x N(0, 1) added to their scaled latents "
                             "(diagnostics.latent_noise_tolerance), e.g. 0 0.1 0.2 0.3 0.5")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)

    import numpy as np
    import torch

    from dreamlite_core.nano import NanoConfig, psnr, round_trip
    from dreamlite_core.nano import diagnostics as diag
    from dreamlite_core.nano.vae import build_nano_vae, dpg_task_weights, load_vae, train_nano_vae, vae_training_images
    from dreamlite_core.world import GENEVAL_TASKS, make_t2i_items, render_scenes

    torch.set_num_threads(args.threads)
    out = {"name": args.name, "threads": args.threads}
    if args.vae is not None:
        vae = load_vae(args.vae)
        out["vae"] = str(args.vae)
    else:
        weights = dpg_task_weights(args.dpg_weight)
        nano = NanoConfig().replace(vae_width=args.width, latent_channels=args.channels,
                                    vae_encoder_blocks=args.encoder_blocks, vae_decoder_blocks=args.decoder_blocks,
                                    vae_downsample=2 ** (len(args.encoder_blocks) - 1))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(args.seed)
            vae = build_nano_vae(nano)
        images = vae_training_images(args.scenes, args.seed, nano.resolution, t2i_task_weights=weights)
        start = time.perf_counter()
        history = train_nano_vae(vae, images, steps=args.steps, batch_size=args.batch_size, lr=args.lr,
                                 edge_weight=args.edge_weight, seed=args.seed, crop=args.crop or None,
                                 object_weight=args.object_weight)
        out.update(train_seconds=time.perf_counter() - start, final_loss=float(np.mean(history[-50:])),
                   params=sum(p.numel() for p in vae.parameters()),
                   settings={k: v for k, v in vars(args).items() if k not in ("vae", "out", "name")})

    t2i = make_t2i_items("validation", args.items, args.seed)
    gen_images = render_scenes([it.scene for it in t2i if it.task in GENEVAL_TASKS])
    sets = diag.vae_oracle_items(args.items, "validation", args.seed)
    rows = diag.oracle_through_vae(vae, sets["geneval"] + sets["dpg"], sets["imgedit"], sets["gedit"])
    below = [r for r in rows if r["of max"] < diag.VAE_ORACLE_BAR]
    dense = render_scenes([it.scene for it in t2i if it.task == "dpg"])
    out.update(psnr_db=psnr(gen_images, round_trip(vae, gen_images)),
               overall_of_max={r["benchmark"]: round(r["of max"], 4) for r in rows if r["task"] == "overall"},
               rows=len(rows), rows_below_bar=len(below), worst=min(rows, key=lambda r: r["of max"]),
               dpg_lost_objects=diag.lost_objects(vae, dense),
               of_max={f"{r['benchmark']} {r['task']}": round(r["of max"], 4) for r in rows})
    if args.latent_noise:
        out["latent_noise"] = diag.latent_noise_tolerance(vae, sets["geneval"], args.latent_noise, seed=args.seed)
    line = json.dumps(out)
    print(line, flush=True)
    path = args.out or Path("runs/vae_variants") / f"{args.name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
