"""Shared plumbing of the mini benchmarks: checking image batches, reading specs, matching detections to a
ground-truth scene.

Implements: no paper equation; the input contract of every evaluator in ``dreamlite_core.eval``. Introduced in
``notebooks/02_shapesworld.py``.
"""

from __future__ import annotations

import numpy as np

from ..world.constants import COLORS, RELATIONS, SHAPES
from ..world.scene import SceneObject, effective_fill
from .detect import Detection


class EvalInputError(ValueError):
    """Bad input to an evaluator: the message names the item (file and line when known) and what to do."""


#: The per-item lists of a benchmark report (one entry per image), left out of results JSON and summaries.
PER_ITEM_KEYS = ("correct", "reasons", "outcomes", "per_item", "per_prompt", "checks")


def summary_of(report: dict) -> dict:
    """A benchmark report without its per-item lists (:data:`PER_ITEM_KEYS`): what results JSON records."""
    return {k: v for k, v in report.items() if k not in PER_ITEM_KEYS}


def as_image_list(images, n_expected: int, what: str = "images", names=None) -> list[np.ndarray]:
    """Check a batch: ``n_expected`` uint8 RGB arrays of one square size (S, S, 3)."""
    if isinstance(images, np.ndarray) and images.ndim == 4:
        images = list(images)
    images = list(images)
    if len(images) != n_expected:
        raise EvalInputError(f"got {len(images)} {what} for {n_expected} items; pass one image per item")
    out = []
    size = None
    for i, im in enumerate(images):
        where = names[i] if names is not None else f"{what}[{i}]"
        im = np.asarray(im)
        if im.dtype != np.uint8:
            if np.issubdtype(im.dtype, np.floating) and im.size and float(np.nanmax(im)) <= 1.0 + 1e-6:
                raise EvalInputError(f"{where} is float in [0, 1]; the evaluators take uint8 RGB in [0, 255] "
                                     "(use (x * 255).round().astype(np.uint8))")
            raise EvalInputError(f"{where} has dtype {im.dtype}; the evaluators take uint8 RGB in [0, 255]")
        if im.ndim != 3 or im.shape[2] != 3 or im.shape[0] != im.shape[1]:
            raise EvalInputError(f"{where} has shape {im.shape}; expected a square RGB image (S, S, 3)")
        if size is None:
            size = im.shape[0]
        elif im.shape[0] != size:
            raise EvalInputError(f"{where} is {im.shape[0]}x{im.shape[1]}; the batch is {size}x{size} "
                                 "(every image of a batch must have the same size)")
        if size < 16:
            raise EvalInputError(f"{where} is {size}x{size}; the detector needs at least 16x16 px")
        out.append(im)
    return out


def spec_of(item) -> dict:
    """The evaluator's spec of an item: a ``T2IItem``/``EditItem``, a dict with ``"spec"``, or a bare spec."""
    if hasattr(item, "spec"):
        return item.spec
    if isinstance(item, dict):
        return item["spec"] if "spec" in item else item
    raise EvalInputError(f"cannot read a spec from {type(item).__name__}")


def validate_t2i_spec(spec: dict, where: str) -> None:
    """Unknown shapes, colours or relations in GenEval / DPG metadata are errors that name ``where``."""
    tag = spec.get("tag")
    if tag is None:
        raise EvalInputError(f"{where}: metadata has no 'tag' (one of single_object, two_object, counting, colors, "
                             "position, color_attr, dpg)")
    if tag == "dpg":
        for k, o in enumerate(spec.get("objects", [])):
            _known(o.get("shape"), SHAPES, "shape", where)
            _known(o.get("color"), COLORS, "colour", where)
        if "questions" not in spec:
            raise EvalInputError(f"{where}: DPG metadata has no 'questions'")
        return
    for clause in ("include", "exclude"):
        for req in spec.get(clause, []):
            _known(req.get("class"), SHAPES, "shape", where)
            if "color" in req:
                _known(req["color"], COLORS, "colour", where)
            if "position" in req:
                _known(req["position"][0], RELATIONS, "relation", where)
            if not isinstance(req.get("count", 1), int) or req.get("count", 1) < 1:
                raise EvalInputError(f"{where}: count must be a positive integer, got {req.get('count')!r}")
    if not spec.get("include"):
        raise EvalInputError(f"{where}: GenEval metadata has no 'include' clause")


