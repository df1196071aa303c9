"""mini-ImgEdit and mini-GEdit: programmatic judges of an edit (source image, instruction, edited image).

Implements: ImgEdit (PKU-YuanGroup/ImgEdit) and GEdit-Bench (stepfun-ai/Step1X-Edit) as summarised in
``/work/shared/PAPER_FACTS.md``. Their VLM judges are replaced by three measurements on the ShapesWorld detector's
output, each a fraction in [0, 1]:

- **compliance** ``f_c``: the share of the instruction's checks that pass, times the share of untouched objects
  still recognisable (shape and colour within 0.15 of the canvas: the edit was made to *this* picture). Every
  object the edit changes or adds must appear as the target scene has it (shape, colour, fill, size,
  orientation, centre within 0.1 of the canvas; an added object anywhere in its named region), every object it
  removes must be gone, a background edit must show the new background.
- **preservation** ``f_p``: (unchanged objects still there, as they were) / (unchanged objects + spurious
  objects) x pixel fidelity outside the edit mask, ``max(0, 1 - MAE_outside / 30)`` (MAE in 0..255 units), and
  0 when the background changed without being asked.
- **naturalness** ``f_n``: the area-weighted mean detection confidence (how plausible the shapes are) and
  **cleanliness** ``f_a``: min(share of foreground pixels inside confident detections, share of background
  pixels within 20 of the background colour): no artefacts.

ImgEdit (1-5; naturalness and preservation capped by compliance; the item score is the mean of the three; type
means; the unweighted mean over the 9 types):

    C = 1 + 4 f_c,   N = min(1 + 4 min(f_n, f_a), C),   P = min(1 + 4 f_p, C),   s = (C + N + P) / 3.

GEdit (0-10; per item O = sqrt(SC x PQ); group means; the mean over the 11 groups):

    SC = min(10 f_c, 10 f_p),   PQ = min(10 f_n, 10 f_a),   O = sqrt(SC PQ).

Introduced in ``notebooks/02_shapesworld.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..world.edit import EDIT_TYPES, GEDIT_GROUPS, EditItem, unchanged_pairs
from ..world.layout import region_box
from ..world.scene import Scene
from .common import EvalInputError, as_image_list, match_scene, reproduces
from .detect import ImageAnalysis, analyse_image

THRESHOLD = 0.3
POS_TOL = 0.1  # centre tolerance for changed objects (fraction of the canvas)
KEEP_TOL = 0.06  # centre tolerance for objects that must not move
ANCHOR_TOL = 0.15  # looser tolerance: is this still the same picture?
MAE_SCALE = 30.0  # MAE outside the edit mask at which preservation reaches 0
BG_TOL = 20.0  # a background pixel is clean within this RGB distance of the background colour


@dataclass
class EditJudgement:
    compliance: float  # f_c in [0, 1]
    preservation: float  # f_p
    naturalness: float  # f_n
    cleanliness: float  # f_a
    checks: list  # (description, passed)

    def imgedit(self) -> dict:
        c = 1.0 + 4.0 * self.compliance
        n = min(1.0 + 4.0 * min(self.naturalness, self.cleanliness), c)
        p = min(1.0 + 4.0 * self.preservation, c)
        return {"compliance": c, "naturalness": n, "preservation": p, "score": (c + n + p) / 3.0}

    def gedit(self) -> dict:
        sc = min(10.0 * self.compliance, 10.0 * self.preservation)
        pq = min(10.0 * self.naturalness, 10.0 * self.cleanliness)
        return {"SC": sc, "PQ": pq, "O": float(np.sqrt(sc * pq))}


def _edit_ops(spec: dict) -> list[dict]:
    return spec["ops"] if spec.get("op") == "hybrid" else [spec]


def _count(dets, color, shape) -> int:
    return sum(1 for d in dets if d.color == color and d.shape == shape)


def judge_edit(item: EditItem, source_image: np.ndarray, edited_image: np.ndarray,
               source_analysis: ImageAnalysis | None = None) -> EditJudgement:
    """Measure compliance, preservation, naturalness and cleanliness of one edit (see the module docstring)."""
    size = edited_image.shape[0]
    edited = analyse_image(edited_image)
    src = source_analysis or analyse_image(source_image)
    dets = edited.confident(THRESHOLD)
    target: Scene = item.target
    source: Scene = item.source
    spec = item.spec
    match = match_scene(list(target.objects), target.style, dets, size)
    checks: list[tuple[str, bool]] = []

    # ---- compliance: changed / added objects appear as the target has them
    add_regions = {}
    for op in _edit_ops(spec):
        if op.get("op") == "add":
            add_regions[(op["object"]["color"], op["object"]["shape"])] = op["region"]
    for t in spec.get("changed_target", []):
        o = target.objects[t]
        d = match[t]
        region = add_regions.get((o.color, o.shape))
        if region is not None:  # an added object may sit anywhere in its named region
            x0, y0, x1, y1 = region_box(region)
            ok = (d is not None and reproduces(o, target.style, d, size, pos_tol=1.0)
                  and x0 - 0.08 <= d.center[0] / size <= x1 + 0.08 and y0 - 0.08 <= d.center[1] / size <= y1 + 0.08)
        else:
            ok = reproduces(o, target.style, d, size, pos_tol=POS_TOL)
        checks.append((f"{o.color} {o.shape} as asked", bool(ok)))
    # ---- compliance: removed objects are gone
    for s in spec.get("changed_source", []):
        o = source.objects[s]
        n_target = sum(1 for x in target.objects if x.color == o.color and x.shape == o.shape)
        n_source = sum(1 for x in source.objects if x.color == o.color and x.shape == o.shape)
        if n_target < n_source:
            checks.append((f"{o.color} {o.shape} removed", _count(dets, o.color, o.shape) <= n_target))
    # ---- compliance: background edits
    if target.background != source.background:
        checks.append((f"background {target.background}",
                       edited.background == target.background and edited.background_distance < 30.0))
    # ---- the edit must be applied to *this* picture: objects it leaves alone are recognisable (shape, colour,
    # centre within 0.15), otherwise a picture of another scene would "comply" with any removal.
    keep = unchanged_pairs(item)
    anchors = [reproduces(target.objects[t], target.style, match[t], size, pos_tol=ANCHOR_TOL, check_size=False,
                          check_fill=False) for _, t in keep]
    anchor = float(np.mean(anchors)) if anchors else 1.0
    compliance = (float(np.mean([ok for _, ok in checks])) if checks else 1.0) * anchor

    # ---- preservation: unchanged objects stay, nothing spurious appears, pixels outside the mask stay
    kept = sum(reproduces(target.objects[t], target.style, match[t], size, pos_tol=KEEP_TOL) for _, t in keep)
    matched_ids = {id(d) for d in match if d is not None}
    spurious = sum(1 for d in dets if id(d) not in matched_ids)
    denom = len(keep) + spurious
    kept_frac = kept / denom if denom else 1.0
    mask = item.edit_mask(size)
    outside = ~mask
    if outside.any():
        mae = float(np.abs(edited_image.astype(np.float32) - source_image.astype(np.float32))[outside].mean())
    else:
        mae = 0.0
    fidelity = max(0.0, 1.0 - mae / MAE_SCALE)
    bg_kept = (target.background != source.background) or (edited.background == src.background)
    preservation = kept_frac * fidelity * float(bg_kept)

    # ---- naturalness and cleanliness
    all_dets = edited.detections
    area = sum(d.area for d in all_dets)
    naturalness = float(sum(d.area * d.confidence for d in all_dets) / area) if area > 0 else 1.0
    bg_rgb = _background_rgb(edited_image)
    dist = np.linalg.norm(edited_image.astype(np.float32) - bg_rgb, axis=-1)
    from .detect import ALPHA_ON, estimate_background, unmix

    bg, _, _ = estimate_background(edited_image)
    _, alpha, _, on, _ = unmix(edited_image, bg)
    background_pixels = alpha < ALPHA_ON * 0.3
    near = (dist < BG_TOL)[background_pixels]
    bg_clean = float(near.mean()) if near.size else 1.0
    cleanliness = min(edited.explained_fraction, bg_clean)
    return EditJudgement(compliance, preservation, naturalness, cleanliness, checks)


def _background_rgb(image: np.ndarray) -> np.ndarray:
    img = image.astype(np.float32)
    border = np.concatenate([img[0], img[-1], img[1:-1, 0], img[1:-1, -1]])
    return np.median(border, axis=0)


def _judge_all(source_images, edited_images, items, names=None) -> list[EditJudgement]:
    items = list(items)
    for i, it in enumerate(items):
        if not isinstance(it, EditItem):
            raise EvalInputError(f"{names[i] if names else f'item {i}'}: expected an EditItem, got {type(it).__name__}")
    src = as_image_list(source_images, len(items), "source images", names)
    out = as_image_list(edited_images, len(items), "edited images", names)
    if src and src[0].shape != out[0].shape:
        raise EvalInputError(f"source images are {src[0].shape[0]} px and edited images {out[0].shape[0]} px; "
                             "they must have the same size")
    return [judge_edit(it, s, e) for it, s, e in zip(items, src, out)]


def imgedit_score(source_images, edited_images, items, names=None) -> dict:
    """mini-ImgEdit: ``{"benchmark": "imgedit", "overall": 1..5 (mean over the 9 types), "by_type": {...},
    "n_by_type": {type: edits}, "compliance"/"naturalness"/"preservation": means, "per_item": [...]}``."""
    judgements = _judge_all(source_images, edited_images, items, names)
    per_item = [j.imgedit() for j in judgements]
    by_type, n_by_type = {}, {}
    for t in EDIT_TYPES:
        s = [p["score"] for p, it in zip(per_item, items) if it.edit_type == t]
        if s:
            by_type[t] = float(np.mean(s))
            n_by_type[t] = len(s)
    report = {"benchmark": "imgedit", "overall": float(np.mean(list(by_type.values()))) if by_type else float("nan"),
              "by_type": by_type, "n_by_type": n_by_type}
    for k in ("compliance", "naturalness", "preservation"):
        report[k] = float(np.mean([p[k] for p in per_item])) if per_item else float("nan")
    report["per_item"] = [p["score"] for p in per_item]
    report["checks"] = [j.checks for j in judgements]
    return report


def gedit_score(source_images, edited_images, items, names=None) -> dict:
    """mini-GEdit: ``{"benchmark": "gedit", "overall": 0..10 (mean over the 11 groups of mean O), "SC", "PQ",
    "by_group": {...}, "n_by_group": {group: edits}, "per_item": [...]}``."""
    judgements = _judge_all(source_images, edited_images, items, names)
    per_item = [j.gedit() for j in judgements]
    by_group, n_by_group = {}, {}
    for g in GEDIT_GROUPS:
        s = [p["O"] for p, it in zip(per_item, items) if it.gedit_group == g]
        if s:
            by_group[g] = float(np.mean(s))
            n_by_group[g] = len(s)
    return {"benchmark": "gedit",
            "overall": float(np.mean(list(by_group.values()))) if by_group else float("nan"),
            "SC": float(np.mean([p["SC"] for p in per_item])) if per_item else float("nan"),
            "PQ": float(np.mean([p["PQ"] for p in per_item])) if per_item else float("nan"),
            "by_group": by_group, "n_by_group": n_by_group, "per_item": [p["O"] for p in per_item]}
