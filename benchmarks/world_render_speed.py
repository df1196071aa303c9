"""Measure ShapesWorld's generation, rendering and judging speed on one core (prints numbers; no assertions).

    .venv/bin/python benchmarks/world_render_speed.py [--n 5000] [--size 32]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

from dreamlite_core.world import make_edit_items, make_t2i_items, render_scene, render_scenes  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--size", type=int, default=32)
    args = parser.parse_args()

    t = time.perf_counter()
    items = make_t2i_items("train", args.n, seed=0)
    t_items = time.perf_counter() - t
    scenes = [it.scene for it in items]
    render_scene(scenes[0], args.size)
    t = time.perf_counter()
    render_scenes(scenes, args.size)  # first pass fills the sprite cache
    t_cold = time.perf_counter() - t
    t = time.perf_counter()
    render_scenes(scenes, args.size)
    t_warm = time.perf_counter() - t
    t = time.perf_counter()
    edits = make_edit_items("train", args.n // 5, seed=0)
    t_edits = time.perf_counter() - t
    n_obj = sum(len(s.objects) for s in scenes) / len(scenes)
    print(f"text-to-image items : {args.n / t_items:8.0f} items/s ({args.n} items, {n_obj:.2f} objects/scene)")
    print(f"edit items          : {len(edits) / t_edits:8.0f} items/s ({len(edits)} items)")
    print(f"render {args.size}x{args.size} cold : {args.n / t_cold:8.0f} scenes/s (sprite cache filling)")
    print(f"render {args.size}x{args.size} warm : {args.n / t_warm:8.0f} scenes/s")

    from dreamlite_core.eval import analyse_image
    from dreamlite_core.eval.detect import reference_bank

    t = time.perf_counter()
    reference_bank(args.size)
    t_bank = time.perf_counter() - t
    images = render_scenes(scenes[:500], args.size)
    t = time.perf_counter()
    for img in images:
        analyse_image(img)
    t_det = time.perf_counter() - t
    print(f"detector bank build : {t_bank:8.2f} s (once per size and process)")
    print(f"detector            : {len(images) / t_det:8.0f} images/s")


if __name__ == "__main__":
    main()