def _known(value, allowed, what, where):
    if value not in allowed:
        raise EvalInputError(f"{where}: unknown {what} {value!r}; ShapesWorld knows {', '.join(allowed)}")


def relative_position(box_a, box_b, threshold: float = 0.1) -> set[str]:
    """GenEval's position rule (djghosh13/geneval ``evaluation/evaluate_images.py``): the centres' offset, each
    axis shrunk by ``threshold`` x (width_a + width_b) (resp. heights), normalised by the offset's length;
    a relation holds when its component exceeds 0.5. Boxes are (x0, y0, x1, y1)."""
    a, b = np.asarray(box_a, dtype=float)[:4], np.asarray(box_b, dtype=float)[:4]
    center_a, center_b = (a[:2] + a[2:]) / 2, (b[:2] + b[2:]) / 2
    dim_a, dim_b = np.abs(a[2:] - a[:2]), np.abs(b[2:] - b[:2])
    offset = center_a - center_b
    revised = np.maximum(np.abs(offset) - threshold * (dim_a + dim_b), 0) * np.sign(offset)
    if np.all(np.abs(revised) < 1e-3):
        return set()
    dx, dy = revised / np.linalg.norm(offset)
    rel = set()
    if dx < -0.5:
        rel.add("left of")
    if dx > 0.5:
        rel.add("right of")
    if dy < -0.5:
        rel.add("above")
    if dy > 0.5:
        rel.add("below")
    return rel


def match_scene(objects: list[SceneObject], style: str, dets: list[Detection], size: int,
                use_position: bool = True) -> list[Detection | None]:
    """Assign detections to ground-truth objects one-to-one (Hungarian), preferring the same shape, then colour,
    then fill and size, then (optionally) the nearest centre. Returns the detection per object (``None`` when no
    detection of the object's shape is left)."""
    from scipy.optimize import linear_sum_assignment

    if not objects or not dets:
        return [None] * len(objects)
    cost = np.zeros((len(objects), len(dets)))
    for i, o in enumerate(objects):
        for j, d in enumerate(dets):
            c = 0.0 if d.shape == o.shape else 100.0
            c += 0.0 if d.color == o.color else 10.0
            c += 0.0 if d.fill == effective_fill(o, style) else 1.0
            c += 0.0 if d.size == o.size else 1.0
            if use_position:
                c += min(np.hypot(d.center[0] / size - o.x, d.center[1] / size - o.y) / 0.1, 5.0)
            cost[i, j] = c
    rows, cols = linear_sum_assignment(cost)
    out: list[Detection | None] = [None] * len(objects)
    for r, c in zip(rows, cols):
        if cost[r, c] < 100.0:
            out[r] = dets[c]
    return out


def reproduces(o: SceneObject, style: str, d: Detection | None, size: int, pos_tol: float = 0.1,
               check_size: bool = True, check_fill: bool = True) -> bool:
    """Whether detection ``d`` shows object ``o``: shape, colour, fill, size, orientation, centre within
    ``pos_tol`` of the canvas."""
    if d is None:
        return False
    if d.shape != o.shape or d.color != o.color:
        return False
    if check_fill and d.fill != effective_fill(o, style):
        return False
    if check_size and d.size != o.size:
        return False
    if o.shape == "triangle" and round(d.rotation % 360) != round(o.rotation % 360):
        return False
    return bool(np.hypot(d.center[0] / size - o.x, d.center[1] / size - o.y) <= pos_tol)
