"""mini-DPG: DPG-Bench's question-graph scoring on ShapesWorld images.

Implements: DPG-Bench (ELLA; ``/work/shared/PAPER_FACTS.md``): every dense prompt carries DSG-style questions in a
dependency graph; each question is answered on the image; a child question scores 0 when any parent fails,

    s_q = answer_q * prod_{p in parents(q)} s_p,

the image's score is the mean of its questions, the prompt's score the mean over its images, and the benchmark
score the mean over prompts x 100. Category scores (entity, attribute, relation, global, other) are the mean
question scores of each category x 100. The VQA model is replaced by the ShapesWorld detector: scene-graph
objects are matched to detections one-to-one (``common.match_scene``) and each question is read from the
matched detection. Introduced in ``notebooks/02_shapesworld.py``.
"""

from __future__ import annotations

import numpy as np

from ..world.constants import SHAPES
from ..world.scene import SceneObject
from ..world.t2i import DPG_CATEGORIES
from .common import EvalInputError, as_image_list, match_scene, relative_position, spec_of, validate_t2i_spec
from .detect import ImageAnalysis, analyse_image

THRESHOLD = 0.3


def answer_questions(analysis: ImageAnalysis, spec: dict) -> list[float]:
    """Scores of every question of one DPG item on one image, parents applied (children zeroed)."""
    dets = analysis.confident(THRESHOLD)
    size = analysis.size
    objs = [SceneObject(o["shape"], o["color"], size=o.get("size", "medium"), fill=o.get("fill", "solid"))
            for o in spec["objects"]]
    # Position-free matching: the paragraph's regions are not questions; relations are checked on the match.
    match = match_scene(objs, "flat", dets, size, use_position=False)
    scores: list[float] = []
    for q in spec["questions"]:
        chk = q["check"]
        kind = chk["kind"]
        d = match[chk["object"]] if "object" in chk else None
        if kind == "entity":
            ans = d is not None
        elif kind == "color":
            ans = d is not None and d.color == chk["value"]
        elif kind == "size":
            ans = d is not None and d.size == chk["value"]
        elif kind == "fill":
            ans = d is not None and d.fill == chk["value"]
        elif kind == "relation":
            e = match[chk["other"]]
            ans = d is not None and e is not None and chk["value"] in relative_position(d.box, e.box)
        elif kind == "background":
            ans = analysis.background == chk["value"] and analysis.background_distance < 30.0
        elif kind == "object_count":
            ans = len(dets) == chk["value"]
        else:
            raise EvalInputError(f"unknown DPG question kind {kind!r} (question {q['id']})")
        parents_ok = all(scores[p] > 0 for p in q["parents"])
        scores.append(float(ans and parents_ok))
    return scores


def dpg_score(images, items, names=None, images_per_prompt: int = 1) -> dict:
    """Score images against DPG items (``T2IItem`` with task ``"dpg"``, or their specs).

    ``images`` holds ``images_per_prompt`` consecutive images per item (DPG-Bench uses 4). Returns
    ``{"benchmark": "dpg", "overall": x100, "by_category": {category: x100}, "per_prompt": [...]}``.
    """
    specs = [spec_of(it) for it in items]
    for i, s in enumerate(specs):
        where = names[i] if names is not None else f"item {i}"
        validate_t2i_spec(s, where)
        if s["tag"] != "dpg":
            raise EvalInputError(f"{where} is a {s['tag']!r} item; dpg_score takes DPG items (tag 'dpg')")
    images = as_image_list(images, len(specs) * images_per_prompt, names=None)
    per_prompt, cat_scores = [], {c: [] for c in DPG_CATEGORIES}
    for i, spec in enumerate(specs):
        image_scores = []
        for k in range(images_per_prompt):
            qs = answer_questions(analyse_image(images[i * images_per_prompt + k]), spec)
            image_scores.append(float(np.mean(qs)) if qs else 0.0)
            for q, s in zip(spec["questions"], qs):
                cat_scores[q["category"]].append(s)
        per_prompt.append(float(np.mean(image_scores)))
    by_category = {c: 100.0 * float(np.mean(v)) for c, v in cat_scores.items() if v}
    return {"benchmark": "dpg", "overall": 100.0 * float(np.mean(per_prompt)) if per_prompt else float("nan"),
            "by_category": by_category, "per_prompt": per_prompt,
            "n_questions": {c: len(v) for c, v in cat_scores.items() if v}}


assert SHAPES  # the vocabulary the specs are validated against
