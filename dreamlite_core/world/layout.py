"""Placement of objects on the canvas: non-overlapping, inside the frame, with a gap that keeps objects apart at
32x32 px; plus the geometric relations the prompts talk about.

Implements: the layout rules of ShapesWorld's scene generator (ground truth for GenEval's position task and
DPG-Bench's relation questions). Introduced in ``notebooks/02_shapesworld.py``.
"""

from __future__ import annotations

import math

import numpy as np

from .scene import SceneObject

#: Minimum empty space between two objects' boxes, and between a box and the frame (fractions of the canvas;
#: at 32 px: 2.2 px and 1 px).
GAP = 0.07
MARGIN = 0.03

#: Regions named in DPG paragraphs and in "add" instructions: the canvas cut in thirds.
ROW_WORDS = ("top", "middle", "bottom")
COL_WORDS = ("left", "center", "right")


def extent(obj: SceneObject) -> float:
    """Half-extent of the object's axis-aligned box (upper bound for rotated shapes)."""
    axis_aligned = abs(math.remainder(obj.rotation, 90.0)) < 1e-9
    return obj.radius * (1.0 if axis_aligned else 1.42)


def fits(obj: SceneObject, others=(), gap: float = GAP, margin: float = MARGIN) -> bool:
    """Inside the frame and at least ``gap`` away from every other object's box."""
    return _fits(obj.x, obj.y, extent(obj), [(o.x, o.y, extent(o)) for o in others], gap, margin)


def _fits(x: float, y: float, r: float, boxes, gap: float = GAP, margin: float = MARGIN) -> bool:
    if not (margin + r <= x <= 1 - margin - r and margin + r <= y <= 1 - margin - r):
        return False
    for ox, oy, orr in boxes:
        need = r + orr + gap
        if abs(x - ox) < need and abs(y - oy) < need:
            return False
    return True


def random_position(rng: np.random.Generator, obj: SceneObject, others=(), region: tuple | None = None,
                    tries: int = 200) -> SceneObject | None:
    """``obj`` moved to a random position that fits (inside ``region`` = (x0, y0, x1, y1) for its centre, if
    given), or ``None`` when none was found in ``tries`` draws."""
    r = extent(obj)
    lo, hi = MARGIN + r, 1 - MARGIN - r
    x0, y0, x1, y1 = region if region is not None else (lo, lo, hi, hi)
    x0, y0, x1, y1 = max(x0, lo), max(y0, lo), min(x1, hi), min(y1, hi)
    if x1 < x0 or y1 < y0:
        return None
    boxes = [(o.x, o.y, extent(o)) for o in others]
    xs = rng.uniform(x0, x1, size=tries)
    ys = rng.uniform(y0, y1, size=tries)
    for x, y in zip(xs.tolist(), ys.tolist()):
        if _fits(x, y, r, boxes):
            return obj.replace(x=round(x, 4), y=round(y, 4))
    return None


def place_all(rng: np.random.Generator, objs: list[SceneObject], restarts: int = 50) -> list[SceneObject] | None:
    """Random non-overlapping positions for all ``objs`` (their sizes kept), or ``None``."""
    for _ in range(restarts):
        placed: list[SceneObject] = []
        for o in objs:
            p = random_position(rng, o, placed, tries=40)
            if p is None:
                break
            placed.append(p)
        else:
            return placed
    return None


def region_of(x: float, y: float) -> str:
    """``"top left"``, ``"center"``, ``"bottom right"``... for a point (thirds of the canvas)."""
    row = ROW_WORDS[min(int(y * 3), 2)]
    col = COL_WORDS[min(int(x * 3), 2)]
    if row == "middle" and col == "center":
        return "center"
    if row == "middle":
        return f"middle {col}"
    if col == "center":
        return f"{row} center"
    return f"{row} {col}"


def region_box(name: str) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) of a region named by ``region_of``."""
    if name == "center":
        row, col = "middle", "center"
    else:
        row, col = name.split(" ")
    r, c = ROW_WORDS.index(row), COL_WORDS.index(col)
    return (c / 3, r / 3, (c + 1) / 3, (r + 1) / 3)


def relation_strengths(a: SceneObject, b: SceneObject) -> dict[str, float]:
    """How clearly ``a`` is left of / right of / above / below ``b``, by GenEval's position rule on the objects'
    boxes: offset = centre_a - centre_b, revised = sign(offset) max(|offset| - 0.1 (w_a + w_b), 0),
    (dx, dy) = revised / |offset|; a relation holds when its component exceeds 0.5 (1 = along the axis only).
    The evaluator's copy of the rule is ``dreamlite_core.eval.geneval.relative_position``."""
    wa, wb = 2 * extent(a), 2 * extent(b)
    ox, oy = a.x - b.x, a.y - b.y
    norm = math.hypot(ox, oy)
    if norm < 1e-9:
        return {"left of": 0.0, "right of": 0.0, "above": 0.0, "below": 0.0}
    m = 0.1 * (wa + wb)
    dx = math.copysign(max(abs(ox) - m, 0.0), ox) / norm
    dy = math.copysign(max(abs(oy) - m, 0.0), oy) / norm
    return {"left of": -dx, "right of": dx, "above": -dy, "below": dy}


def relation_strength(a: SceneObject, b: SceneObject, relation: str) -> float:
    """``relation_strengths(a, b)[relation]``."""
    return relation_strengths(a, b)[relation]


def place_pair(rng: np.random.Generator, a: SceneObject, b: SceneObject, relation: str,
               strength: float = 0.75, tries: int = 200) -> tuple[SceneObject, SceneObject] | None:
    """Positions for ``a`` ``relation`` ``b`` that satisfy the relation with at least ``strength``: ``a`` and
    ``b`` are drawn on opposite sides along the relation's axis, then checked by GenEval's rule."""
    ra, rb = extent(a), extent(b)
    horizontal = relation in ("left of", "right of")
    a_first = relation in ("left of", "above")  # a has the smaller coordinate along the axis
    for _ in range(tries):
        lo_a, hi_a = MARGIN + ra, 1 - MARGIN - ra
        lo_b, hi_b = MARGIN + rb, 1 - MARGIN - rb
        u = rng.uniform(size=4).tolist()
        if a_first:
            pa_ax = lo_a + u[0] * (0.5 - lo_a)
            pb_ax = 0.5 + u[1] * (hi_b - 0.5)
        else:
            pa_ax = 0.5 + u[0] * (hi_a - 0.5)
            pb_ax = lo_b + u[1] * (0.5 - lo_b)
        pa_or = lo_a + u[2] * (hi_a - lo_a)
        pb_or = lo_b + u[3] * (hi_b - lo_b)
        ax, ay = (pa_ax, pa_or) if horizontal else (pa_or, pa_ax)
        bx, by = (pb_ax, pb_or) if horizontal else (pb_or, pb_ax)
        ax, ay, bx, by = (round(v, 4) for v in (ax, ay, bx, by))
        if not (_fits(bx, by, rb, ()) and _fits(ax, ay, ra, [(bx, by, rb)])):
            continue
        pa, pb = a.replace(x=ax, y=ay), b.replace(x=bx, y=by)
        if relation_strength(pa, pb, relation) >= strength:
            return pa, pb
    return None
