"""Timings of the Core ML export path (prints numbers; not a test).

    .venv/bin/python benchmarks/bench_coreml.py [--nbits 6] [--elements 4800000] [--convert]

1. Palettization LUTs for one tensor the size of the full U-Net's largest feed-forward weight: our k-means
   (``dreamlite_core.export.compression.kmeans_lut``) against coremltools' own (kmeans1d), with squared errors.
2. With ``--convert``: the nano U-Net exported to an fp16 package and compressed into each variant (fresh folder).
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np


def bench_kmeans(nbits: int, elements: int) -> None:
    from dreamlite_core.export.compression import coremltools_palettize, palettize, to_fp16

    w = (np.random.default_rng(0).standard_normal(elements) * 0.02).astype(np.float32)
    w16 = to_fp16(w)
    for name, fn in (("ours", palettize), ("coremltools", coremltools_palettize)):
        start = time.perf_counter()
        out = fn(w, nbits)
        seconds = time.perf_counter() - start
        print(f"k-means {nbits}-bit on {elements:,} values, {name:>11}: {seconds:6.2f} s, "
              f"SSE {float(((out - w16) ** 2).sum()):.6f}")


def bench_convert() -> None:
    import torch

    from dreamlite_core.export import UNetSignature, compress_package, export_unet
    from dreamlite_core.export.compression import VARIANTS
    from dreamlite_core.nano import build_nano_unet

    torch.manual_seed(0)
    unet = build_nano_unet(prune=False).eval()
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        fp16 = export_unet(unet, folder, UNetSignature.for_unet(unet, min_length=4, max_length=64, default_length=32))
        print(f"nano U-Net fp16 export: {time.perf_counter() - start:.1f} s, {fp16.size_bytes / 1e6:.2f} MB")
        for name in VARIANTS:
            if name == "fp16":
                continue
            for fast in (True, False):
                r = compress_package(fp16, name, kmeans="ours", fast=fast)
                print(f"  {name:>5} (fast={fast!s:>5}): {r.seconds:6.1f} s, {r.size_bytes / 1e6:.2f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nbits", type=int, default=6)
    parser.add_argument("--elements", type=int, default=4_800_000)
    parser.add_argument("--convert", action="store_true")
    args = parser.parse_args()
    bench_kmeans(args.nbits, args.elements)
    if args.convert:
        bench_convert()


if __name__ == "__main__":
    main()
