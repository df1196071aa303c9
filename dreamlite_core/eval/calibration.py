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


def benchmark_items(benchmark: str, n: int, split: str = "test", seed: int = 0) -> list:
    """The item set a mini benchmark is scored on: GenEval's six tasks in equal shares, DPG paragraphs, ImgEdit's
    nine types in equal shares, or GEdit's eleven groups in equal shares; the held-out ``test`` split by default.
    Notebook 02 calibrates on these sets, notebook 03 checks the VAE on their VALIDATION counterparts
    (``nano.diagnostics.vae_oracle_items``) and notebook 10 scores Core ML variants on the GenEval set; notebooks
    04-06 score models on smaller sets drawn by ``train.stages.eval_items`` (and ``gedit_eval_items``, through this
    function), with oracle and chance on those items."""
    from ..world.edit import GEDIT_GROUPS, make_edit_items
    from ..world.t2i import GENEVAL_TASKS, make_t2i_items

    if benchmark == "geneval":
        return make_t2i_items(split, n, seed, task_weights={t: 1.0 for t in GENEVAL_TASKS})
    if benchmark == "dpg":
        return make_t2i_items(split, n, seed, task_weights={"dpg": 1.0})
    if benchmark == "imgedit":
        return make_edit_items(split, n, seed)
    if benchmark == "gedit":
        return make_edit_items(split, n, seed, group_weights={g: 1.0 for g in GEDIT_GROUPS})
    raise ValueError(f"unknown benchmark {benchmark!r}; benchmarks: {', '.join(BENCHMARKS)}")


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
_COUNTS = {"geneval": "n_by_task", "imgedit": "n_by_type", "gedit": "n_by_group"}


def benchmark_table(reports: dict, calibration: dict | None = None, counts: bool = False):
    """A ``pandas.DataFrame`` with one row per model report, then one per calibration point (oracle, chance,
    identity): ``model``, ``overall``, the benchmark's sub-scores (and SC / PQ for GEdit). ``counts``: a last row
    ``n`` with the items each sub-score of the first report rests on (its total under ``overall``)."""
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
    if counts and all_reports:
        n = all_reports[0][1].get(_COUNTS.get(all_reports[0][1].get("benchmark"), ""))
        if n:
            rows.append({"model": "n", "overall": sum(n.values()), **n})
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


def junk_images(n: int, size: int = 32, seed: int = 0) -> np.ndarray:
    """``n`` images of things that are not ShapesWorld objects, for calibrating the detector's gates: smoothed
    noise blobs, random star-shaped polygons, ellipses, and two same-coloured shapes fused into one blob.
    uint8 (n, size, size, 3) on the default background."""
    from ..world.constants import BACKGROUNDS, COLORS
    from ..world.render import render_scene
    from ..world.scene import Scene, SceneObject
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng([seed, 7])
    bg = np.array(BACKGROUNDS["gray"], np.float32)
    palette = list(COLORS.values())
    ss = 4
    yy, xx = (np.mgrid[0:size * ss, 0:size * ss] + 0.5) / (size * ss)
    out = np.empty((n, size, size, 3), np.uint8)
    for i in range(n):
        kind = i % 4
        color = np.array(palette[int(rng.integers(len(palette)))], np.float32)
        if kind == 3:
            c = list(COLORS)[int(rng.integers(len(COLORS)))]
            a = SceneObject(SHAPES[int(rng.integers(5))], c, 0.42, 0.5, "medium")
            b = a.replace(shape=SHAPES[int(rng.integers(5))], x=round(0.42 + float(rng.uniform(0.1, 0.22)), 4),
                          y=round(0.5 + float(rng.uniform(-0.12, 0.12)), 4))
            out[i] = render_scene(Scene((a, b)), size)
            continue
        if kind == 0:
            field = gaussian_filter(rng.normal(size=yy.shape), rng.uniform(1.0, 3.0) * ss)
            mask = field > np.percentile(field, rng.uniform(82, 94))
        elif kind == 1:
            k = int(rng.integers(3, 9))
            angles = np.sort(rng.uniform(0, 2 * np.pi, k))
            radii = rng.uniform(0.05, 0.22, k)
            cx, cy = rng.uniform(0.3, 0.7, 2)
            th = np.arctan2(yy - cy, xx - cx) % (2 * np.pi)
            r_edge = np.interp(th, np.r_[angles - 2 * np.pi, angles, angles + 2 * np.pi], np.r_[radii, radii, radii])
            mask = np.hypot(xx - cx, yy - cy) <= r_edge
        else:
            cx, cy = rng.uniform(0.3, 0.7, 2)
            ax_a, ax_b = rng.uniform(0.05, 0.22, 2)
            t = rng.uniform(0, np.pi)
            u = (xx - cx) * np.cos(t) + (yy - cy) * np.sin(t)
            v = -(xx - cx) * np.sin(t) + (yy - cy) * np.cos(t)
            mask = (u / ax_a) ** 2 + (v / ax_b) ** 2 <= 1
        alpha = mask.reshape(size, ss, size, ss).mean((1, 3))[..., None]
        out[i] = np.rint(bg * (1 - alpha) + color * alpha).astype(np.uint8)
    return out


def gate_statistics(items, junk: np.ndarray, size: int = 32) -> dict:
    """Detector statistics on renders of ``items`` and on ``junk`` images: quality, margin and confidence of
    every detection, and the share of each population that passes GenEval's thresholds (0.3 and 0.9)."""
    from .detect import MARGIN_GOOD, MARGIN_JUNK, QUALITY_GOOD, QUALITY_JUNK

    scenes = [getattr(it, "scene", None) or it.target for it in items]
    pops = {"renders": render_scenes(scenes, size), "junk": junk}
    out = {"gates": {"quality": [QUALITY_JUNK, QUALITY_GOOD], "margin": [MARGIN_JUNK, MARGIN_GOOD]}}
    for name, imgs in pops.items():
        q, m, c = [], [], []
        for img in imgs:
            for d in analyse_image(img).detections:
                q.append(d.quality)
                m.append(d.margin)
                c.append(d.confidence)
        c_arr = np.array(c) if c else np.zeros(0)
        out[name] = {"quality": q, "margin": m, "confidence": c, "n": len(c),
                     "pass_0.3": float((c_arr > 0.3).mean()) if c else 0.0,
                     "pass_0.9": float((c_arr > 0.9).mean()) if c else 0.0}
    return out
