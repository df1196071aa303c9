"""Oracle and chance calibration of the mini benchmarks, the benchmark table, and the detector's own accuracy.

Implements: the companion's rule that every mini-benchmark score stands beside its oracle (ground-truth renders
scored by the same judge: the ceiling) and its chance level (the same renders with shuffled pairings: the
floor). For edits a third point, ``identity`` (the source returned unchanged: a no-op edit), shows what doing
nothing earns. Introduced in ``notebooks/02_shapesworld.py``.

Shuffled pairings keep the task (or edit type) fixed: image i of task t is scored against the item of another
index of the same task, so chance is "a right-looking picture for a different prompt".
"""

from __future__ import annotations

import numpy as np

from ..world.constants import SHAPES
from ..world.render import render_scenes
from ..world.scene import effective_fill
from .detect import analyse_image

BENCHMARKS = ("geneval", "dpg", "imgedit", "gedit")


def _shuffle_within(groups: list[str], rng: np.random.Generator) -> np.ndarray:
    """A permutation that moves every index to another index of the same group (when the group has >= 2)."""
    perm = np.arange(len(groups))
    for g in sorted(set(groups)):
        idx = np.array([i for i, x in enumerate(groups) if x == g])
        if len(idx) < 2:
            continue
        shift = 1 + int(rng.integers(len(idx) - 1))  # a cyclic shift of a shuffled order: no fixed points
        order = rng.permutation(idx)
        perm[order] = np.roll(order, -shift)
    return perm


def score(benchmark: str, items, images=None, source_images=None, edited_images=None) -> dict:
    """Dispatch to ``geneval_score`` / ``dpg_score`` / ``imgedit_score`` / ``gedit_score``."""
    from .dpg import dpg_score
    from .edit import gedit_score, imgedit_score
    from .geneval import geneval_score

    if benchmark == "geneval":
        return geneval_score(images, items)
    if benchmark == "dpg":
        return dpg_score(images, items)
    if benchmark == "imgedit":
        return imgedit_score(source_images, edited_images, items)
    if benchmark == "gedit":
        return gedit_score(source_images, edited_images, items)
    raise ValueError(f"unknown benchmark {benchmark!r}; benchmarks: {', '.join(BENCHMARKS)}")


def calibration_points(benchmark: str, items, size: int = 32, seed: int = 0) -> dict:
    """``{"oracle": report, "chance": report}`` (plus ``"identity"`` for edits) for ``items`` at ``size`` px."""
    items = list(items)
    rng = np.random.default_rng(seed)
    if benchmark in ("geneval", "dpg"):
        images = render_scenes([it.scene for it in items], size)
        perm = _shuffle_within([it.task for it in items], rng)
        return {"oracle": score(benchmark, items, images=images),
                "chance": score(benchmark, items, images=images[perm])}
    if benchmark in ("imgedit", "gedit"):
        src = render_scenes([it.source for it in items], size)
        tgt = render_scenes([it.target for it in items], size)
        perm = _shuffle_within([it.edit_type for it in items], rng)
        return {"oracle": score(benchmark, items, source_images=src, edited_images=tgt),
                "chance": score(benchmark, items, source_images=src, edited_images=tgt[perm]),
                "identity": score(benchmark, items, source_images=src, edited_images=src)}
    raise ValueError(f"unknown benchmark {benchmark!r}; benchmarks: {', '.join(BENCHMARKS)}")


_SUBSCORES = {"geneval": "by_task", "dpg": "by_category", "imgedit": "by_type", "gedit": "by_group"}


def benchmark_table(reports: dict, calibration: dict | None = None):
    """A ``pandas.DataFrame`` with one row per model report, then one per calibration point (oracle, chance,
    identity): ``model``, ``overall``, the benchmark's sub-scores (and SC / PQ for GEdit)."""
    import pandas as pd

    rows = []
    all_reports = list(reports.items()) + list((calibration or {}).items())
    for name, rep in all_reports:
        row = {"model": name, "overall": rep["overall"]}
        bench = rep.get("benchmark")
        if bench == "gedit":
            row["SC"], row["PQ"] = rep["SC"], rep["PQ"]
        if bench == "imgedit":
            for k in ("compliance", "naturalness", "preservation"):
                row[k] = rep[k]
        row.update(rep.get(_SUBSCORES.get(bench, ""), {}))
        rows.append(row)
    return pd.DataFrame(rows)


def detector_confusion(items, size: int = 32, threshold: float = 0.3) -> dict:
    """The detector against ground truth on rendered scenes: a shape confusion matrix (rows: true shape, columns:
    detected shape or ``"missed"``), shape / colour / fill / size accuracies over matched objects, and the
    share of spurious detections. Objects are matched by nearest centre (within 0.1 of the canvas)."""
    labels = list(SHAPES) + ["missed"]
    conf = np.zeros((len(SHAPES), len(labels)), dtype=int)
    n = hits_color = hits_fill = hits_size = spurious = 0
    scenes = [getattr(it, "scene", None) or it.target for it in items]
    images = render_scenes(scenes, size)
    for scene, img in zip(scenes, images):
        dets = [d for d in analyse_image(img).detections if d.confidence > threshold]
        used = set()
        for o in scene.objects:
            best, best_d = None, 0.1
            for j, d in enumerate(dets):
                dist = np.hypot(d.center[0] / size - o.x, d.center[1] / size - o.y)
                if j not in used and dist < best_d:
                    best, best_d = j, dist
            i = SHAPES.index(o.shape)
            n += 1
            if best is None:
                conf[i, -1] += 1
                continue
            used.add(best)
            d = dets[best]
            conf[i, labels.index(d.shape)] += 1
            hits_color += d.color == o.color
            hits_fill += d.fill == effective_fill(o, scene.style)
            hits_size += d.size == o.size
        spurious += len(dets) - len(used)
    shape_acc = float(np.trace(conf[:, :len(SHAPES)]) / max(n, 1))
    return {"labels": labels, "matrix": conf.tolist(), "n_objects": n, "shape_accuracy": shape_acc,
            "color_accuracy": hits_color / max(n, 1), "fill_accuracy": hits_fill / max(n, 1),
            "size_accuracy": hits_size / max(n, 1), "spurious_per_image": spurious / max(len(scenes), 1)}
